package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.OptimizerState;

class DoubleBpttTest {

    /** The double kernel agrees with the float LstmOptimizer, in both storage modes. */
    @ParameterizedTest
    @EnumSource(Preprocessing.class)
    void forwardMatchesLstmOptimizer(Preprocessing pre) {
        LstmConfig c = LstmConfig.builder().preprocessing(pre).build();
        float[] pf = MetaTrainer.toFloat(MetaTrainer.initialParameters(c, 5));
        double[] phi = MetaTrainer.toDouble(pf);
        // the double kernel has no zero-gradient rule: the float kernel as the meta-trainer uses it
        LstmOptimizer opt =
                LstmOptimizer.of(new LstmWeights(c, pf))
                        .withZeroGradientPolicy(ZeroGradientPolicy.UPDATE)
                        .withThreads(1);
        int n = 100; // a full block and a partial one
        OptimizerState st = opt.newState(n);
        DoubleBptt k = new DoubleBptt(c);
        DoubleBptt.Block[] untracked = {k.newBlock(0, 64), k.newBlock(64, 36)};
        DoubleBptt.Block[] tracked = {k.newBlock(0, 64), k.newBlock(64, 36)};
        int steps = 6;
        for (DoubleBptt.Block b : tracked) {
            b.ensureTracking(steps);
        }
        SplittableRandom rng = new SplittableRandom(11);
        for (int u = 0; u < steps; u++) {
            float[] gf = new float[n];
            double[] gd = new double[n];
            for (int i = 0; i < n; i++) {
                // magnitudes from 1e-7 to 1e3, some exact zeros
                double mag = Math.pow(10, -7 + 10 * rng.nextDouble());
                gf[i] = i % 17 == 0 ? 0f : (float) ((rng.nextBoolean() ? 1 : -1) * mag);
                gd[i] = gf[i];
            }
            float[] uf = new float[n];
            opt.step(st, gf, uf);
            double[] ud = new double[n];
            double[] ut = new double[n];
            for (DoubleBptt.Block b : untracked) {
                k.forward(phi, b, gd, ud, 0, false);
            }
            for (DoubleBptt.Block b : tracked) {
                k.forward(phi, b, gd, ut, u, true);
            }
            assertArrayEquals(ud, ut, 0.0, "tracked and untracked forward must agree exactly");
            double max = 0;
            for (float v : uf) {
                max = Math.max(max, Math.abs(v));
            }
            assertTrue(max > 0);
            for (int i = 0; i < n; i++) {
                assertEquals(uf[i], ud[i], 1e-5 * max, "step " + u + " coordinate " + i);
            }
        }
    }

    /**
     * The LSTM backward alone against central finite differences of J(phi) = sum_u c_u . update_u
     * with fixed inputs and a non-zero initial state.
     */
    @ParameterizedTest
    @EnumSource(Preprocessing.class)
    void backwardMatchesFiniteDifferences(Preprocessing pre) {
        LstmConfig c = LstmConfig.builder().preprocessing(pre).layers(2).hidden(3).build();
        DoubleBptt k = new DoubleBptt(c);
        SplittableRandom rng = new SplittableRandom(4);
        double[] phi = new double[c.numParameters()];
        for (int p = 0; p < phi.length; p++) {
            phi[p] = rng.nextGaussian() * 0.7;
        }
        int n = 5;
        int steps = 4;
        double[][] in = new double[steps][n];
        double[][] up = new double[steps][n];
        for (int u = 0; u < steps; u++) {
            for (int i = 0; i < n; i++) {
                in[u][i] = rng.nextGaussian() * Math.pow(10, rng.nextInt(4) - 2);
                up[u][i] = rng.nextGaussian();
            }
        }
        double[] state0 = new double[k.stateRows() * n];
        for (int i = 0; i < state0.length; i++) {
            state0[i] = rng.nextGaussian() * 0.5;
        }
        // lambda_u = sum_{v>=u} wNext[v] gradNext[v] = up[u] with wNext = 1, gradNext[u] = up[u] -
        // up[u+1]
        double[][] gradNext = new double[steps][n];
        double[] wNext = new double[steps];
        for (int u = 0; u < steps; u++) {
            wNext[u] = 1;
            for (int i = 0; i < n; i++) {
                gradNext[u][i] = up[u][i] - (u + 1 < steps ? up[u + 1][i] : 0);
            }
        }
        DoubleBptt.Block b = k.newBlock(0, n);
        b.ensureTracking(steps);
        System.arraycopy(state0, 0, b.state, 0, state0.length);
        double[] upd = new double[n];
        for (int u = 0; u < steps; u++) {
            k.forward(phi, b, in[u], upd, u, true);
        }
        java.util.Arrays.fill(b.acc, 0);
        k.backward(phi, b, gradNext, wNext, steps);
        double[] analytic = b.acc.clone();
        double eps = 1e-6;
        double maxAbs = 0;
        for (double v : analytic) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        for (int p = 0; p < phi.length; p++) {
            double save = phi[p];
            phi[p] = save + eps;
            double jp = objective(k, phi, state0, in, up);
            phi[p] = save - eps;
            double jm = objective(k, phi, state0, in, up);
            phi[p] = save;
            double fd = (jp - jm) / (2 * eps);
            assertEquals(
                    fd,
                    analytic[p],
                    1e-6 * Math.max(Math.abs(fd), 1e-2 * maxAbs),
                    "parameter " + p);
        }
    }

    private static double objective(
            DoubleBptt k, double[] phi, double[] state0, double[][] in, double[][] up) {
        int n = in[0].length;
        DoubleBptt.Block b = k.newBlock(0, n);
        System.arraycopy(state0, 0, b.state, 0, state0.length);
        double[] upd = new double[n];
        double j = 0;
        for (int u = 0; u < in.length; u++) {
            k.forward(phi, b, in[u], upd, 0, false);
            for (int i = 0; i < n; i++) {
                j += up[u][i] * upd[i];
            }
        }
        return j;
    }
}
