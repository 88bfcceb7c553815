package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * The MLP cell and its features against a plain double reference written independently here, plus
 * its state size, determinism over threads and the zero-gradient policy.
 */
class MlpCellTest {

    static LstmConfig config(String features, CellActivation act, int layers, int hidden) {
        return LstmConfig.builder()
                .cell(CellType.MLP)
                .features(FeatureSet.parse(features))
                .activation(act)
                .layers(layers)
                .hidden(hidden)
                .outputScale(0.05)
                .build();
    }

    static final String ALL = "log-sign,grad,rms,mom:0.5,mom:0.9,mom:0.99";

    /** Plain reference: per-coordinate state {t, v, m...} in double, direct formulas. */
    static final class Reference {
        final LstmConfig c;
        final double[] phi;
        final double[][] st;

        Reference(LstmConfig c, double[] phi, int n) {
            this.c = c;
            this.phi = phi;
            this.st = new double[n][c.stateSizePerCoordinate()];
        }

        double step(int i, double g) {
            return network(features(i, g));
        }

        /** Advances coordinate {@code i}'s statistics and returns its features. */
        double[] features(int i, double g) {
            FeatureSet fs = c.features();
            double[] s = st[i];
            double[] x = new double[fs.columns()];
            boolean stats = s.length > 0;
            double rmsDen = 0;
            if (stats) {
                s[0] += 1;
                s[1] = 0.999 * s[1] + 0.001 * g * g;
                double vhat = s[1] / (1 - Math.pow(0.999, s[0]));
                rmsDen = Math.sqrt(vhat) + 1e-8;
            }
            int col = 0;
            int m = 0;
            for (FeatureSet.Feature f : fs.features()) {
                switch (f.kind()) {
                    case LOG_SIGN:
                        double p = c.logSignP();
                        if (Math.abs(g) >= (float) Math.exp(-p)) {
                            x[col++] = Math.log(Math.abs(g)) / p;
                            x[col++] = Math.signum(g);
                        } else {
                            x[col++] = -1;
                            x[col++] = (float) Math.exp(p) * g;
                        }
                        break;
                    case GRAD:
                        x[col++] = g;
                        break;
                    case RMS:
                        x[col++] = g / rmsDen;
                        break;
                    default:
                        double b = f.decay();
                        s[2 + m] = b * s[2 + m] + (1 - b) * g;
                        x[col++] = s[2 + m] / (1 - Math.pow(b, s[0])) / rmsDen;
                        m++;
                }
            }
            return x;
        }

        double network(double[] x) {
            double[] h = x;
            int off = 0;
            for (int l = 0; l < c.layers(); l++) {
                int in = h.length;
                double[] o = new double[c.hidden()];
                int bias = off + c.hidden() * in;
                for (int j = 0; j < c.hidden(); j++) {
                    double z = phi[bias + j];
                    for (int k = 0; k < in; k++) {
                        z += phi[off + j * in + k] * h[k];
                    }
                    o[j] = c.activation() == CellActivation.RELU ? Math.max(0, z) : Math.tanh(z);
                }
                off = bias + c.hidden();
                h = o;
            }
            double out = phi[off + c.hidden()];
            for (int j = 0; j < c.hidden(); j++) {
                out += phi[off + j] * h[j];
            }
            return c.outputScale() * out;
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static float gradient(Random r) {
        return (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(7)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "tanh"})
    void floatInferenceMatchesDoubleReference(String act) {
        LstmConfig c = config(ALL, CellActivation.fromId(act), 2, 12);
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 3);
        int n = 37;
        LstmOptimizer opt = LstmOptimizer.of(w).withThreads(1);
        OptimizerState s = opt.newState(n);
        Reference ref = new Reference(c, toDouble(w.parameters()), n);
        Random r = new Random(5);
        float[] g = new float[n];
        float[] u = new float[n];
        double maxErr = 0;
        for (int t = 0; t < 40; t++) {
            for (int i = 0; i < n; i++) {
                g[i] = gradient(r);
            }
            opt.step(s, g, u);
            for (int i = 0; i < n; i++) {
                double want = ref.step(i, g[i]);
                maxErr = Math.max(maxErr, Math.abs(want - u[i]));
                assertEquals(want, u[i], 2e-5 * c.outputScale(), "step " + t + " coordinate " + i);
            }
        }
        assertTrue(maxErr > 0 || act.equals("relu"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "tanh"})
    void doubleForwardMatchesReference(String act) {
        LstmConfig c = config(ALL, CellActivation.fromId(act), 3, 7);
        double[] phi = toDouble(LstmKernelOracleTest.randomWeights(c, 4).parameters());
        MlpCell cell = new MlpCell(c);
        int w = 9;
        int rows = cell.rowsPerStep();
        double[] prev = new double[cell.stateRows() * w];
        double[] buf = new double[rows * w];
        double[] grad = new double[w];
        double[] upd = new double[w];
        Reference ref = new Reference(c, phi, w);
        Random r = new Random(6);
        for (int t = 0; t < 25; t++) {
            for (int i = 0; i < w; i++) {
                grad[i] = r.nextGaussian() * Math.pow(10, -r.nextInt(6));
            }
            cell.forward(phi, prev, 0, grad, 0, upd, 0, buf, w);
            System.arraycopy(buf, cell.stateRowBase() * w, prev, 0, prev.length);
            for (int i = 0; i < w; i++) {
                double want = ref.step(i, grad[i]);
                assertEquals(want, upd[i], 1e-12 * (1 + Math.abs(want)), "step " + t);
            }
        }
    }

    @Test
    void stateIsOnlyTheFeatureStatisticsAndFitsIn32Bytes() {
        LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(32).build();
        assertEquals(FeatureSet.MLP_DEFAULT, c.features());
        LstmOptimizer opt = LstmOptimizer.of(LstmKernelOracleTest.randomWeights(c, 1));
        // t, v and three momenta
        assertEquals(5, opt.stateSizePerCoordinate());
        assertTrue(4L * opt.stateSizePerCoordinate() <= 32);
        assertEquals(20, StateType.FLOAT32.bytesPerCoordinate(c));
        assertEquals(
                0, config("log-sign,grad", CellActivation.RELU, 1, 4).stateSizePerCoordinate());
        assertThrows(
                UnsupportedOperationException.class, () -> opt.withStateType(StateType.BFLOAT16));
    }

    @Test
    void resultsDoNotDependOnThreads() {
        LstmConfig c = config(ALL, CellActivation.RELU, 2, 8);
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 8);
        int n = 3 * 4096 + 4096 + 21;
        float[][] results = new float[3][];
        int[] threads = {1, 2, 4};
        for (int k = 0; k < threads.length; k++) {
            LstmOptimizer opt = LstmOptimizer.of(w).withThreads(threads[k]);
            OptimizerState s = opt.newState(n);
            Random r = new Random(9);
            float[] g = new float[n];
            float[] u = new float[n];
            float[] acc = new float[n];
            for (int t = 0; t < 5; t++) {
                for (int i = 0; i < n; i++) {
                    g[i] = gradient(r);
                }
                opt.step(s, g, u);
                for (int i = 0; i < n; i++) {
                    acc[i] += u[i];
                }
            }
            float[] all = new float[2 * n + s.data().length];
            System.arraycopy(acc, 0, all, 0, n);
            System.arraycopy(u, 0, all, n, n);
            System.arraycopy(s.data(), 0, all, 2 * n, s.data().length);
            results[k] = all;
        }
        assertArrayEquals(results[0], results[1]);
        assertArrayEquals(results[0], results[2]);
    }

    @Test
    void zeroGradientCoordinateStaysPutUnderFreeze() {
        LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(32).build();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 12);
        LstmOptimizer opt = LstmOptimizer.of(w).withThreads(1);
        assertEquals(ZeroGradientPolicy.FREEZE, opt.zeroGradientPolicy());
        int n = 20;
        OptimizerState s = opt.newState(n);
        float[] theta = new float[n];
        float[] g = new float[n];
        float[] u = new float[n];
        Random r = new Random(2);
        double moved = 0;
        for (int t = 0; t < 1000; t++) {
            for (int i = 0; i < n; i++) {
                g[i] = i == 7 ? (t % 2 == 0 ? 0f : -0f) : gradient(r);
            }
            opt.step(s, g, u);
            for (int i = 0; i < n; i++) {
                theta[i] += u[i];
            }
            moved += Math.abs(u[7]);
        }
        assertTrue(moved < 1e-6, "moved " + moved);
        assertEquals(0f, theta[7]);
        for (int k = 0; k < opt.stateSizePerCoordinate(); k++) {
            assertEquals(0f, s.data()[k * n + 7], "state row " + k);
        }
        // the others did move
        assertTrue(Math.abs(theta[3]) > 0);
        // and under UPDATE the zero-gradient coordinate gets the network's output
        LstmOptimizer upd = opt.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        OptimizerState s2 = upd.newState(1);
        float[] u1 = new float[1];
        upd.step(s2, new float[] {0f}, u1);
        Reference ref = new Reference(c, toDouble(w.parameters()), 1);
        assertEquals(ref.step(0, 0.0), u1[0], 1e-6);
    }

    @Test
    void skipsNonFiniteGradientsUnderSkip() {
        LstmConfig c = config(ALL, CellActivation.TANH, 1, 5);
        LstmOptimizer opt =
                LstmOptimizer.of(LstmKernelOracleTest.randomWeights(c, 2))
                        .withNonFinitePolicy(NonFinitePolicy.SKIP);
        OptimizerState s = opt.newState(3);
        float[] u = new float[3];
        opt.step(s, new float[] {Float.NaN, 1e-3f, Float.POSITIVE_INFINITY}, u);
        assertEquals(0f, u[0]);
        assertEquals(0f, u[2]);
        assertTrue(u[1] != 0f);
        assertEquals(2, s.skippedCount());
    }

    @Test
    void configValidationNamesWhatIsWrong() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> FeatureSet.parse("rms,adam"));
        assertTrue(e.getMessage().contains("'adam'") && e.getMessage().contains("expected"));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LstmConfig.builder().features(FeatureSet.parse("rms")).build());
        assertTrue(e.getMessage().contains("lstm"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CellType.fromId("rnn"));
        assertTrue(e.getMessage().contains("'rnn'") && e.getMessage().contains("mlp, gru"));
        // the lstm keeps today's config: its features are its preprocessing
        assertEquals(FeatureSet.LOG_SIGN, LstmConfig.paperDefaults().features());
        assertEquals(
                LstmConfig.paperDefaults(),
                LstmConfig.builder().features(FeatureSet.LOG_SIGN).build());
        assertEquals(
                "mlp 2x32 relu, features rms,mom:0.5,mom:0.9,mom:0.99, head linear, output scale"
                        + " 0.1",
                LstmConfig.builder().cell(CellType.MLP).hidden(32).build().toString());
    }
}
