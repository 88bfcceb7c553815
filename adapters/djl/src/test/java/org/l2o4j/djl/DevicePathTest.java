package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * The device path (NDArray operations, forced on the CPU with {@link DevicePath#ALWAYS}) against
 * the Java kernel ({@link DevicePath#NEVER}): the same training runs, 100 steps, with exactly-zero
 * gradients present (input feature 0 is always 0, so the first layer's weights from it get gradient
 * 0).
 */
class DevicePathTest {
    static final int STEPS = 100;

    /** The bound: |theta_device - theta_java| / |theta_java| over the trajectory. */
    static final double TOLERANCE = 1e-5;

    /** Random weights of another shape: 1 layer of 12 units, raw-gradient input. */
    static LstmWeights randomOneLayerNone(long seed) {
        LstmConfig c =
                LstmConfig.builder()
                        .layers(1)
                        .hidden(12)
                        .preprocessing(Preprocessing.NONE)
                        .outputScale(0.05)
                        .build();
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (0.5 * r.nextGaussian());
        }
        return new LstmWeights(c, p);
    }

    static LearnedOptimizer.Builder builder(String pretrainedId, LstmWeights weights) {
        LearnedOptimizer.Builder b = LearnedOptimizer.builder();
        return pretrainedId != null ? b.optPretrained(pretrainedId) : b.optWeights(weights);
    }

    /**
     * One step on batch {@code step} with input feature 0 set to 0; if {@code gradients} is not
     * null, the gradient of each parameter (block order) is added to it before the update.
     */
    static void zeroFeatureStep(Trainer trainer, long step, List<float[]> gradients) {
        try (NDManager sub = trainer.getManager().newSubManager()) {
            NDList[] b = Fixtures.batch(sub, step);
            b[0].singletonOrThrow().set(new NDIndex(":, 0"), 0f);
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList pred = trainer.forward(b[0]);
                gc.backward(trainer.getLoss().evaluate(b[1], pred));
            }
            if (gradients != null) {
                for (Pair<String, Parameter> p : trainer.getModel().getBlock().getParameters()) {
                    try (NDArray g = p.getValue().getArray().getGradient()) {
                        gradients.add(g.toFloatArray());
                    }
                }
            }
            trainer.step();
        }
    }

    /**
     * The parameters after each of {@code steps} steps of training (row 0: before the first),
     * closed loop: each path computes its gradients at its own parameters.
     */
    static float[][] trajectory(LearnedOptimizer opt, int steps) {
        return trajectory(opt, steps, null);
    }

    static float[][] trajectory(LearnedOptimizer opt, int steps, List<float[]> gradients) {
        float[][] out = new float[steps + 1][];
        try (Model model = Fixtures.model("mlp", 3);
                Trainer trainer = Fixtures.trainer(model, opt)) {
            out[0] = LearnedOptimizerTest.flatParams(model);
            for (int s = 0; s < steps; s++) {
                zeroFeatureStep(trainer, s, gradients);
                out[s + 1] = LearnedOptimizerTest.flatParams(model);
            }
        }
        return out;
    }

    /**
     * The trajectory of {@code opt} driven by given gradients (open loop): parameters start as
     * {@code start}'s and get, at step {@code s}, gradient {@code gradients[s * P + k]} for
     * parameter {@code k} (shapes as in {@link Fixtures#mlp()}).
     */
    static float[][] replay(
            LearnedOptimizer opt, float[] start, List<float[]> gradients, int steps) {
        float[][] out = new float[steps + 1][];
        out[0] = start;
        try (Model model = Fixtures.model("mlp", 3)) {
            List<Parameter> params = new ArrayList<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                params.add(p.getValue());
            }
            int count = params.size();
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                List<NDArray> arrays = new ArrayList<>();
                int offset = 0;
                for (Parameter p : params) {
                    Shape shape = p.getArray().getShape();
                    int size = (int) shape.size();
                    float[] values = java.util.Arrays.copyOfRange(start, offset, offset + size);
                    NDArray a = m.create(values, shape);
                    a.setRequiresGradient(true);
                    arrays.add(a);
                    offset += size;
                }
                for (int s = 0; s < steps; s++) {
                    float[] flat = new float[start.length];
                    offset = 0;
                    for (int k = 0; k < count; k++) {
                        NDArray a = arrays.get(k);
                        opt.update(
                                params.get(k).getId(),
                                a,
                                m.create(gradients.get(s * count + k), a.getShape()));
                        float[] v = a.toFloatArray();
                        System.arraycopy(v, 0, flat, offset, v.length);
                        offset += v.length;
                    }
                    out[s + 1] = flat;
                }
            }
        }
        return out;
    }

    /**
     * {@code ||a - b|| / ||b||} over the whole trajectories (all steps), and the same relative to
     * the distance travelled {@code ||b_t - b_0||} (stricter), as {max over steps of the first,
     * whole-trajectory first, max over steps of the second}.
     */
    static double[] relativeDifference(float[][] a, float[][] b) {
        double diff = 0;
        double norm = 0;
        double maxStep = 0;
        double maxMoved = 0;
        for (int t = 0; t < a.length; t++) {
            double d = 0;
            double n = 0;
            double moved = 0;
            for (int i = 0; i < a[t].length; i++) {
                double e = (double) a[t][i] - b[t][i];
                d += e * e;
                n += (double) b[t][i] * b[t][i];
                double m = (double) b[t][i] - b[0][i];
                moved += m * m;
            }
            diff += d;
            norm += n;
            maxStep = Math.max(maxStep, Math.sqrt(d / n));
            if (moved > 0) {
                maxMoved = Math.max(maxMoved, Math.sqrt(d / moved));
            }
        }
        return new double[] {maxStep, Math.sqrt(diff / norm), maxMoved};
    }

    /**
     * The device path against the Java kernel on the same gradients (open loop): the Java kernel
     * trains the model; the device path replays the gradients the Java kernel got, from the same
     * start, keeping its own LSTM state for 100 steps. Returns the relative differences.
     *
     * <p>Why open loop: on this problem a training run is chaotic at the 1e-7 level (log-sign input
     * is e^10 times more sensitive below |g| = e^-10), so two implementations that differ only in
     * float rounding drift apart when each computes its own gradients: the core's own scalar and
     * vector kernels differ by 0.2-0.6% after 100 closed-loop steps here.
     */
    private static double[] assertAgreeOpenLoop(
            String what, String id, LstmWeights weights, boolean freeze) {
        return assertAgreeOpenLoop(what, id, weights, freeze, DeviceLstm.DEFAULT_CHUNK);
    }

    private static double[] assertAgreeOpenLoop(
            String what, String id, LstmWeights weights, boolean freeze, int chunk) {
        LearnedOptimizer java =
                builder(id, weights)
                        .optDevicePath(DevicePath.NEVER)
                        .optZeroGradientPolicy(
                                freeze ? ZeroGradientPolicy.FREEZE : ZeroGradientPolicy.UPDATE)
                        .build();
        LearnedOptimizer device =
                builder(id, weights)
                        .optDevicePath(DevicePath.ALWAYS)
                        .optZeroGradientPolicy(
                                freeze ? ZeroGradientPolicy.FREEZE : ZeroGradientPolicy.UPDATE)
                        .deviceChunk(chunk)
                        .build();
        List<float[]> gradients = new ArrayList<>();
        float[][] b = trajectory(java, STEPS, gradients);
        float[][] a = replay(device, b[0], gradients, STEPS);
        double[] rel = relativeDifference(a, b);
        System.out.printf(
                Locale.ROOT,
                "device path vs Java kernel, same gradients, %s, freeze=%s, %d steps: max per"
                        + " step %.3g, trajectory %.3g, relative to distance travelled %.3g%n",
                what,
                freeze,
                STEPS,
                rel[0],
                rel[1],
                rel[2]);
        assertTrue(
                rel[0] <= TOLERANCE,
                what + ": device path differs from the Java kernel by " + rel[0] + " relative");
        // the runs moved: the comparison is not vacuous
        assertTrue(relativeDifference(new float[][] {b[0], b[STEPS]}, b)[0] > 1e-3, what);
        // replaying the gradients through the Java kernel gives its own run back exactly
        LearnedOptimizer again =
                builder(id, weights)
                        .optDevicePath(DevicePath.NEVER)
                        .optZeroGradientPolicy(
                                freeze ? ZeroGradientPolicy.FREEZE : ZeroGradientPolicy.UPDATE)
                        .build();
        float[][] c = replay(again, b[0], gradients, 3);
        assertArrayEquals(b[3], c[3], what + ": replay");
        if (freeze) {
            int in = Fixtures.IN;
            for (int j = 0; j < Fixtures.HIDDEN; j++) {
                assertEquals(b[0][j * in], a[STEPS][j * in], what + " frozen weight " + j);
                assertEquals(b[0][j * in], b[STEPS][j * in], what + " frozen weight " + j);
            }
        }
        return rel;
    }

    /** Closed loop: each path trains its own model. */
    private static void assertAgree(String what, String id, LstmWeights weights, boolean freeze) {
        LearnedOptimizer java =
                builder(id, weights)
                        .optDevicePath(DevicePath.NEVER)
                        .optZeroGradientPolicy(
                                freeze ? ZeroGradientPolicy.FREEZE : ZeroGradientPolicy.UPDATE)
                        .build();
        LearnedOptimizer device =
                builder(id, weights)
                        .optDevicePath(DevicePath.ALWAYS)
                        .optZeroGradientPolicy(
                                freeze ? ZeroGradientPolicy.FREEZE : ZeroGradientPolicy.UPDATE)
                        .build();
        assertFalse(java.usesDevicePath(Device.cpu()));
        assertTrue(device.usesDevicePath(Device.cpu()));
        float[][] a = trajectory(device, STEPS);
        float[][] b = trajectory(java, STEPS);
        double[] rel = relativeDifference(a, b);
        System.out.printf(
                Locale.ROOT,
                "device path vs Java kernel, %s, freeze=%s, %d steps: max per step %.3g,"
                        + " trajectory %.3g, relative to distance travelled %.3g%n",
                what,
                freeze,
                STEPS,
                rel[0],
                rel[1],
                rel[2]);
        assertTrue(
                rel[0] <= TOLERANCE,
                what + ": device path differs from the Java kernel by " + rel[0] + " relative");
        // the runs moved: the comparison is not vacuous
        assertTrue(relativeDifference(new float[][] {b[0], b[STEPS]}, b)[0] > 1e-3, what);
        if (freeze) {
            // the weights from the always-zero input never moved, on either path
            int in = Fixtures.IN;
            for (int j = 0; j < Fixtures.HIDDEN; j++) {
                assertEquals(b[0][j * in], a[STEPS][j * in], what + " frozen weight " + j);
                assertEquals(b[0][j * in], b[STEPS][j * in], what + " frozen weight " + j);
            }
        }
    }

    @Test
    void generalV1AgreesWithJavaKernel() {
        assertAgreeOpenLoop("general-v1", "general-v1", null, true);
    }

    @Test
    void mnistMlpV1AgreesWithJavaKernel() {
        assertAgreeOpenLoop("mnist-mlp-v1", "mnist-mlp-v1", null, true);
    }

    @Test
    void randomOneLayerNonePreprocessingAgreesWithJavaKernel() {
        assertAgreeOpenLoop("random 1x12 none", null, randomOneLayerNone(5), true);
        // not chaotic: each path training its own model through DJL's Trainer agrees too
        assertAgree("random 1x12 none", null, randomOneLayerNone(5), true);
    }

    /** Large parameters go in pieces (here of 37 coordinates): the same results. */
    @Test
    void piecesAgreeWithJavaKernel() {
        assertAgreeOpenLoop("general-v1 in pieces of 37", "general-v1", null, true, 37);
    }

    @Test
    void agreesWithoutTheZeroGradientRule() {
        assertAgreeOpenLoop("general-v1 (no freeze)", "general-v1", null, false);
        assertAgreeOpenLoop("random 1x12 none (no freeze)", null, randomOneLayerNone(6), false);
    }

    @Test
    void zeroGradientsLeaveCoordinateAndStateUnchanged() {
        for (DevicePath path : new DevicePath[] {DevicePath.ALWAYS, DevicePath.NEVER}) {
            LearnedOptimizer opt =
                    LearnedOptimizer.builder()
                            .optPretrained("mnist-mlp-v1")
                            .optDevicePath(path)
                            .build();
            assertTrue(opt.freezeZeroGradients(), "default");
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                float[] theta = {0.5f, -0.25f, 1f, 2f, -1f};
                NDArray w = m.create(theta.clone(), new Shape(5));
                w.setRequiresGradient(true);
                float[][] grads = {
                    {0f, 0.1f, -0f, 1e-3f, -2f}, {0.2f, 0f, -0f, 1e-3f, 0f}, {0f, 0f, 0f, 0f, 0f}
                };
                for (float[] g : grads) {
                    opt.update("p", w, m.create(g, new Shape(5)));
                }
                float[] after = w.toFloatArray();
                OptimizerState s = opt.stateOf("p", Device.cpu());
                // coordinate 2 never had a non-zero gradient: unchanged, state still zero
                assertEquals(theta[2], after[2], path.name());
                for (int k = 0; k < s.sizePerCoordinate(); k++) {
                    assertEquals(0f, s.data()[k * 5 + 2], path + " state row " + k);
                }
                assertTrue(after[1] != theta[1] && after[3] != theta[3], path.name());
                assertEquals(3, s.stepCount(), path.name());
            }
        }
    }

    /** Under SKIP both paths skip the same coordinates and count them. */
    @Test
    void skipPolicyAgreesWithJavaKernel() {
        float[][] results = new float[2][];
        long[] skipped = new long[2];
        DevicePath[] paths = {DevicePath.ALWAYS, DevicePath.NEVER};
        for (int p = 0; p < 2; p++) {
            LearnedOptimizer opt =
                    LearnedOptimizer.builder()
                            .optPretrained("general-v1")
                            .optNonFinitePolicy(NonFinitePolicy.SKIP)
                            .optDevicePath(paths[p])
                            .build();
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                Random r = new Random(7);
                int n = 50;
                float[] theta = new float[n];
                for (int i = 0; i < n; i++) {
                    theta[i] = (float) r.nextGaussian();
                }
                NDArray w = m.create(theta, new Shape(5, 10));
                w.setRequiresGradient(true);
                for (int step = 0; step < 20; step++) {
                    float[] g = new float[n];
                    for (int i = 0; i < n; i++) {
                        g[i] = (float) (0.1 * r.nextGaussian());
                    }
                    g[(7 * step + 2) % n] = 0f;
                    g[step % n] = Float.NaN;
                    g[(3 * step + 1) % n] = Float.POSITIVE_INFINITY;
                    opt.update("p", w, m.create(g, new Shape(5, 10)));
                }
                results[p] = w.toFloatArray();
                skipped[p] = opt.stateOf("p", Device.cpu()).skippedCount();
            }
        }
        assertEquals(40, skipped[1]);
        assertEquals(skipped[1], skipped[0]);
        assertArrayEquals(results[1], results[0], 1e-5f);
    }

    /** Under ERROR a bad gradient on the device path still rejects the whole step. */
    @Test
    void errorPolicyRejectsTheStepOnTheDevicePath() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder()
                        .optWeights(Fixtures.random(3, 0.3))
                        .optDevicePath(DevicePath.ALWAYS)
                        .build();
        try (Model model = Fixtures.model("mlp", 3);
                Trainer trainer = Fixtures.trainer(model, opt)) {
            Fixtures.trainStep(trainer, 0);
            float[] before = LearnedOptimizerTest.flatParams(model);
            List<OptimizerState> states = new ArrayList<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                states.add(opt.stateOf(p.getValue().getId(), Device.cpu()));
            }
            try (NDManager sub = trainer.getManager().newSubManager()) {
                NDList[] b = Fixtures.batch(sub, 1);
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDList pred = trainer.forward(b[0]);
                    gc.backward(trainer.getLoss().evaluate(b[1], pred).mul(Float.NaN));
                }
                NonFiniteStepException e =
                        assertThrows(NonFiniteStepException.class, trainer::step);
                assertTrue(e.getMessage().contains("not applied"), e.getMessage());
            }
            assertArrayEquals(before, LearnedOptimizerTest.flatParams(model));
            int k = 0;
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                OptimizerState s = opt.stateOf(p.getValue().getId(), Device.cpu());
                assertArrayEquals(states.get(k).data(), s.data(), "state unchanged");
                assertEquals(states.get(k++).stepCount(), s.stepCount());
            }
            Fixtures.trainStep(trainer, 2); // training goes on
        }
    }

    @Test
    void builderOptions() {
        LearnedOptimizer auto = LearnedOptimizer.builder().optPretrained("general-v1").build();
        assertEquals(DevicePath.AUTO, auto.devicePath());
        assertFalse(auto.usesDevicePath(Device.cpu()));
        assertTrue(auto.usesDevicePath(Device.gpu(0)));
        LearnedOptimizer never =
                LearnedOptimizer.builder()
                        .optPretrained("general-v1")
                        .optDevicePath(DevicePath.NEVER)
                        .build();
        assertFalse(never.usesDevicePath(Device.gpu(0)));
        LearnedOptimizer adam = LearnedOptimizer.builder().optUpdateRule(new Adam(1e-3)).build();
        assertFalse(adam.usesDevicePath(Device.gpu(0)), "no device path for other rules");
        assertFalse(adam.freezeZeroGradients());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        LearnedOptimizer.builder()
                                .optUpdateRule(new Adam(1e-3))
                                .optDevicePath(DevicePath.ALWAYS)
                                .build());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        LearnedOptimizer.builder()
                                .optUpdateRule(new Adam(1e-3))
                                .optZeroGradientPolicy(ZeroGradientPolicy.UPDATE)
                                .build());
        IllegalArgumentException sixteen =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LearnedOptimizer.builder()
                                        .optPretrained("general-v1")
                                        .optDevicePath(DevicePath.ALWAYS)
                                        .optStateType(StateType.BFLOAT16)
                                        .build());
        assertTrue(sixteen.getMessage().contains("device path"), sixteen.getMessage());
        LearnedOptimizer autoSixteen =
                LearnedOptimizer.builder()
                        .optPretrained("general-v1")
                        .optStateType(StateType.BFLOAT16)
                        .build();
        assertFalse(
                autoSixteen.usesDevicePath(Device.gpu(0)),
                "16-bit state runs on the Java kernel, also for GPU parameters");
    }
}
