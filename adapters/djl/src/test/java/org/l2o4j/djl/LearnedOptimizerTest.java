package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.Sgd;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.l2o4j.pretrained.PretrainedRegistry;

class LearnedOptimizerTest {

    @TempDir Path tmp;

    /** A parameter with a gradient from loss = sum(w * c): the gradient is exactly c. */
    private static NDArray paramWithGradient(NDManager m, float[] w, float[] c) {
        NDArray p = m.create(w);
        p.setRequiresGradient(true);
        backward(p, c);
        return p;
    }

    private static void backward(NDArray p, float[] c) {
        NDManager m = p.getManager();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(p.mul(m.create(c)).sum());
        }
    }

    private static float[] randomVector(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (std * r.nextGaussian());
        }
        return v;
    }

    @Test
    void updatesMatchTheCoreKernelStepByStepAndClearTheGradient() {
        LstmOptimizer core = LstmOptimizer.of(Fixtures.random(3, 0.5));
        LearnedOptimizer opt = LearnedOptimizer.builder().optWeights(core.weights()).build();
        Random r = new Random(5);
        int n = 37;
        float[] theta = randomVector(r, n, 1);
        OptimizerState ref = core.newState(n);
        float[] upd = new float[n];
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(theta);
            p.setRequiresGradient(true);
            for (int step = 0; step < 6; step++) {
                float[] g = randomVector(r, n, Math.pow(10, -step));
                backward(p, g);
                try (NDArray gradCopy = p.getGradient().duplicate()) {
                    opt.update("w", p, gradCopy);
                }
                core.step(ref, g, upd);
                for (int i = 0; i < n; i++) {
                    theta[i] += upd[i];
                }
                assertArrayEquals(theta, p.toFloatArray(), 1e-6f, "parameters after step " + step);
                assertArrayEquals(new float[n], p.getGradient().toFloatArray(), "gradient cleared");
            }
            OptimizerState s = opt.stateOf("w", p.getDevice());
            assertEquals(6, s.stepCount());
            assertArrayEquals(ref.data(), s.data(), 1e-6f);
        }
        assertEquals(6, opt.timings().updates());
        assertEquals(6L * n, opt.timings().coordinates());
    }

    @Test
    void appliesRescaleClipAndWeightDecayLikeDjl() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder()
                        .optUpdateRule(new Sgd(1.0))
                        .setRescaleGrad(0.5f)
                        .optClipGrad(1f)
                        .optWeightDecays(0.1f)
                        .build();
        float[] w = {1f, -2f, 3f};
        float[] g = {4f, -1f, 0.5f};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = paramWithGradient(m, w, g);
            opt.update("w", p, p.getGradient().duplicate());
            float[] expected = new float[3];
            for (int i = 0; i < 3; i++) {
                float gi = Math.max(-1f, Math.min(1f, 0.5f * g[i])) + 0.1f * w[i];
                expected[i] = w[i] - gi;
            }
            assertArrayEquals(expected, p.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void coreAdamThroughTheAdapterTracksDjlAdam() {
        float[] viaAdapter;
        float[] viaDjl;
        try (Model a = Fixtures.model("a", 7);
                Trainer ta =
                        Fixtures.trainer(
                                a,
                                LearnedOptimizer.builder().optUpdateRule(new Adam(1e-2)).build())) {
            for (int s = 0; s < 30; s++) {
                Fixtures.trainStep(ta, s);
            }
            viaAdapter = flatParams(a);
        }
        try (Model b = Fixtures.model("b", 7);
                Trainer tb =
                        Fixtures.trainer(
                                b,
                                Optimizer.adam()
                                        .optLearningRateTracker(Tracker.fixed(1e-2f))
                                        .build())) {
            for (int s = 0; s < 30; s++) {
                Fixtures.trainStep(tb, s);
            }
            viaDjl = flatParams(b);
        }
        assertArrayEquals(viaDjl, viaAdapter, 2e-4f);
    }

    static float[] flatParams(Model model) {
        List<Float> all = new ArrayList<>();
        model.getBlock()
                .getParameters()
                .forEach(
                        p -> {
                            for (float v : p.getValue().getArray().toFloatArray()) {
                                all.add(v);
                            }
                        });
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    @Test
    void trainingWithTheLearnedOptimizerReducesTheLoss() {
        try (Model model = Fixtures.model("mlp", 11);
                Trainer trainer =
                        Fixtures.trainer(
                                model,
                                LearnedOptimizer.builder()
                                        .optWeights(Fixtures.signDescent(0.01))
                                        .build())) {
            float before = Fixtures.evalLoss(trainer, 4);
            for (int s = 0; s < 150; s++) {
                Fixtures.trainStep(trainer, s);
            }
            float after = Fixtures.evalLoss(trainer, 4);
            assertTrue(after < 0.6f * before, "loss " + before + " -> " + after);
        }
    }

    /**
     * Every shipped optimizer, whatever its cell (an LSTM may take the device path, other cells run
     * on the host kernel), trains a small model by id: 150 steps lower the evaluation loss by at
     * least a quarter.
     */
    @Test
    void everyShippedOptimizerTrainsASmallModelById() {
        for (String id : PretrainedOptimizers.ids()) {
            LearnedOptimizer opt = LearnedOptimizer.pretrained(id);
            assertTrue(opt.toString().contains(id), opt.toString());
            try (Model model = Fixtures.model("mlp", 11);
                    Trainer trainer = Fixtures.trainer(model, opt)) {
                float before = Fixtures.evalLoss(trainer, 4);
                for (int s = 0; s < 150; s++) {
                    Fixtures.trainStep(trainer, s);
                }
                float after = Fixtures.evalLoss(trainer, 4);
                assertTrue(Float.isFinite(after), id + ": loss " + after);
                assertTrue(after < 0.75f * before, id + ": loss " + before + " -> " + after);
            }
        }
    }

    @Test
    void managedArrayCountStaysFlatOver500Steps() {
        try (Model model = Fixtures.model("mlp", 13);
                Trainer trainer =
                        Fixtures.trainer(
                                model,
                                LearnedOptimizer.builder()
                                        .optWeights(Fixtures.signDescent(0.001))
                                        .build())) {
            NDManager root = model.getNDManager();
            for (int s = 0; s < 5; s++) {
                Fixtures.trainStep(trainer, s);
            }
            int before = root.getManagedArrays().size();
            for (int s = 5; s < 500; s++) {
                Fixtures.trainStep(trainer, s);
            }
            assertEquals(before, root.getManagedArrays().size(), "arrays held by the model");
        }
    }

    @Test
    void concurrentUpdatesOfDifferentParametersEqualSequentialOnes() throws Exception {
        LearnedOptimizer seq =
                LearnedOptimizer.builder().optWeights(Fixtures.random(1, 0.3)).build();
        LearnedOptimizer par =
                LearnedOptimizer.builder().optWeights(Fixtures.random(1, 0.3)).build();
        int params = 8;
        int n = 300;
        Random r = new Random(2);
        float[][] init = new float[params][];
        float[][] grads = new float[params][];
        for (int k = 0; k < params; k++) {
            init[k] = randomVector(r, n, 1);
            grads[k] = randomVector(r, n, 0.1);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] a = new NDArray[params];
            NDArray[] b = new NDArray[params];
            NDArray[] g = new NDArray[params];
            for (int k = 0; k < params; k++) {
                a[k] = m.create(init[k]);
                b[k] = m.create(init[k]);
                g[k] = m.create(grads[k]);
            }
            for (int step = 0; step < 5; step++) {
                for (int k = 0; k < params; k++) {
                    seq.update("p" + k, a[k], g[k]);
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int k = 0; k < params; k++) {
                    int kk = k;
                    fs.add(
                            pool.submit(
                                    () -> {
                                        for (int step = 0; step < 5; step++) {
                                            par.update("p" + kk, b[kk], g[kk]);
                                        }
                                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            for (int k = 0; k < params; k++) {
                assertArrayEquals(a[k].toFloatArray(), b[k].toFloatArray(), "parameter " + k);
            }
            assertEquals(params, par.stateCount());
        }
    }

    @Test
    void concurrentUpdatesOfOneParameterAreSerialized() throws Exception {
        LearnedOptimizer opt =
                LearnedOptimizer.builder().optWeights(Fixtures.random(1, 0.3)).build();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.zeros(new ai.djl.ndarray.types.Shape(1000));
            NDArray g = m.ones(new ai.djl.ndarray.types.Shape(1000));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    fs.add(
                            pool.submit(
                                    () -> {
                                        for (int step = 0; step < 10; step++) {
                                            opt.update("shared", w, g);
                                        }
                                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            // the same gradient 40 times: any serial order gives the sequential result
            OptimizerState s = opt.stateOf("shared", w.getDevice());
            assertEquals(40, s.stepCount());
            LearnedOptimizer sequential =
                    LearnedOptimizer.builder().optWeights(Fixtures.random(1, 0.3)).build();
            NDArray expected = m.zeros(new ai.djl.ndarray.types.Shape(1000));
            for (int step = 0; step < 40; step++) {
                sequential.update("shared", expected, g);
            }
            assertArrayEquals(expected.toFloatArray(), w.toFloatArray(), 0f);
            assertArrayEquals(sequential.stateOf("shared", w.getDevice()).data(), s.data(), 0f);
        }
    }

    @Test
    void stateIsKeptPerParameterAndDevice() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder().optWeights(Fixtures.random(1, 0.3)).build();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w1 = m.zeros(new ai.djl.ndarray.types.Shape(4));
            NDArray w2 = m.zeros(new ai.djl.ndarray.types.Shape(6));
            NDArray g1 = m.ones(new ai.djl.ndarray.types.Shape(4));
            NDArray g2 = m.ones(new ai.djl.ndarray.types.Shape(6));
            opt.update("a", w1, g1);
            opt.update("a", w1, g1);
            opt.update("b", w2, g2);
            assertEquals(2, opt.stateOf("a", Device.cpu()).stepCount());
            assertEquals(1, opt.stateOf("b", Device.cpu()).stepCount());
            assertEquals(null, opt.stateOf("a", Device.gpu(3)));
            assertEquals(2, opt.stateCount());
            // a parameter id reused with another size is a mistake, reported clearly
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> opt.update("a", w2, g2));
            assertTrue(e.getMessage().contains("4 coordinates but the parameter has 6"));
            opt.resetState();
            assertEquals(0, opt.stateCount());
        }
    }

    @Test
    void nonFiniteGradientsErrorByDefaultAndAreSkippedOnRequest() {
        float[] w = {1f, 2f, 3f};
        float[] g = {0.1f, Float.NaN, -0.2f};
        try (NDManager m = NDManager.newBaseManager()) {
            LearnedOptimizer strict =
                    LearnedOptimizer.builder().optWeights(Fixtures.signDescent(0.1)).build();
            NDArray p = m.create(w);
            NonFiniteGradientException e =
                    assertThrows(
                            NonFiniteGradientException.class,
                            () -> strict.update("w", p, m.create(g)));
            assertEquals(1, e.index());
            assertEquals(
                    "non-finite gradient in parameter 'w' (shape (3)) at coordinate 1: NaN; the"
                            + " step was not applied (no parameter or optimizer state changed)",
                    e.getMessage());
            assertArrayEquals(w, p.toFloatArray(), "unchanged after the error");
            assertEquals(0, strict.stateCount(), "no optimizer state created either");

            LearnedOptimizer lenient =
                    LearnedOptimizer.builder()
                            .optWeights(Fixtures.signDescent(0.1))
                            .optNonFinitePolicy(NonFinitePolicy.SKIP)
                            .build();
            lenient.update("w", p, m.create(g));
            float[] after = p.toFloatArray();
            assertEquals(2f, after[1], 0f);
            assertTrue(after[0] < 1f && after[2] > 3f, "sign descent on the finite coordinates");
            assertEquals(1, lenient.stateOf("w", p.getDevice()).skippedCount());
        }
    }

    @Test
    void otherDataTypesGetAClearError() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder().optWeights(Fixtures.signDescent(0.1)).build();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new double[] {1, 2});
            NDArray g = m.create(new double[] {1, 2});
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> opt.update("w", w, g));
            assertTrue(e.getMessage().contains("float32"), e.getMessage());
            assertTrue(e.getMessage().contains(DataType.FLOAT64.toString()), e.getMessage());
        }
    }

    @Test
    void mismatchedGradientSizeIsRejected() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder().optWeights(Fixtures.signDescent(0.1)).build();
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    opt.update(
                                            "w",
                                            m.create(new float[] {1, 2}),
                                            m.create(new float[] {1, 2, 3})));
            assertTrue(e.getMessage().contains("must have 2 values"), e.getMessage());
        }
    }

    @Test
    void unknownPretrainedIdListsTheAvailableIds() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LearnedOptimizer.pretrained("no-such-optimizer"));
        // the registry's one message, as in the CLI and the DL4J adapter
        assertEquals(
                PretrainedRegistry.unknownIdMessage(
                        "no-such-optimizer", PretrainedOptimizers.ids()),
                e.getMessage());
        for (String id : PretrainedOptimizers.ids()) {
            assertTrue(e.getMessage().contains(id), e.getMessage());
        }
    }

    @Test
    void defaultPretrainedLoadsWhenShippedAndOtherwiseSaysWhy() {
        if (PretrainedOptimizers.ids().contains(PretrainedOptimizers.DEFAULT_ID)) {
            LearnedOptimizer opt = LearnedOptimizer.pretrained();
            assertInstanceOf(LstmOptimizer.class, opt.rule());
            assertTrue(opt.toString().contains(PretrainedOptimizers.DEFAULT_ID));
        } else {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, LearnedOptimizer::pretrained);
            assertTrue(e.getMessage().contains(PretrainedOptimizers.DEFAULT_ID), e.getMessage());
            assertTrue(e.getMessage().contains("available ids"), e.getMessage());
        }
    }

    @Test
    void builderRejectsConflictingWeightSources() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LearnedOptimizer.builder()
                                        .optPretrained(PretrainedOptimizers.DEFAULT_ID)
                                        .optWeights(Fixtures.signDescent(0.1))
                                        .build());
        assertTrue(e.getMessage().contains("at most one"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        LearnedOptimizer.builder()
                                .optWeights(Fixtures.signDescent(0.1))
                                .optThreads(-1)
                                .build());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        LearnedOptimizer.builder()
                                .optUpdateRule(new Sgd(0.1))
                                .optNonFinitePolicy(NonFinitePolicy.SKIP)
                                .build());
    }

    @Test
    void weightsFromAFileGiveTheSameUpdatesAsTheInMemoryWeights() throws Exception {
        LstmWeights w = Fixtures.random(8, 0.5);
        Path file = tmp.resolve("opt.safetensors");
        WeightFiles.write(file, w);
        LearnedOptimizer fromFile = LearnedOptimizer.builder().optWeights(file).build();
        LearnedOptimizer inMemory = LearnedOptimizer.builder().optWeights(w).build();
        assertTrue(fromFile.toString().contains(file.toString()), fromFile.toString());
        try (NDManager m = NDManager.newBaseManager()) {
            float[] g = randomVector(new Random(4), 50, 0.1);
            NDArray a = m.zeros(new ai.djl.ndarray.types.Shape(50));
            NDArray b = m.zeros(new ai.djl.ndarray.types.Shape(50));
            for (int s = 0; s < 3; s++) {
                fromFile.update("w", a, m.create(g));
                inMemory.update("w", b, m.create(g));
            }
            assertArrayEquals(b.toFloatArray(), a.toFloatArray(), 0f);
        }
    }

    @Test
    void missingWeightFileIsReportedWithItsPath() {
        Path missing = tmp.resolve("nope.safetensors");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LearnedOptimizer.builder().optWeights(missing).build());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
