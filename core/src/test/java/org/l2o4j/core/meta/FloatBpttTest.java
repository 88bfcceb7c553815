package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;

/**
 * The float training kernels (vector and scalar) against the double-precision {@link DoubleBptt}
 * oracle: same weights, same initial state, same gradient sequence; the forward updates agree to
 * float precision and the meta-gradient to 1e-4 relative (norm of the difference over the norm).
 */
class FloatBpttTest {
    static final double TOLERANCE = 1e-4;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        String[] weightings = {"uniform", "final", "linear", "discounted:0.9"};
        for (Kernel kind : Kernel.values()) {
            for (Preprocessing pre : Preprocessing.values()) {
                for (String w : weightings) {
                    out.add(Arguments.of(kind, pre, w, true));
                    out.add(Arguments.of(kind, pre, w, false));
                }
            }
        }
        return out.stream();
    }

    /** A gradient value: mostly random magnitudes 1e-8..1e2, some extreme or special ones. */
    static double gradient(SplittableRandom rng, int i, boolean extremes) {
        double sign = rng.nextBoolean() ? 1 : -1;
        switch (extremes ? i % 23 : 22) {
            case 0:
                return 0.0;
            case 1:
                return sign * 1e-30;
            case 2:
                return sign * 1e30;
            case 3:
                return sign * Float.MIN_VALUE * (1 + rng.nextInt(1000)); // float subnormal
            case 4:
                return sign * Double.MIN_VALUE * 7; // double subnormal (0 in float)
            case 5:
                return -0.0;
            default:
                return sign * Math.pow(10, -8 + 10 * rng.nextDouble());
        }
    }

    /**
     * With extremes, a quarter of the gradients are 0, -0, +-1e-30, +-1e30 or subnormal (float or
     * double); without, all are random magnitudes 1e-8..1e2 (then the 1e30 gradients do not
     * dominate the norm of the meta-gradient).
     */
    @ParameterizedTest(name = "{0} {1} {2} extremes={3}")
    @MethodSource("cases")
    void metaGradientMatchesDoubleOracle(
            Kernel kind, Preprocessing pre, String weighting, boolean extremes) {
        LstmConfig c = LstmConfig.builder().preprocessing(pre).build();
        long seed = 31L * pre.ordinal() + weighting.hashCode() + (extremes ? 7 : 0);
        double rel = compare(c, kind, MetaLossWeighting.parse(weighting), seed, 150, 9, extremes);
        assertTrue(rel <= TOLERANCE, "relative meta-gradient error " + rel);
    }

    /** A smaller architecture with odd sizes (padding of column groups). */
    @ParameterizedTest
    @MethodSource("kinds")
    void oddSizes(Kernel kind) {
        LstmConfig c = LstmConfig.builder().layers(3).hidden(7).build();
        double rel = compare(c, kind, MetaLossWeighting.linear(), 5, 70, 6, true);
        assertTrue(rel <= TOLERANCE, "relative meta-gradient error " + rel);
        LstmConfig d =
                LstmConfig.builder().layers(1).hidden(5).preprocessing(Preprocessing.NONE).build();
        rel = compare(d, kind, MetaLossWeighting.uniform(), 6, 10, 3, true);
        assertTrue(rel <= TOLERANCE, "relative meta-gradient error " + rel);
    }

    static Stream<Kernel> kinds() {
        return Stream.of(Kernel.values());
    }

    /**
     * Runs {@code steps} tracked steps on {@code n} coordinates with both kernels and returns the
     * relative meta-gradient difference; asserts the updates agree.
     */
    static double compare(
            LstmConfig c,
            Kernel kind,
            MetaLossWeighting weighting,
            long seed,
            int n,
            int steps,
            boolean extremes) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] phi = MetaTrainer.initialParameters(c, seed);
        for (int p = 0; p < phi.length; p++) {
            phi[p] += 0.3 * rng.nextGaussian();
        }
        // round to float so both kernels see the same weights
        phi = MetaTrainer.toDouble(MetaTrainer.toFloat(phi));
        DoubleBptt dk = new DoubleBptt(c);
        FloatBptt fk = FloatBptt.create(c, kind);
        assertEquals(kind == Kernel.VECTOR ? "float-vector" : "float-scalar", fk.id());
        fk.prepare(phi);
        int rows = fk.stateRows();
        float[] state = new float[rows * n];
        for (int i = 0; i < state.length; i++) {
            state[i] = (float) (0.5 * rng.nextGaussian());
        }
        double[][] grads = new double[steps + 1][n];
        for (double[] g : grads) {
            for (int i = 0; i < n; i++) {
                g[i] = gradient(rng, i + rng.nextInt(3), extremes);
            }
        }
        double[] w = weighting.weights(steps);
        double[] wNext = new double[steps];
        for (int u = 0; u < steps; u++) {
            wNext[u] = w[u + 1];
        }
        double[][] gradNext = java.util.Arrays.copyOfRange(grads, 1, steps + 1);
        int nb = (n + DoubleBptt.BLOCK - 1) / DoubleBptt.BLOCK;
        double[] accD = new double[c.numParameters()];
        double[] accF = new double[c.numParameters()];
        double[] upD = new double[n];
        double[] upF = new double[n];
        float[] stateF = state.clone();
        for (int b = 0; b < nb; b++) {
            int start = b * DoubleBptt.BLOCK;
            int width = Math.min(DoubleBptt.BLOCK, n - start);
            DoubleBptt.Block db = dk.newBlock(start, width);
            db.ensureTracking(steps);
            for (int k = 0; k < rows; k++) {
                for (int i = 0; i < width; i++) {
                    db.state[k * width + i] = state[k * n + start + i];
                }
            }
            FloatBptt.Storage fs = fk.newStorage(steps);
            fk.loadState(fs, stateF, n, start, width);
            for (int u = 0; u < steps; u++) {
                dk.forward(phi, db, grads[u], upD, u, true);
                fk.forward(fs, start, width, grads[u], upF, u);
                double max = 0;
                for (int i = start; i < start + width; i++) {
                    max = Math.max(max, Math.abs(upD[i]));
                }
                for (int i = start; i < start + width; i++) {
                    assertEquals(upD[i], upF[i], 1e-5 * max + 1e-30, "step " + u + " coord " + i);
                }
            }
            java.util.Arrays.fill(db.acc, 0);
            dk.backward(phi, db, gradNext, wNext, steps);
            fk.backward(fs, start, width, gradNext, wNext, steps);
            for (int p = 0; p < accD.length; p++) {
                accD[p] += db.acc[p];
                accF[p] += fs.acc[p];
            }
            fk.storeState(fs, steps - 1, stateF, n, start, width);
            db.commitTrackedState(steps - 1);
            for (int k = 0; k < rows; k++) {
                for (int i = 0; i < width; i++) {
                    assertEquals(db.state[k * width + i], stateF[k * n + start + i], 1e-4, "state");
                }
            }
        }
        double num = 0;
        double den = 0;
        for (int p = 0; p < accD.length; p++) {
            double d = accF[p] - accD[p];
            num += d * d;
            den += accD[p] * accD[p];
        }
        assertTrue(den > 0, "zero meta-gradient");
        return Math.sqrt(num / den);
    }

    static Stream<Arguments> truncationCases() {
        List<Arguments> out = new ArrayList<>();
        for (Preprocessing pre : Preprocessing.values()) {
            for (String w : new String[] {"uniform", "final", "linear", "discounted:0.8"}) {
                out.add(Arguments.of(pre, w));
            }
        }
        return out.stream();
    }

    /**
     * One truncation of a real rollout (quadratic tasks, all coordinates tracked, then a subsample
     * with the float inference kernel for the rest): the float truncator's meta-gradient agrees
     * with the double one's; the optimizee feels the small differences of the updates.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("truncationCases")
    void truncationMatchesDoubleOracle(Preprocessing pre, String weighting) {
        LstmConfig c = LstmConfig.builder().preprocessing(pre).build();
        int horizon = 12;
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        double[] phi =
                MetaTrainer.toDouble(MetaTrainer.toFloat(MetaTrainer.initialParameters(c, 4)));
        org.l2o4j.core.task.QuadraticTaskFamily fam = new org.l2o4j.core.task.QuadraticTaskFamily();
        org.l2o4j.core.task.Task[] tasks = new org.l2o4j.core.task.Task[20];
        for (int m = 0; m < tasks.length; m++) {
            tasks[m] = fam.sample(100 + m);
        }
        DoubleBptt dk = new DoubleBptt(c);
        FloatBptt fk = FloatBptt.create(c);
        for (int subsample = 0; subsample < 2; subsample++) {
            double[] gd = new double[phi.length];
            double[] gf = new double[phi.length];
            try (Workers workers = new Workers(2)) {
                Rollout rd = new Rollout(dk, tasks, new SplittableRandom(1), null, true);
                Rollout rf = new Rollout(dk, tasks, new SplittableRandom(1), null, false);
                int nb = rd.numBlocks;
                int[] tracked = subsample == 0 ? range(nb) : new int[] {0, nb / 2};
                Truncator td = new Truncator(dk, workers, rd, w, horizon);
                Truncator tf =
                        new Truncator(
                                dk,
                                fk,
                                workers,
                                rf,
                                w,
                                horizon,
                                new ArrayList<>(),
                                new ArrayList<>());
                // two truncations: the second starts from the first's state
                for (int k = 0; k < 2; k++) {
                    td.run(phi, k * 6, 6, tracked, new double[tasks.length], gd);
                    tf.run(phi, k * 6, 6, tracked, new double[tasks.length], gf);
                    double num = 0;
                    double den = 0;
                    for (int p = 0; p < gd.length; p++) {
                        num += (gf[p] - gd[p]) * (gf[p] - gd[p]);
                        den += gd[p] * gd[p];
                    }
                    if (den == 0) { // a truncation with zero weights (final weighting)
                        assertEquals(0.0, num);
                        continue;
                    }
                    double rel = Math.sqrt(num / den);
                    assertTrue(
                            rel <= TOLERANCE,
                            "subsample " + subsample + " truncation " + k + ": " + rel);
                }
            }
        }
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Results of a block do not depend on which storage or in which order blocks ran. */
    @Test
    void blockResultsAreIndependentOfOrder() {
        LstmConfig c = LstmConfig.builder().build();
        for (Kernel kind : Kernel.values()) {
            FloatBptt fk = FloatBptt.create(c, kind);
            double[] phi = MetaTrainer.initialParameters(c, 9);
            fk.prepare(phi);
            int n = 128;
            int steps = 5;
            SplittableRandom rng = new SplittableRandom(2);
            double[][] g = new double[steps + 1][n];
            for (double[] r : g) {
                for (int i = 0; i < n; i++) {
                    r[i] = rng.nextGaussian() * 0.01;
                }
            }
            double[] wNext = {0.1, 0.2, 0.3, 0.2, 0.2};
            double[][] gn = java.util.Arrays.copyOfRange(g, 1, steps + 1);
            float[] state = new float[fk.stateRows() * n];
            double[] up = new double[n];
            double[][] acc = new double[2][];
            for (int rep = 0; rep < 2; rep++) {
                FloatBptt.Storage[] st = {fk.newStorage(steps), fk.newStorage(steps)};
                int first = rep; // block 0 first, then block 1 first
                for (int o = 0; o < 2; o++) {
                    int b = (first + o) % 2;
                    fk.loadState(st[b], state, n, 64 * b, 64);
                    for (int u = 0; u < steps; u++) {
                        fk.forward(st[b], 64 * b, 64, g[u], up, u);
                    }
                    fk.backward(st[b], 64 * b, 64, gn, wNext, steps);
                }
                acc[rep] = st[0].acc.clone();
                for (int p = 0; p < acc[rep].length; p++) {
                    acc[rep][p] += st[1].acc[p];
                }
            }
            assertArrayEquals(acc[0], acc[1], 0.0);
        }
    }

    /**
     * A step stores {@code in_0 + 6 H L} floats per coordinate (no tanh(c) rows: the backward
     * recomputes them), and the heap estimate of a float meta-training counts exactly those, the
     * double one its {@code in_0 + 7 H L} doubles.
     */
    @Test
    void storageHasNoTanhRowsAndTheHeapEstimateCountsIt() {
        LstmConfig c = LstmConfig.paperDefaults();
        for (Kernel kind : Kernel.values()) {
            FloatBptt fk = FloatBptt.create(c, kind);
            assertEquals(2 + 6 * 20 * 2, fk.rowsPerStep);
            assertEquals(242 * FloatBptt.W, fk.newStorage(3).steps[0].length);
        }
        assertEquals(282, new DoubleBptt(c).rowsPerStep);
        MetaTrainingConfig.Builder b =
                MetaTrainingConfig.builder()
                        .taskFamily(new org.l2o4j.core.task.QuadraticTaskFamily())
                        .lstmConfig(c)
                        .iterations(1)
                        .coordinateSubsample(0);
        assertEquals(
                "stored activations 968 B/coordinate/step x 20 steps x 6400 coordinates",
                activationTerm(b.trainKernel(BpttPrecision.FLOAT).build()));
        assertEquals(
                "stored activations 2256 B/coordinate/step x 20 steps x 6400 coordinates",
                activationTerm(b.trainKernel(BpttPrecision.DOUBLE).build()));
    }

    private static String activationTerm(MetaTrainingConfig config) {
        return HeapEstimate.metaTraining(config, 6400).terms().stream()
                .map(HeapEstimate.Term::what)
                .filter(w -> w.startsWith("stored activations"))
                .findFirst()
                .orElseThrow();
    }
}
