package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.l2o4j.core.optim.OptimizerState;

/** Both kernels against the double-precision {@link ReferenceLstm}. */
class LstmKernelOracleTest {
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-6;

    /** Random weights like PyTorch's LSTM init, U(-1/sqrt(H), 1/sqrt(H)), and a random output. */
    static LstmWeights randomWeights(LstmConfig c, long seed) {
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        double a = 1.0 / Math.sqrt(c.hidden());
        for (int k = 0; k < p.length; k++) {
            p[k] = (float) ((2 * r.nextDouble() - 1) * a);
        }
        return new LstmWeights(c, p);
    }

    /**
     * Gradients mixing ordinary values with 0, +-1e-30, +-1e30, subnormals, +-1 and the cut e^-p.
     */
    static float[] randomGradients(int n, long seed, boolean huge) {
        Random r = new Random(seed);
        float[] special = {
            0f,
            -0f,
            1e-30f,
            -1e-30f,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            1e-40f,
            1f,
            -1f,
            (float) Math.exp(-10),
            -(float) Math.exp(-10)
        };
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(10);
            if (pick == 0) {
                g[i] = special[r.nextInt(special.length)];
            } else if (pick == 1 && huge) {
                g[i] = r.nextBoolean() ? 1e30f : -1e30f;
            } else {
                g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 6));
            }
        }
        return g;
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (Kernel k : Kernel.values()) {
            if (k == Kernel.VECTOR && !Kernel.vectorAvailable()) {
                continue;
            }
            for (Preprocessing pre : Preprocessing.values()) {
                list.add(Arguments.of(k, pre, 2, 20, 77, 1));
                list.add(Arguments.of(k, pre, 1, 3, 5, 1));
                list.add(Arguments.of(k, pre, 3, 7, 131, 1));
            }
            list.add(Arguments.of(k, Preprocessing.LOG_SIGN, 2, 20, 8192 + 37, 2));
            list.add(Arguments.of(k, Preprocessing.NONE, 2, 20, 3 * 4096 + 13, 3));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} layers={2} hidden={3} n={4} threads={5}")
    @MethodSource("cases")
    void matchesReference(Kernel kernel, Preprocessing pre, int layers, int hidden, int n, int t) {
        LstmConfig c =
                LstmConfig.builder().layers(layers).hidden(hidden).preprocessing(pre).build();
        LstmWeights w = randomWeights(c, 42 + layers * 31L + hidden);
        LstmOptimizer opt = LstmOptimizer.of(w).withKernel(kernel).withThreads(t);
        ReferenceLstm ref = new ReferenceLstm(w);
        OptimizerState st = opt.newState(n);
        double[] refState = new double[n * c.stateSizePerCoordinate()];
        float[] upd = new float[n];
        double[] refUpd = new double[n];
        for (int step = 0; step < 4; step++) {
            float[] g = randomGradients(n, 1000 + step, pre == Preprocessing.LOG_SIGN || step < 2);
            opt.step(st, g, upd);
            ref.step(refState, g, refUpd);
            assertClose(refUpd, upd, "update at step " + step);
            assertClose(refState, st.data(), "state at step " + step);
        }
        assertEquals(4, st.stepCount());
    }

    static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.abs(a - e) <= ATOL + RTOL * Math.abs(e))) {
                fail(what + ": index " + i + " expected " + e + " but was " + a);
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        LstmConfig c = LstmConfig.paperDefaults();
        LstmWeights w = randomWeights(c, 7);
        int n = 20_003;
        for (Kernel k : Kernel.values()) {
            if (k == Kernel.VECTOR && !Kernel.vectorAvailable()) {
                continue;
            }
            float[] g = randomGradients(n, 3, true);
            LstmOptimizer one = LstmOptimizer.of(w).withKernel(k).withThreads(1);
            LstmOptimizer four = one.withThreads(4);
            OptimizerState s1 = one.newState(n);
            OptimizerState s4 = four.newState(n);
            float[] u1 = new float[n];
            float[] u4 = new float[n];
            for (int step = 0; step < 2; step++) {
                one.step(s1, g, u1);
                four.step(s4, g, u4);
            }
            assertArrayEquals(u1, u4, k + " updates");
            assertArrayEquals(s1.data(), s4.data(), k + " state");
        }
    }
}
