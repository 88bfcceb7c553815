package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    static final String ALL = "log-sign,grad,rms,mom:0.5,time:3,mom:0.9,early:5,mom:0.99,time:40";

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
            return network(features(i, g, Double.NaN));
        }

        /** A step with the parameter value {@code theta} (the {@code param} feature). */
        double step(int i, double g, double theta) {
            return network(features(i, g, theta));
        }

        /** Advances coordinate {@code i}'s statistics and returns its features. */
        double[] features(int i, double g, double theta) {
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
                    case PARAM:
                        x[col++] = theta;
                        break;
                    case TIME:
                        double clock = Math.tanh(s[0] / f.tau());
                        x[col++] = f.early() ? 1 - clock : clock;
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

    static final String WITH_PARAM = "rms,mom:0.5,param,log-sign,mom:0.9";

    /**
     * The param feature: the column is theta, the other columns are those of the set without it.
     */
    @Test
    void paramFeatureIsThetaAndLeavesTheOtherColumnsAlone() {
        FeatureSet with = FeatureSet.parse(WITH_PARAM);
        FeatureSet without = FeatureSet.parse("rms,mom:0.5,log-sign,mom:0.9");
        assertTrue(with.needsParam());
        assertTrue(!without.needsParam());
        assertEquals(without.columns() + 1, with.columns());
        assertEquals(without.stateRows(), with.stateRows());
        assertEquals(0, FeatureSet.parse("param").stateRows());
        double p = 10;
        double expP = (float) Math.exp(p);
        double expNegP = (float) Math.exp(-p);
        double[] stW = new double[with.stateRows()];
        double[] stO = new double[without.stateRows()];
        double[] xW = new double[with.columns()];
        double[] xO = new double[without.columns()];
        Random r = new Random(4);
        for (int t = 0; t < 20; t++) {
            double g = r.nextGaussian() * Math.pow(10, -r.nextInt(6));
            double theta = r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2);
            with.step(g, theta, stW, xW, 0, 1, expNegP, expP, 1 / p, null);
            without.step(g, stO, xO, 0, 1, expNegP, expP, 1 / p);
            assertArrayEquals(stO, stW, "state, step " + t);
            // columns: rms, mom:0.5, param, log-sign (2), mom:0.9
            assertEquals(theta, xW[2], 0.0, "param column, step " + t);
            assertEquals(xO[0], xW[0], 0.0);
            assertEquals(xO[1], xW[1], 0.0);
            assertEquals(xO[2], xW[3], 0.0);
            assertEquals(xO[3], xW[4], 0.0);
            assertEquals(xO[4], xW[5], 0.0);
        }
        // strided output: the column lands at xOff + 2 * stride
        double[] wide = new double[3 * with.columns()];
        with.step(0.5, -7.25, new double[with.stateRows()], wide, 1, 3, expNegP, expP, 1 / p, null);
        assertEquals(-7.25, wide[1 + 2 * 3], 0.0);
        // without theta the set refuses to step, naming the feature and the overload
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> with.step(0.1, stW, xW, 0, 1, expNegP, expP, 1 / p));
        assertTrue(e.getMessage().contains("param") && e.getMessage().contains("theta"));
    }

    @Test
    void paramFeatureParsesPrintsAndIsRefusedByTheLstm() {
        FeatureSet fs = FeatureSet.parse(" RMS, param ,mom:0.9");
        assertEquals("rms,param,mom:0.9", fs.id());
        assertEquals(fs, FeatureSet.parse(fs.id()));
        assertEquals(FeatureSet.Kind.PARAM, fs.features().get(1).kind());
        assertEquals("param", fs.features().get(1).id());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> FeatureSet.parse("rms,params"));
        assertTrue(e.getMessage().contains("'params'") && e.getMessage().contains("param"));
        e = assertThrows(IllegalArgumentException.class, () -> FeatureSet.parse("param,rms,param"));
        assertTrue(e.getMessage().contains("'param' is listed twice"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LstmConfig.builder()
                                        .features(FeatureSet.parse("log-sign,param"))
                                        .build());
        assertTrue(
                e.getMessage().contains("lstm") && e.getMessage().contains("log-sign,param"),
                e.getMessage());
        // mlp and gru take it
        assertEquals(3, config("rms,mom:0.9,param", CellActivation.RELU, 1, 4).inputFeatures());
        LstmConfig gru =
                LstmConfig.builder().cell(CellType.GRU).features(fs).layers(1).hidden(3).build();
        assertTrue(gru.features().needsParam());
    }

    @Test
    void timeFeatureParsesPrintsAndCountsSteps() {
        FeatureSet fs = FeatureSet.parse("rms, TIME:100 ,time:2.5,mom:0.9");
        assertEquals("rms,time:100,time:2.5,mom:0.9", fs.id());
        assertEquals(fs, FeatureSet.parse(fs.id()));
        assertEquals(FeatureSet.Kind.TIME, fs.features().get(1).kind());
        assertEquals(100.0, fs.features().get(1).tau());
        assertTrue(Double.isNaN(fs.features().get(1).decay()));
        assertTrue(Double.isNaN(fs.features().get(3).tau()));
        assertEquals(4, fs.columns());
        assertEquals(3, fs.stateRows());
        // a set with only time features still keeps the step count
        FeatureSet only = FeatureSet.parse("time:10");
        assertEquals(2, only.stateRows());
        double[] st = new double[only.stateRows()];
        double[] x = new double[1];
        for (int t = 1; t <= 25; t++) {
            only.step(t % 3 == 0 ? -0.5 : 2.0, st, x, 0, 1, 1e-4, 1e4, 0.1, null);
            assertEquals(Math.tanh(t / 10.0), x[0], 0.0, "step " + t);
        }
        assertEquals(25.0, st[0]);
        for (String bad : new String[] {"time:0", "time:-3", "time:x", "time:", "time:Infinity"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> FeatureSet.parse(bad));
            assertTrue(
                    e.getMessage().contains("'" + bad + "'")
                            && e.getMessage().contains("positive number of steps"),
                    e.getMessage());
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> FeatureSet.parse("time:100,rms,time:100.0"));
        assertTrue(e.getMessage().contains("'time:100' is listed twice"), e.getMessage());
        // the lstm refuses it like the other non-log-sign features
        assertThrows(
                IllegalArgumentException.class,
                () -> LstmConfig.builder().features(FeatureSet.parse("log-sign,time:100")).build());
    }

    @Test
    void earlyFeatureIsTheClocksComplement() {
        FeatureSet fs = FeatureSet.parse("rms,EARLY:30,time:30");
        assertEquals("rms,early:30,time:30", fs.id());
        assertEquals(fs, FeatureSet.parse(fs.id()));
        FeatureSet.Feature early = fs.features().get(1);
        assertEquals(FeatureSet.Kind.TIME, early.kind());
        assertTrue(early.early());
        assertFalse(fs.features().get(2).early());
        assertEquals(30.0, early.tau());
        assertEquals("early:2.5", FeatureSet.parse("early:2.5").id());
        assertNotEquals(FeatureSet.parse("early:30"), FeatureSet.parse("time:30"));
        double[] st = new double[fs.stateRows()];
        double[] x = new double[3];
        for (int t = 1; t <= 200; t++) {
            fs.step(0.3, st, x, 0, 1, 1e-4, 1e4, 0.1, null);
            assertEquals(1 - Math.tanh(t / 30.0), x[1], 1e-15, "step " + t);
            assertEquals(1.0, x[1] + x[2], 1e-15, "step " + t);
        }
        // gone by the end of a 100-step run: below 0.003 from 3.5 TAU on
        assertTrue(x[1] < 1e-5, "early:30 at step 200 " + x[1]);
        for (String bad : new String[] {"early:0", "early:-3", "early:x", "early:"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> FeatureSet.parse(bad));
            assertTrue(
                    e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("early:30"),
                    e.getMessage());
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> FeatureSet.parse("early:5,early:5.0"));
        assertTrue(e.getMessage().contains("'early:5' is listed twice"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "tanh"})
    void floatInferenceWithParamMatchesDoubleReference(String act) {
        LstmConfig c = config(WITH_PARAM, CellActivation.fromId(act), 2, 12);
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 3);
        int n = 37;
        LstmOptimizer opt = LstmOptimizer.of(w).withThreads(1);
        assertTrue(opt.needsParameters());
        OptimizerState s = opt.newState(n);
        Reference ref = new Reference(c, toDouble(w.parameters()), n);
        Random r = new Random(5);
        float[] theta = new float[n];
        for (int i = 0; i < n; i++) {
            theta[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(3) - 2));
        }
        float[] g = new float[n];
        float[] u = new float[n];
        for (int t = 0; t < 40; t++) {
            for (int i = 0; i < n; i++) {
                g[i] = gradient(r);
            }
            opt.step(s, theta, g, u);
            for (int i = 0; i < n; i++) {
                double want = ref.step(i, g[i], theta[i]);
                assertEquals(
                        want,
                        u[i],
                        2e-5 * c.outputScale() * Math.max(1, Math.abs(want) / c.outputScale()),
                        "step " + t + " coordinate " + i);
                theta[i] += u[i];
            }
        }
        // the update does depend on theta
        OptimizerState s2 = opt.newState(1);
        OptimizerState s3 = opt.newState(1);
        float[] u2 = new float[1];
        float[] u3 = new float[1];
        opt.step(s2, new float[] {0.5f}, new float[] {1e-3f}, u2);
        opt.step(s3, new float[] {-0.5f}, new float[] {1e-3f}, u3);
        assertTrue(u2[0] != u3[0]);
    }

    @Test
    void gradientOnlyStepOfAParamOptimizerFailsBeforeTouchingAnything() {
        LstmConfig c = config(WITH_PARAM, CellActivation.RELU, 1, 6);
        LstmOptimizer opt = LstmOptimizer.of(LstmKernelOracleTest.randomWeights(c, 3));
        OptimizerState s = opt.newState(40);
        float[] g = new float[40];
        java.util.Arrays.fill(g, 1e-2f);
        float[] u = new float[40];
        java.util.Arrays.fill(u, 3f);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> opt.step(s, g, u));
        assertTrue(
                e.getMessage().contains("param") && e.getMessage().contains("params"),
                e.getMessage());
        e =
                assertThrows(
                        IllegalStateException.class,
                        () -> opt.stepRanges(s, g, u, new int[] {0, 16}, 1));
        assertTrue(e.getMessage().contains("param"), e.getMessage());
        assertArrayEquals(new float[s.data().length], s.data());
        assertEquals(3f, u[0]);
        assertEquals(0, s.stepCount());
        // a parameter array that is too short is named
        IllegalArgumentException a =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> opt.step(s, new float[39], 0, g, 0, u, 0));
        assertTrue(a.getMessage().contains("parameter") && a.getMessage().contains("39"));
        // an optimizer without param ignores the parameters
        LstmConfig plain = config("rms,mom:0.5", CellActivation.RELU, 1, 6);
        LstmOptimizer p = LstmOptimizer.of(LstmKernelOracleTest.randomWeights(plain, 3));
        assertTrue(!p.needsParameters());
        OptimizerState a1 = p.newState(40);
        OptimizerState a2 = p.newState(40);
        float[] u1 = new float[40];
        float[] u2 = new float[40];
        p.step(a1, g, u1);
        p.step(a2, new float[40], g, u2);
        assertArrayEquals(u1, u2);
    }

    @Test
    void paramResultsDoNotDependOnThreadsOrRanges() {
        LstmConfig c = config(WITH_PARAM, CellActivation.RELU, 2, 8);
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 8);
        int n = 3 * 4096 + 4096 + 21;
        float[] theta = LstmKernelOracleTest.randomGradients(n, 77, false);
        float[] g = LstmKernelOracleTest.randomGradients(n, 78, false);
        float[][] results = new float[3][];
        int[] threads = {1, 2, 4};
        for (int k = 0; k < threads.length; k++) {
            LstmOptimizer opt = LstmOptimizer.of(w).withThreads(threads[k]);
            OptimizerState s = opt.newState(n);
            float[] u = new float[n];
            opt.step(s, theta, g, u);
            results[k] = u;
        }
        assertArrayEquals(results[0], results[1]);
        assertArrayEquals(results[0], results[2]);
        LstmOptimizer opt = LstmOptimizer.of(w).withThreads(2);
        int tw = opt.rangeAlignment();
        OptimizerState part = opt.newState(n);
        float[] up = new float[n];
        opt.stepRanges(part, theta, g, up, new int[] {tw, 3 * tw, 4096, n}, 2);
        for (int i = tw; i < 3 * tw; i++) {
            assertEquals(results[0][i], up[i], "coordinate " + i);
        }
        for (int i = 4096; i < n; i++) {
            assertEquals(results[0][i], up[i], "coordinate " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "tanh"})
    void doubleForwardWithParamMatchesReference(String act) {
        LstmConfig c = config(WITH_PARAM, CellActivation.fromId(act), 2, 7);
        double[] phi = toDouble(LstmKernelOracleTest.randomWeights(c, 4).parameters());
        MlpCell cell = new MlpCell(c);
        int w = 9;
        double[] prev = new double[cell.stateRows() * w];
        double[] buf = new double[cell.rowsPerStep() * w];
        double[] grad = new double[w + 3];
        double[] theta = new double[w + 3];
        double[] upd = new double[w + 3];
        Reference ref = new Reference(c, phi, w);
        Random r = new Random(6);
        for (int i = 0; i < theta.length; i++) {
            theta[i] = r.nextGaussian();
        }
        for (int t = 0; t < 25; t++) {
            for (int i = 0; i < grad.length; i++) {
                grad[i] = r.nextGaussian() * Math.pow(10, -r.nextInt(6));
            }
            // offset 3: theta is indexed like grad
            cell.forward(phi, prev, 0, grad, theta, 3, upd, 3, buf, w);
            System.arraycopy(buf, cell.stateRowBase() * w, prev, 0, prev.length);
            for (int i = 0; i < w; i++) {
                double want = ref.step(i, grad[3 + i], theta[3 + i]);
                assertEquals(want, upd[3 + i], 1e-12 * (1 + Math.abs(want)), "step " + t);
                theta[3 + i] += upd[3 + i];
            }
        }
        assertThrows(
                IllegalStateException.class,
                () -> cell.forward(phi, prev, 0, grad, 0, upd, 0, buf, w));
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
