package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.task.QuadraticTaskFamily;
import org.l2o4j.core.task.Task;

/**
 * The finite-difference check of the first-order meta-gradient shared by {@link
 * FirstOrderMetaGradientTest} (the LSTM) and the other cells' meta-training tests ({@link
 * MlpMetaTrainingTest}, {@link GruMetaTrainingTest}): the double training pass's gradient over all
 * blocks against fourth-order central differences (step {@code h}) of the rollout's meta-loss.
 */
final class MetaGradientChecks {
    private MetaGradientChecks() {}

    /**
     * On tasks whose gradient does not depend on theta (first-order == exact): the gradient of the
     * mean meta-loss with the perturbed weights {@code phi(c, 1)}, on 2 threads.
     */
    static void checkOnTasks(LstmConfig c, String weighting, Task[] tasks, int horizon, double h) {
        double[] phi = phi(c, 1);
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        DoubleBptt k = new DoubleBptt(c);
        double[] analytic;
        try (Workers workers = new Workers(2)) {
            analytic = gradient(k, workers, phi, tasks, w, horizon);
        }
        compare(finiteDifferences(k, phi, tasks, w, horizon, h), analytic);
    }

    /**
     * On a quadratic the first-order gradient is the exact gradient of the surrogate in which the
     * optimizee gradients are frozen at their recorded values: record them in the real run, replay
     * them, and compare with finite differences of the surrogate (weights {@code phi(c, 2)}).
     */
    static void checkFrozenGradientSurrogate(
            LstmConfig c, String weighting, int horizon, double h) {
        double[] phi = phi(c, 2);
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        DoubleBptt k = new DoubleBptt(c);
        Task quad = new QuadraticTaskFamily(3, 1.0).sample(9);
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
        Task replay = new FirstOrderMetaGradientTest.Linear(quad.initialParameters(), recorded);
        Task[] replayed = {replay};
        if (k.needsTheta()) {
            // the param column frozen too: recorded along the (replayed) trajectory at phi
            double[][] thetas = new double[horizon][];
            try (Workers workers = new Workers(1)) {
                surrogateMeta(k, workers, phi, replayed, w, horizon, null, thetas);
            }
            compare(surrogateDifferences(k, phi, replayed, w, horizon, h, thetas), firstOrder);
            return;
        }
        compare(finiteDifferences(k, phi, replayed, w, horizon, h), firstOrder);
    }

    /**
     * With the {@code param} feature the first-order meta-gradient treats the parameter values fed
     * to the cell as inputs, like the gradients: it is the exact gradient of the surrogate in which
     * the param column is replayed from the trajectory at {@code phi} (recorded here) while the
     * parameters themselves still move with the updates. On tasks whose gradient does not depend on
     * theta: the first-order gradient (weights {@code phi(c, 1)}, 2 threads) against finite
     * differences of that surrogate. Also checks that the column matters: the finite differences of
     * the real objective (theta fed live) differ from the first-order gradient.
     */
    static void checkParamSurrogate(
            LstmConfig c, String weighting, Task[] tasks, int horizon, double h) {
        double[] phi = phi(c, 1);
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        DoubleBptt k = new DoubleBptt(c);
        assertTrue(k.needsTheta(), "the config must have the param feature");
        double[] analytic;
        double[][] thetas = new double[horizon][];
        try (Workers workers = new Workers(2)) {
            analytic = gradient(k, workers, phi, tasks, w, horizon);
            surrogateMeta(k, workers, phi, tasks, w, horizon, null, thetas);
        }
        double[] fd = surrogateDifferences(k, phi, tasks, w, horizon, h, thetas);
        compare(fd, analytic);
        double[] live = finiteDifferences(k, phi, tasks, w, horizon, h);
        double max = 0;
        double off = 0;
        for (int p = 0; p < fd.length; p++) {
            max = Math.max(max, Math.abs(fd[p]));
            off = Math.max(off, Math.abs(live[p] - analytic[p]));
        }
        assertTrue(
                off > 1e-4 * max,
                "feeding theta live should change the meta-gradient (" + off + " of " + max + ")");
    }

    /**
     * The meta-loss of the double forward (as {@link MetaTrainer#rollout}'s double path) with the
     * param column taken from {@code replay[s]} (position order) instead of the live parameters if
     * {@code replay} is not null; records the column fed at each step into {@code record} if not
     * null.
     */
    static double surrogateMeta(
            DoubleBptt k,
            Workers workers,
            double[] phi,
            Task[] tasks,
            double[] w,
            int horizon,
            double[][] replay,
            double[][] record) {
        Rollout r = new Rollout(k, tasks, null, null);
        int n = r.size;
        double[] grad = new double[n];
        double[] update = new double[n];
        double meta = 0;
        r.evaluate(workers, 0, grad);
        for (int s = 0; s < horizon; s++) {
            final double[] th = replay != null ? replay[s] : r.thetaPositions();
            if (record != null) {
                record[s] = th.clone();
            }
            workers.forEach(
                    r.blocks.length, b -> k.forward(phi, r.blocks[b], grad, th, update, 0, false));
            r.apply(update);
            r.evaluate(workers, s + 1, grad);
            meta += w[s + 1] * r.meanLoss();
        }
        return meta;
    }

    /** {@link #finiteDifferences} of {@link #surrogateMeta} with the param column replayed. */
    static double[] surrogateDifferences(
            DoubleBptt k,
            double[] phi,
            Task[] tasks,
            double[] w,
            int horizon,
            double h,
            double[][] replay) {
        double[] fd = new double[phi.length];
        try (Workers workers = new Workers(1)) {
            for (int p = 0; p < phi.length; p++) {
                double save = phi[p];
                double[] l = new double[4];
                double[] at = {2 * h, h, -h, -2 * h};
                for (int q = 0; q < 4; q++) {
                    phi[p] = save + at[q];
                    l[q] = surrogateMeta(k, workers, phi, tasks, w, horizon, replay, null);
                }
                phi[p] = save;
                fd[p] = (8 * (l[1] - l[2]) - (l[0] - l[3])) / (12 * h);
            }
        }
        return fd;
    }

    static void compare(double[] fd, double[] analytic) {
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

    static double[] gradient(
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

    static double[] finiteDifferences(
            DoubleBptt k, double[] phi, Task[] tasks, double[] w, int horizon, double h) {
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

    static double[] phi(LstmConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] phi = MetaTrainer.initialParameters(c, seed);
        for (int p = 0; p < phi.length; p++) {
            phi[p] += rng.nextGaussian() * 0.3;
        }
        return phi;
    }

    static Task linear(int dim, int horizon, SplittableRandom rng) {
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
        return new FirstOrderMetaGradientTest.Linear(theta0, c);
    }
}
