package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.QuadraticTaskFamily;
import org.l2o4j.core.task.Task;

/**
 * The whole unrolled first-order meta-gradient against finite differences of L(phi), on tasks where
 * the first-order gradient is exact: tasks whose gradient does not depend on theta.
 */
class FirstOrderMetaGradientTest {

    static Stream<Arguments> cases() {
        return Stream.of("uniform", "final", "linear", "discounted:0.7")
                .flatMap(
                        w ->
                                Stream.of(Preprocessing.NONE, Preprocessing.LOG_SIGN)
                                        .map(p -> Arguments.of(w, p)));
    }

    /** f_t(theta) = c_t . theta: the gradient sequence is fixed, so first-order == exact. */
    @ParameterizedTest
    @MethodSource("cases")
    void matchesFiniteDifferencesOnLinearTasks(String weighting, Preprocessing pre) {
        SplittableRandom rng = new SplittableRandom(weighting.hashCode());
        int horizon = 5;
        Task[] tasks = {linear(4, horizon, rng), linear(3, horizon, rng)};
        check(weighting, pre, tasks, horizon);
    }

    /**
     * On a quadratic the first-order gradient is the exact gradient of the surrogate in which the
     * optimizee gradients are frozen at their recorded values: replay them and compare with finite
     * differences of the surrogate.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void matchesFrozenGradientSurrogateOnQuadratics(String weighting, Preprocessing pre) {
        int horizon = 6;
        LstmConfig c = LstmConfig.builder().preprocessing(pre).layers(2).hidden(4).build();
        double[] phi = phi(c, 2);
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        DoubleBptt k = new DoubleBptt(c);
        Task quad = new QuadraticTaskFamily(3, 1.0).sample(9);
        // Record the gradient sequence of the real run.
        double[][] recorded = new double[horizon + 1][];
        Task recorder =
                new Task() {
                    @Override
                    public String name() {
                        return "recorder";
                    }

                    @Override
                    public int dimension() {
                        return 3;
                    }

                    @Override
                    public double[] initialParameters() {
                        return quad.initialParameters();
                    }

                    @Override
                    public double lossAndGradient(double[] theta, long t, double[] gradOut) {
                        double l = quad.lossAndGradient(theta, t, gradOut);
                        recorded[(int) t] = gradOut.clone();
                        return l;
                    }
                };
        double[] firstOrder;
        try (Workers workers = new Workers(1)) {
            firstOrder = gradient(k, workers, phi, new Task[] {recorder}, w, horizon);
        }
        Task replay = new Linear(quad.initialParameters(), recorded);
        double[] fd = finiteDifferences(k, phi, new Task[] {replay}, w, horizon);
        compare(fd, firstOrder);
    }

    private static void check(String weighting, Preprocessing pre, Task[] tasks, int horizon) {
        LstmConfig c = LstmConfig.builder().preprocessing(pre).layers(2).hidden(4).build();
        double[] phi = phi(c, 1);
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        DoubleBptt k = new DoubleBptt(c);
        double[] analytic;
        try (Workers workers = new Workers(2)) {
            analytic = gradient(k, workers, phi, tasks, w, horizon);
        }
        compare(finiteDifferences(k, phi, tasks, w, horizon), analytic);
    }

    private static void compare(double[] fd, double[] analytic) {
        double max = 0;
        for (double v : fd) {
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max > 0, "the meta-gradient must not vanish");
        for (int p = 0; p < fd.length; p++) {
            assertEquals(
                    fd[p],
                    analytic[p],
                    1e-6 * Math.max(Math.abs(fd[p]), 1e-3 * max),
                    "parameter " + p);
        }
    }

    /** The first-order meta-gradient of the mean (over tasks) meta-loss, one truncation. */
    private static double[] gradient(
            DoubleBptt k, Workers workers, double[] phi, Task[] tasks, double[] w, int horizon) {
        Rollout r = new Rollout(k, tasks, null, null);
        Truncator tr = new Truncator(k, workers, r, w, horizon);
        int[] all = new int[r.blocks.length];
        for (int b = 0; b < all.length; b++) {
            all[b] = b;
        }
        double[] g = new double[phi.length];
        tr.run(phi, 0, horizon, all, new double[tasks.length], g);
        for (int p = 0; p < g.length; p++) {
            g[p] /= tasks.length;
        }
        return g;
    }

    private static double[] finiteDifferences(
            DoubleBptt k, double[] phi, Task[] tasks, double[] w, int horizon) {
        // Five-point stencil, error O(h^4): round-off stays ~1e-12 relative.
        double h = 1e-4;
        double[] fd = new double[phi.length];
        try (Workers workers = new Workers(1)) {
            for (int p = 0; p < phi.length; p++) {
                double save = phi[p];
                double[] l = new double[4];
                double[] at = {2 * h, h, -h, -2 * h};
                for (int q = 0; q < 4; q++) {
                    phi[p] = save + at[q];
                    l[q] = MetaTrainer.rollout(k, workers, phi, tasks, w, horizon, false)[0];
                }
                phi[p] = save;
                fd[p] = (8 * (l[1] - l[2]) - (l[0] - l[3])) / (12 * h);
            }
        }
        return fd;
    }

    private static double[] phi(LstmConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] phi = MetaTrainer.initialParameters(c, seed);
        for (int p = 0; p < phi.length; p++) {
            phi[p] += rng.nextGaussian() * 0.3;
        }
        return phi;
    }

    private static Task linear(int dim, int horizon, SplittableRandom rng) {
        double[] theta0 = new double[dim];
        double[][] c = new double[horizon + 1][dim];
        for (int i = 0; i < dim; i++) {
            theta0[i] = rng.nextGaussian();
        }
        for (double[] row : c) {
            for (int i = 0; i < dim; i++) {
                row[i] = rng.nextGaussian() * Math.pow(10, rng.nextInt(3) - 1);
            }
        }
        return new Linear(theta0, c);
    }

    /** f_t(theta) = c_t . theta. */
    static final class Linear implements Task {
        private final double[] theta0;
        private final double[][] c;

        Linear(double[] theta0, double[][] c) {
            this.theta0 = theta0;
            this.c = c;
        }

        @Override
        public String name() {
            return "linear";
        }

        @Override
        public int dimension() {
            return theta0.length;
        }

        @Override
        public double[] initialParameters() {
            return theta0.clone();
        }

        @Override
        public double lossAndGradient(double[] theta, long t, double[] gradOut) {
            double[] ct = c[(int) t];
            double l = 0;
            for (int i = 0; i < theta.length; i++) {
                l += ct[i] * theta[i];
                gradOut[i] = ct[i];
            }
            return l;
        }
    }
}
