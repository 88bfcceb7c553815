package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.l2o4j.core.optim.OptimizerState;

/** The GRU cell against a plain double reference written here; threads, FREEZE, state size. */
class GruCellTest {
    static LstmConfig config(String features, int layers, int hidden) {
        return LstmConfig.builder()
                .cell(CellType.GRU)
                .features(FeatureSet.parse(features))
                .layers(layers)
                .hidden(hidden)
                .outputScale(0.05)
                .build();
    }

    /** Plain reference: features by MlpCellTest's reference, GRU layers by the formulas. */
    static final class Reference {
        final LstmConfig c;
        final double[] phi;
        final MlpCellTest.Reference feats;
        final double[][][] h;

        Reference(LstmConfig c, double[] phi, int n) {
            this.c = c;
            this.phi = phi;
            // an MLP reference with the same features computes them (its network is unused)
            LstmConfig fc =
                    LstmConfig.builder()
                            .cell(CellType.MLP)
                            .features(c.features())
                            .logSignP(c.logSignP())
                            .layers(1)
                            .hidden(1)
                            .build();
            this.feats = new MlpCellTest.Reference(fc, new double[fc.numParameters()], n);
            this.h = new double[n][c.layers()][c.hidden()];
        }

        static double sig(double x) {
            return 1 / (1 + Math.exp(-x));
        }

        double step(int i, double g) {
            return step(i, g, Double.NaN);
        }

        /** A step with the parameter value {@code theta} (the {@code param} feature). */
        double step(int i, double g, double theta) {
            double[] x = feats.features(i, g, theta);
            int hd = c.hidden();
            int off = 0;
            for (int l = 0; l < c.layers(); l++) {
                int in = x.length;
                int wih = off;
                int whh = wih + 3 * hd * in;
                int bih = whh + 3 * hd * hd;
                int bhh = bih + 3 * hd;
                double[] hp = h[i][l];
                double[] hn = new double[hd];
                for (int j = 0; j < hd; j++) {
                    double[] gi = new double[3];
                    double[] gh = new double[3];
                    for (int q = 0; q < 3; q++) {
                        int row = q * hd + j;
                        gi[q] = phi[bih + row];
                        for (int k = 0; k < in; k++) {
                            gi[q] += phi[wih + row * in + k] * x[k];
                        }
                        gh[q] = phi[bhh + row];
                        for (int k = 0; k < hd; k++) {
                            gh[q] += phi[whh + row * hd + k] * hp[k];
                        }
                    }
                    double r = sig(gi[0] + gh[0]);
                    double z = sig(gi[1] + gh[1]);
                    double nn = Math.tanh(gi[2] + r * gh[2]);
                    hn[j] = (1 - z) * nn + z * hp[j];
                }
                h[i][l] = hn;
                x = hn;
                off = bhh + 3 * hd;
            }
            double out = phi[off + hd];
            for (int j = 0; j < hd; j++) {
                out += phi[off + j] * x[j];
            }
            return c.outputScale() * out;
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "log-sign,rms,mom:0.9",
                "log-sign,rms,param,mom:0.9",
                "rms,time:3,mom:0.9",
                "rms,early:3,mom:0.9"
            })
    void floatInferenceAndDoubleForwardMatchTheReference(String features) {
        LstmConfig c = config(features, 2, 6);
        boolean param = c.features().needsParam();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 3);
        double[] phi = MlpCellTest.toDouble(w.parameters());
        int n = 21;
        LstmOptimizer opt = LstmOptimizer.of(w).withThreads(1);
        OptimizerState s = opt.newState(n);
        assertEquals(3 + 12, opt.stateSizePerCoordinate());
        assertEquals(param, opt.needsParameters());
        Reference ref = new Reference(c, phi, n);
        GruCell cell = new GruCell(c);
        double[] state = new double[cell.stateRows() * n];
        double[] buf = new double[cell.rowsPerStep() * n];
        double[] gd = new double[n];
        double[] ud = new double[n];
        Random r = new Random(5);
        float[] g = new float[n];
        float[] u = new float[n];
        // the parameter values: float for the inference step, the same values in double
        float[] theta = new float[n];
        double[] thetaD = new double[n];
        for (int i = 0; i < n; i++) {
            theta[i] = (float) r.nextGaussian();
            thetaD[i] = theta[i];
        }
        for (int t = 0; t < 30; t++) {
            for (int i = 0; i < n; i++) {
                g[i] = MlpCellTest.gradient(r);
                gd[i] = g[i];
            }
            if (param) {
                opt.step(s, theta, g, u);
                cell.forward(phi, state, false, gd, thetaD, 0, ud, 0, buf, n);
            } else {
                opt.step(s, g, u);
                cell.forward(phi, state, false, gd, 0, ud, 0, buf, n);
            }
            cell.commitState(buf, state, n);
            for (int i = 0; i < n; i++) {
                double want = ref.step(i, g[i], theta[i]);
                assertEquals(want, ud[i], 1e-12 * (1 + Math.abs(want)), "double, step " + t);
                assertEquals(
                        want,
                        u[i],
                        // the param feature can make updates larger than the output scale:
                        // relative there; the other features keep the absolute bound
                        param
                                ? 2e-5
                                        * c.outputScale()
                                        * Math.max(1, Math.abs(want) / c.outputScale())
                                : 2e-5 * c.outputScale(),
                        "float, step " + t + " i " + i);
            }
            if (param) {
                for (int i = 0; i < n; i++) {
                    theta[i] += u[i];
                    thetaD[i] = theta[i];
                }
                // the gradient-only step refuses the param feature
                assertThrows(IllegalStateException.class, () -> opt.step(s, g, u));
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadsAndZeroGradientsFreeze() {
        LstmConfig c = config("rms,mom:0.5,mom:0.99", 1, 5);
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 8);
        int n = 4 * 4096 + 19;
        float[][] results = new float[2][];
        int[] threads = {1, 3};
        for (int k = 0; k < 2; k++) {
            LstmOptimizer opt = LstmOptimizer.of(w).withThreads(threads[k]);
            OptimizerState s = opt.newState(n);
            Random r = new Random(9);
            float[] g = new float[n];
            float[] u = new float[n];
            float[] theta = new float[n];
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < n; i++) {
                    g[i] = i % 101 == 5 ? 0f : MlpCellTest.gradient(r);
                }
                opt.step(s, g, u);
                for (int i = 0; i < n; i++) {
                    theta[i] += u[i];
                }
            }
            for (int i = 5; i < n; i += 101) {
                assertEquals(0f, theta[i]);
            }
            assertTrue(theta[6] != 0f);
            float[] all = new float[n + s.data().length];
            System.arraycopy(theta, 0, all, 0, n);
            System.arraycopy(s.data(), 0, all, n, s.data().length);
            results[k] = all;
        }
        assertArrayEquals(results[0], results[1]);
    }
}
