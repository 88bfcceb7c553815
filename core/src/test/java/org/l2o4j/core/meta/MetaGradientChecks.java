package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.task.Task;

/**
 * The finite-difference check of the first-order meta-gradient shared by the cells' meta-training
 * tests ({@link MlpMetaTrainingTest}, {@link GruMetaTrainingTest}): the double training pass's
 * gradient over all blocks against fourth-order central differences of the rollout's meta-loss.
 */
final class MetaGradientChecks {
    private MetaGradientChecks() {}

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
            DoubleBptt k, double[] phi, Task[] tasks, double[] w, int horizon) {
        double h = 1e-5;
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
