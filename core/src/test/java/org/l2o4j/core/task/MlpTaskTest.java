package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Split;

class MlpTaskTest {

    /** A small random dataset: 60 rows, 7 features (some exactly zero), 4 classes. */
    static Dataset tinyData() {
        SplittableRandom rng = new SplittableRandom(42);
        int rows = 60;
        int features = 7;
        float[] x = new float[rows * features];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < features; j++) {
                x[r * features + j] = rng.nextInt(3) == 0 ? 0f : (float) rng.nextDouble();
            }
            y[r] = rng.nextInt(4);
        }
        return new Dataset("tiny/train", "test", features, 4, x, y);
    }

    /** Central finite differences vs the analytic gradient, in double. */
    static void checkGradient(Task task, double[] theta, long t, int[] coords) {
        double[] grad = new double[task.dimension()];
        double loss = task.lossAndGradient(theta, t, grad);
        assertEquals(loss, task.loss(theta, t), 1e-12 * Math.max(1, Math.abs(loss)));
        double h = 1e-6;
        for (int k : coords) {
            double[] p = theta.clone();
            p[k] = theta[k] + h;
            double up = task.loss(p, t);
            p[k] = theta[k] - h;
            double down = task.loss(p, t);
            double fd = (up - down) / (2 * h);
            double tol = 1e-6 * Math.max(1e-3, Math.abs(fd)) + 1e-8;
            assertEquals(fd, grad[k], tol, "coordinate " + k + " of " + task.name());
        }
    }

    static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void gradientMatchesFiniteDifferencesWithTwoHiddenLayers(Activation activation) {
        MlpTaskFamily family =
                MlpTaskFamily.builder()
                        .data(tinyData())
                        .hiddenUnits(5)
                        .hiddenLayers(2)
                        .activation(activation)
                        .batchSize(16)
                        .init(MlpTaskFamily.Init.GLOROT)
                        .build();
        MlpTask task = family.sample(3);
        assertEquals(7 * 5 + 5 + 5 * 5 + 5 + 5 * 4 + 4, task.dimension());
        double[] theta = task.initialParameters();
        // move away from the initial point so biases are non-zero and units saturate differently
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < theta.length; i++) {
            theta[i] += 0.5 * rng.nextGaussian();
        }
        checkGradient(task, theta, 5, all(task.dimension()));
    }

    @Test
    void gradientMatchesFiniteDifferencesWithoutHiddenLayers() {
        MlpTaskFamily family =
                MlpTaskFamily.builder().data(tinyData()).hiddenLayers(0).batchSize(10).build();
        MlpTask task = family.sample(1);
        assertEquals(7 * 4 + 4, task.dimension());
        double[] theta = task.initialParameters();
        for (int i = 0; i < theta.length; i++) {
            theta[i] += Math.sin(i);
        }
        checkGradient(task, theta, 0, all(task.dimension()));
    }

    @Test
    void paperMlpOnMnistGradientAndLayout() {
        MlpTaskFamily family =
                MlpTaskFamily.builder().dataDir(java.nio.file.Path.of("bundled")).build();
        assertArrayEquals(new int[] {784, 20, 10}, family.layerSizes());
        MlpTask task = family.sample(11);
        assertEquals(15_910, task.dimension());
        assertEquals(0, task.weightOffset(0));
        assertEquals(15_680, task.biasOffset(0));
        assertEquals(15_700, task.weightOffset(1));
        assertEquals(15_900, task.biasOffset(1));
        double[] theta = task.initialParameters();
        // near the N(0, 0.01) start the prediction is almost uniform: loss ~ ln 10
        assertEquals(Math.log(10), task.loss(theta, 0), 0.05);
        for (int i = 0; i < theta.length; i++) {
            theta[i] += 0.1 * Math.cos(7 * i);
        }
        // a sample of coordinates from every block: W0 (centre pixels), b0, W1, b1
        int[] coords = {
            300 * 20 + 3, 406 * 20 + 19, 15_680, 15_699, 15_700, 15_777, 15_900, 15_909
        };
        checkGradient(task, theta, 2, coords);
    }

    /**
     * The minibatch is split into fixed chunks whatever the thread count: loss and gradient are the
     * same bits with 1 to 8 threads (also for a batch smaller than the chunk count, and after the
     * chunks ran on other threads for an earlier step), and the loss equals {@link Task#loss}.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {16, 3, 13})
    void lossAndGradientAreBitIdenticalForAnyThreadCount(int batchSize) {
        MlpTaskFamily family =
                MlpTaskFamily.builder()
                        .data(tinyData())
                        .hiddenUnits(5)
                        .hiddenLayers(2)
                        .batchSize(batchSize)
                        .build();
        MlpTask task = family.sample(4);
        double[] theta = task.initialParameters();
        SplittableRandom rng = new SplittableRandom(5);
        for (int i = 0; i < theta.length; i++) {
            theta[i] += 0.3 * rng.nextGaussian();
        }
        for (long t : new long[] {0, 1, 7}) {
            double[] ref = new double[task.dimension()];
            double refLoss = family.sample(4).lossAndGradient(theta, t, ref);
            assertEquals(refLoss, task.loss(theta, t), 0.0, "loss at step " + t);
            for (int threads : new int[] {1, 2, 3, 4, 8, 2, 1}) {
                double[] g = new double[task.dimension()];
                Arrays.fill(g, Double.NaN); // overwritten, not added to
                double loss = task.lossAndGradient(theta, t, g, threads);
                assertEquals(refLoss, loss, 0.0, threads + " threads, step " + t);
                assertArrayEquals(ref, g, 0.0, threads + " threads, step " + t);
            }
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> task.lossAndGradient(theta, 0, new double[task.dimension()], 0));
    }

    @Test
    void paperMlpGradientIsBitIdenticalOnTwoThreads() {
        MlpTaskFamily family =
                MlpTaskFamily.builder().dataDir(java.nio.file.Path.of("bundled")).build();
        MlpTask task = family.sample(2);
        double[] theta = task.initialParameters();
        double[] one = new double[task.dimension()];
        double[] two = new double[task.dimension()];
        for (long t = 0; t < 3; t++) {
            double l1 = task.lossAndGradient(theta, t, one, 1);
            double l2 = task.lossAndGradient(theta, t, two, 2);
            assertEquals(l1, l2, 0.0);
            assertArrayEquals(one, two, 0.0);
        }
    }

    @Test
    void sameSeedSameTaskDifferentSeedDifferentTask() {
        MlpTaskFamily family = MlpTaskFamily.builder().data(tinyData()).batchSize(8).build();
        MlpTask a = family.sample(5);
        MlpTask b = family.sample(5);
        MlpTask c = family.sample(6);
        assertArrayEquals(a.initialParameters(), b.initialParameters());
        assertFalse(Arrays.equals(a.initialParameters(), c.initialParameters()));
        assertArrayEquals(a.minibatchRows(3), b.minibatchRows(3));
        assertFalse(Arrays.equals(a.minibatchRows(3), c.minibatchRows(3)));
        assertFalse(Arrays.equals(a.minibatchRows(3), a.minibatchRows(4)));
        // the batch of a step does not depend on the order of calls
        int[] first = a.minibatchRows(7);
        a.minibatchRows(0);
        a.minibatchRows(100);
        assertArrayEquals(first, a.minibatchRows(7));
        double[] theta = a.initialParameters();
        assertEquals(a.loss(theta, 9), b.loss(theta, 9), 0.0);
    }

    @Test
    void minibatchRowsAreDistinctAndCoverTheDataUniformly() {
        Dataset data = tinyData();
        MlpTask task = MlpTaskFamily.builder().data(data).batchSize(50).build().sample(0);
        int[] hits = new int[data.rows()];
        for (long t = 0; t < 600; t++) {
            int[] rows = task.minibatchRows(t);
            Set<Integer> distinct = new HashSet<>();
            for (int r : rows) {
                assertTrue(r >= 0 && r < data.rows(), "row " + r);
                distinct.add(r);
                hits[r]++;
            }
            assertEquals(50, distinct.size());
        }
        // each row is expected 600 * 50 / 60 = 500 times
        for (int h : hits) {
            assertTrue(h > 400 && h < 600, "row hit " + h + " times");
        }
        // the whole split as one batch
        int[] full =
                MlpTaskFamily.builder().data(data).batchSize(60).build().sample(1).minibatchRows(0);
        Arrays.sort(full);
        assertArrayEquals(all(60), full);
    }

    @Test
    void initializationsHaveTheDocumentedScale() {
        MlpTaskFamily normal =
                MlpTaskFamily.builder().data(tinyData()).hiddenUnits(200).batchSize(8).build();
        double[] p = normal.sample(0).initialParameters();
        double sum = 0;
        double sq = 0;
        for (double v : p) {
            sum += v;
            sq += v * v;
        }
        assertEquals(0.0, sum / p.length, 0.002);
        assertEquals(0.01, Math.sqrt(sq / p.length), 0.001);

        MlpTaskFamily glorot =
                MlpTaskFamily.builder()
                        .data(tinyData())
                        .hiddenUnits(200)
                        .batchSize(8)
                        .init(MlpTaskFamily.Init.GLOROT)
                        .build();
        MlpTask g = glorot.sample(0);
        double[] q = g.initialParameters();
        double limit = Math.sqrt(6.0 / (7 + 200));
        double max = 0;
        for (int i = 0; i < 7 * 200; i++) {
            max = Math.max(max, Math.abs(q[i]));
        }
        assertTrue(max <= limit && max > 0.95 * limit, "max |w| " + max + " limit " + limit);
        for (int i = g.biasOffset(0); i < g.biasOffset(0) + 200; i++) {
            assertEquals(0.0, q[i], 0.0);
        }
    }

    @Test
    void logitsFarOutOfRangeGiveFiniteLossAndGradient() {
        MlpTaskFamily family =
                MlpTaskFamily.builder().data(tinyData()).hiddenLayers(0).batchSize(8).build();
        MlpTask task = family.sample(0);
        double[] theta = new double[task.dimension()];
        Arrays.fill(theta, 800.0); // exp(800) overflows a double
        for (int o = 0; o < 4; o += 2) {
            theta[task.biasOffset(0) + o] = -2000.0;
        }
        double[] grad = new double[task.dimension()];
        double loss = task.lossAndGradient(theta, 0, grad);
        assertTrue(Double.isFinite(loss) && loss >= 0, "loss " + loss);
        for (double g : grad) {
            assertTrue(Double.isFinite(g));
        }
        assertEquals(1.0, Activation.sigmoid(1e300), 0.0);
        assertEquals(0.0, Activation.sigmoid(-1e4), 0.0);
        assertEquals(1.0, Activation.sigmoid(1e4), 0.0);
    }

    @Test
    void sgdOnThePaperMlpReducesTheLoss() {
        MlpTask task =
                MlpTaskFamily.builder().dataDir(java.nio.file.Path.of("bundled")).build().sample(4);
        double[] theta = task.initialParameters();
        double[] grad = new double[task.dimension()];
        double first = task.loss(theta, 1000);
        for (long t = 0; t < 100; t++) {
            task.lossAndGradient(theta, t, grad);
            for (int i = 0; i < theta.length; i++) {
                theta[i] -= 1.0 * grad[i];
            }
        }
        double last = task.loss(theta, 1000); // a batch not used for training
        assertTrue(last < 0.6 * first, "loss " + first + " -> " + last);
        assertTrue(task.accuracy(theta, 0, 1000) > 0.6);
    }

    @Test
    void differentTasksRunConcurrentlyWithTheSameResults() throws Exception {
        MlpTaskFamily family =
                MlpTaskFamily.builder().dataDir(java.nio.file.Path.of("bundled")).build();
        int n = 4;
        double[] expected = new double[n];
        for (int s = 0; s < n; s++) {
            expected[s] = run(family.sample(s));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Double>> futures = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                MlpTask task = family.sample(s);
                futures.add(pool.submit(() -> run(task)));
            }
            for (int s = 0; s < n; s++) {
                assertEquals(expected[s], futures.get(s).get(), 0.0);
            }
        } finally {
            pool.shutdown();
        }
    }

    private static double run(Task task) {
        double[] theta = task.initialParameters();
        double[] grad = new double[task.dimension()];
        double loss = 0;
        for (long t = 0; t < 10; t++) {
            loss = task.lossAndGradient(theta, t, grad);
            for (int i = 0; i < theta.length; i++) {
                theta[i] -= 0.5 * grad[i];
            }
        }
        return loss;
    }

    @Test
    void badArgumentsAreReported() {
        MlpTaskFamily.Builder b = MlpTaskFamily.builder().data(tinyData());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> b.batchSize(61).build());
        assertTrue(e.getMessage().contains("61") && e.getMessage().contains("60"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.batchSize(8).hiddenUnits(0).build());
        assertThrows(
                IllegalArgumentException.class, () -> b.hiddenUnits(3).hiddenLayers(-1).build());
        MlpTask task = b.hiddenLayers(1).build().sample(0);
        IllegalArgumentException e2 =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> task.lossAndGradient(new double[3], 0, new double[task.dimension()]));
        assertTrue(e2.getMessage().contains("theta"), e2.getMessage());
    }

    @Test
    void nameDescribesTheVariant() {
        MlpTaskFamily f =
                MlpTaskFamily.builder()
                        .dataDir(java.nio.file.Path.of("bundled"))
                        .dataset("fashion-mnist")
                        .split(Split.TEST)
                        .activation(Activation.RELU)
                        .build();
        assertEquals(
                "mnist-mlp(dataset=fashion-mnist,split=test,hidden=20,layers=1,activation=relu,"
                        + "batch=128,init=normal)",
                f.name());
        assertTrue(f.sample(2).name().endsWith("[seed=2]"));
    }
}
