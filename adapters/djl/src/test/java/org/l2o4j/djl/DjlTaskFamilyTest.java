package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.task.Task;

class DjlTaskFamilyTest {
    private static NDManager dataManager;
    private static DjlTaskFamily family;

    /** Synthetic classification records (the same teacher as {@link Fixtures#batch}). */
    static ArrayDataset dataset(NDManager m, int n, long seed) {
        float[] x = new float[n * Fixtures.IN];
        float[] y = new float[n];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            float s = 0;
            for (int k = 0; k < Fixtures.IN; k++) {
                x[i * Fixtures.IN + k] = (float) r.nextGaussian();
                s += (k % 3 - 1) * x[i * Fixtures.IN + k];
            }
            y[i] = s > 0.5f ? 2 : s < -0.5f ? 0 : 1;
        }
        return new ArrayDataset.Builder()
                .setData(m.create(x, new Shape(n, Fixtures.IN)))
                .optLabels(m.create(y, new Shape(n)))
                .setSampling(Fixtures.BATCH, false)
                .build();
    }

    @BeforeAll
    static void setUp() {
        dataManager = NDManager.newBaseManager();
        family =
                DjlTaskFamily.builder()
                        .setBlock(Fixtures.mlp())
                        .setInputShape(Fixtures.inputShape())
                        .setLoss(Loss.softmaxCrossEntropyLoss())
                        .setTrainDataset(dataset(dataManager, 512, 1))
                        .optValidationDataset(dataset(dataManager, 256, 2))
                        .optBatchSize(Fixtures.BATCH)
                        .optName("tiny-mlp")
                        .build();
    }

    @AfterAll
    static void tearDown() {
        family.close();
        dataManager.close();
    }

    @Test
    void tasksAreDeterministicPerSeedAndStep() {
        int d = (Fixtures.IN + 1) * Fixtures.HIDDEN + (Fixtures.HIDDEN + 1) * Fixtures.CLASSES;
        assertEquals(d, family.dimension());
        Task a = family.sample(3);
        Task b = family.sample(3);
        Task c = family.sample(4);
        assertEquals(d, a.dimension());
        assertArrayEquals(a.initialParameters(), b.initialParameters());
        assertFalse(Arrays.equals(a.initialParameters(), c.initialParameters()));
        double[] theta = a.initialParameters();
        double[] g1 = new double[d];
        double[] g2 = new double[d];
        double l1 = a.lossAndGradient(theta, 5, g1);
        double l2 = b.lossAndGradient(theta, 5, g2);
        assertEquals(l1, l2, 0.0);
        assertArrayEquals(g1, g2, 0.0);
        assertTrue(a.name().contains("tiny-mlp") && a.name().contains("seed=3"));
        // another step is another minibatch
        assertTrue(Math.abs(a.loss(theta, 6) - l1) > 0);
        // gradients do not accumulate across calls
        a.lossAndGradient(theta, 5, g2);
        assertArrayEquals(g1, g2, 1e-6);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Task task = family.sample(7);
        double[] theta = task.initialParameters();
        double[] g = new double[theta.length];
        task.lossAndGradient(theta, 0, g);
        Random r = new Random(1);
        for (int k = 0; k < 12; k++) {
            int i = r.nextInt(theta.length);
            double h = 1e-2;
            double[] plus = theta.clone();
            double[] minus = theta.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (task.loss(plus, 0) - task.loss(minus, 0)) / (2 * h);
            assertEquals(fd, g[i], 2e-3 + 0.05 * Math.abs(fd), "coordinate " + i);
        }
    }

    @Test
    void theCoreOptimizerTrainsTheDjlTask() {
        Task task = family.validation().sample(11);
        LstmOptimizer opt = LstmOptimizer.of(Fixtures.signDescent(0.02));
        double[] theta = task.initialParameters();
        float[] g = new float[theta.length];
        float[] u = new float[theta.length];
        double[] gd = new double[theta.length];
        OptimizerState s = opt.newState(theta.length);
        double first = task.loss(theta, 0);
        for (int t = 0; t < 60; t++) {
            task.lossAndGradient(theta, t, gd);
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) gd[i];
            }
            opt.step(s, g, u);
            for (int i = 0; i < g.length; i++) {
                theta[i] += u[i];
            }
        }
        double last = task.loss(theta, 0);
        assertTrue(last < 0.7 * first, first + " -> " + last);
    }

    @Test
    void metaTrainingFineTunesOnTheDjlFamily() throws Exception {
        LstmWeights start = Fixtures.signDescent(0.02);
        MetaTrainingConfig config =
                MetaTrainingConfig.builder()
                        .taskFamily(family)
                        .validationFamily(family.validation())
                        .validationTasks(1)
                        .initialWeights(start)
                        .horizon(6)
                        .unroll(3)
                        .iterations(2)
                        .validateEvery(1)
                        .threads(1)
                        .seed(5)
                        .build();
        LstmWeights tuned = new MetaTrainer(config).train();
        assertEquals(start.config(), tuned.config());
        for (float p : tuned.parameters()) {
            assertTrue(Float.isFinite(p));
        }
    }

    @Test
    void builderNamesWhatIsMissing() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> DjlTaskFamily.builder().setBlock(Fixtures.mlp()).build());
        assertTrue(e.getMessage().contains("setLoss"), e.getMessage());
        assertTrue(e.getMessage().contains("setTrainDataset"), e.getMessage());
        IllegalStateException noValidation =
                assertThrows(
                        IllegalStateException.class,
                        () -> {
                            try (DjlTaskFamily f =
                                    DjlTaskFamily.builder()
                                            .setBlock(Fixtures.mlp())
                                            .setInputShape(Fixtures.inputShape())
                                            .setLoss(Loss.softmaxCrossEntropyLoss())
                                            .setTrainDataset(dataset(dataManager, 64, 3))
                                            .build()) {
                                f.validation();
                            }
                        });
        assertTrue(noValidation.getMessage().contains("optValidationDataset"));
    }
}
