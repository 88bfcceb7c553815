package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * 16-bit state ({@link LstmOptimizer#withStateType}): a step is bit-for-bit the float32 step on the
 * decoded state followed by rounding the new state, for both kernels, any thread count and every
 * zero-gradient and non-finite policy; and it agrees with the double-precision {@link
 * ReferenceLstm} whose state is rounded the same way after each step.
 */
class LstmStateTypeTest {
    static final StateType[] HALF = {StateType.BFLOAT16, StateType.FLOAT16};

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (Kernel k : Kernel.values()) {
            if (k == Kernel.VECTOR && !Kernel.vectorAvailable()) {
                continue;
            }
            for (StateType t : HALF) {
                list.add(Arguments.of(k, t, 77, 1, ZeroGradientPolicy.FREEZE, false));
                list.add(Arguments.of(k, t, 131, 1, ZeroGradientPolicy.UPDATE, true));
                list.add(Arguments.of(k, t, 2 * 4096 + 37, 2, ZeroGradientPolicy.FREEZE, true));
                list.add(Arguments.of(k, t, 3 * 4096 + 13, 3, ZeroGradientPolicy.UPDATE, false));
            }
        }
        return list.stream();
    }

    /** A packed state holding rounded random values, including large c and tiny h. */
    static OptimizerState randomPackedState(LstmConfig c, StateType t, int n, long seed) {
        Random r = new Random(seed);
        float[] f32 = new float[n * c.stateSizePerCoordinate()];
        int h = c.hidden();
        for (int l = 0; l < c.layers(); l++) {
            for (int j = 0; j < h; j++) {
                for (int i = 0; i < n; i++) {
                    f32[(l * 2 * h + j) * n + i] =
                            (float) (Math.tanh(r.nextGaussian()) * Math.pow(10, -r.nextInt(7)));
                    double cv = r.nextGaussian() * Math.pow(10, r.nextInt(9) - 5);
                    if (r.nextInt(100) == 0) {
                        cv = r.nextBoolean() ? 7e4 : -1e6; // beyond float16: saturates
                    }
                    f32[(l * 2 * h + h + j) * n + i] = (float) cv;
                }
            }
        }
        return OptimizerState.wrap(
                n, t.slotsPerCoordinate(c), StateType.FLOAT32.convert(f32, n, c, t));
    }

    /** Gradients with zeros and, if {@code nonFinite}, NaN and infinities. */
    static float[] gradients(int n, long seed, boolean nonFinite) {
        float[] g = LstmKernelOracleTest.randomGradients(n, seed, true);
        if (nonFinite) {
            Random r = new Random(seed + 1);
            for (int i = 0; i < n; i += 1 + r.nextInt(40)) {
                g[i] = r.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY;
            }
        }
        return g;
    }

    @ParameterizedTest(name = "{0} {1} n={2} threads={3} {4} nonFinite={5}")
    @MethodSource("cases")
    void stepIsTheFloatStepOnTheDecodedStateThenRounded(
            Kernel k, StateType t, int n, int threads, ZeroGradientPolicy zero, boolean bad) {
        LstmConfig c = LstmConfig.paperDefaults();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 11);
        LstmOptimizer opt32 =
                LstmOptimizer.of(w)
                        .withKernel(k)
                        .withThreads(threads)
                        .withZeroGradientPolicy(zero)
                        .withNonFinitePolicy(bad ? NonFinitePolicy.SKIP : NonFinitePolicy.ERROR);
        LstmOptimizer opt16 = opt32.withStateType(t);
        assertEquals(40, opt16.stateSizePerCoordinate());
        OptimizerState s16 = randomPackedState(c, t, n, 5);
        float[] u16 = new float[n];
        float[] u32 = new float[n];
        for (int step = 0; step < 3; step++) {
            float[] g = gradients(n, 100 + step, bad);
            long skippedBefore = s16.skippedCount();
            float[] decoded = t.convert(s16.data(), n, c, StateType.FLOAT32);
            OptimizerState s32 = OptimizerState.wrap(n, 80, decoded);
            opt32.step(s32, g, u32);
            float[] expected = StateType.FLOAT32.convert(s32.data(), n, c, t);
            opt16.step(s16, g, u16);
            assertArrayEquals(rawBits(u32), rawBits(u16), "update at step " + step);
            assertArrayEquals(rawBits(expected), rawBits(s16.data()), "state at step " + step);
            assertEquals(s32.skippedCount(), s16.skippedCount() - skippedBefore);
        }
        assertEquals(3, s16.stepCount());
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        LstmConfig c = LstmConfig.paperDefaults();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 7);
        int n = 20_003;
        float[] g = LstmKernelOracleTest.randomGradients(n, 3, true);
        for (Kernel k : Kernel.values()) {
            if (k == Kernel.VECTOR && !Kernel.vectorAvailable()) {
                continue;
            }
            for (StateType t : HALF) {
                LstmOptimizer one =
                        LstmOptimizer.of(w).withKernel(k).withThreads(1).withStateType(t);
                LstmOptimizer four = one.withThreads(4);
                OptimizerState s1 = one.newState(n);
                OptimizerState s4 = four.newState(n);
                assertEquals(n * 40, s1.data().length);
                float[] u1 = new float[n];
                float[] u4 = new float[n];
                for (int step = 0; step < 2; step++) {
                    one.step(s1, g, u1);
                    four.step(s4, g, u4);
                }
                assertArrayEquals(u1, u4, k + " " + t + " updates");
                assertArrayEquals(rawBits(s1.data()), rawBits(s4.data()), k + " " + t + " state");
            }
        }
    }

    /**
     * Against the double-precision reference: each step starts the reference from the kernel's
     * decoded state, so the update must match to float tolerance; the reference's new state,
     * rounded to the 16-bit type by its own (Math.rint) rounding, must equal the kernel's, except
     * where the float and double results straddle a rounding boundary (then one 16-bit ulp apart,
     * and rare).
     */
    @Test
    void matchesReferenceWithTheSameRounding() {
        for (Kernel k : Kernel.values()) {
            if (k == Kernel.VECTOR && !Kernel.vectorAvailable()) {
                continue;
            }
            for (Preprocessing pre : Preprocessing.values()) {
                for (StateType t : HALF) {
                    matchesReference(k, pre, t, 2, 20, 301);
                    matchesReference(k, pre, t, 3, 7, 131);
                }
            }
        }
    }

    private static void matchesReference(
            Kernel k, Preprocessing pre, StateType t, int layers, int hidden, int n) {
        LstmConfig c =
                LstmConfig.builder().layers(layers).hidden(hidden).preprocessing(pre).build();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 42 + layers * 31L + hidden);
        LstmOptimizer opt = LstmOptimizer.of(w).withKernel(k).withStateType(t).withThreads(1);
        ReferenceLstm ref = new ReferenceLstm(w);
        OptimizerState st = opt.newState(n);
        float[] upd = new float[n];
        double[] refUpd = new double[n];
        int values = 0;
        int offByOne = 0;
        for (int step = 0; step < 6; step++) {
            float[] decoded = t.convert(st.data(), n, c, StateType.FLOAT32);
            double[] refState = new double[decoded.length];
            for (int q = 0; q < decoded.length; q++) {
                refState[q] = decoded[q];
            }
            float[] g = LstmKernelOracleTest.randomGradients(n, 1000 + step, step < 3);
            opt.step(st, g, upd);
            ref.step(refState, g, refUpd);
            LstmKernelOracleTest.assertClose(refUpd, upd, t + " " + k + " update at " + step);
            float[] actual = t.convert(st.data(), n, c, StateType.FLOAT32);
            for (int q = 0; q < actual.length; q++) {
                double e = refState[q];
                double expected = round(t, e);
                values++;
                if (expected != actual[q]) {
                    // the kernel computes in float: accept the rounding of any value within the
                    // float oracle's tolerance of the double result
                    double tol =
                            LstmKernelOracleTest.ATOL + LstmKernelOracleTest.RTOL * Math.abs(e);
                    if (round(t, e - tol) <= actual[q] && actual[q] <= round(t, e + tol)) {
                        if (Math.abs(e) >= 1e-3) {
                            offByOne++; // not explained by the absolute tolerance near 0
                        }
                    } else {
                        fail(
                                t
                                        + " "
                                        + k
                                        + " state value "
                                        + q
                                        + " at step "
                                        + step
                                        + ": expected "
                                        + expected
                                        + " but was "
                                        + actual[q]);
                    }
                }
            }
        }
        assertTrue(
                offByOne <= values / 500,
                offByOne + " of " + values + " state values differ from the reference's rounding");
        System.out.println(
                "LstmStateTypeTest "
                        + t
                        + " "
                        + k
                        + " "
                        + pre
                        + ": "
                        + offByOne
                        + " of "
                        + values
                        + " state values >= 1e-3 differ from the reference's rounding (within"
                        + " tolerance)");
    }

    private static double round(StateType t, double x) {
        return t == StateType.BFLOAT16 ? StateTypeTest.refBf16(x) : StateTypeTest.refFp16(x);
    }

    @Test
    void freshStateIsZerosAndTypeIsChecked() {
        LstmOptimizer opt =
                LstmOptimizer.of(LstmOptimizerContractTest.WEIGHTS)
                        .withThreads(1)
                        .withStateType(StateType.BFLOAT16);
        assertSame(StateType.BFLOAT16, opt.stateType());
        assertSame(opt, opt.withStateType(StateType.BFLOAT16));
        assertSame(StateType.FLOAT32, LstmOptimizer.of(opt.weights()).stateType());
        OptimizerState s = opt.newState(10);
        assertEquals(10 * opt.config().stateSizePerCoordinate() / 2, s.data().length);
        // a float32 state does not fit a 16-bit optimizer, and the message says why
        OptimizerState wrong = opt.withStateType(StateType.FLOAT32).newState(10);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> opt.step(wrong, new float[10], new float[10]));
        assertTrue(e.getMessage().contains("floats per coordinate"), e.getMessage());
        assertTrue(opt.toString().contains("state=bfloat16"), opt.toString());
    }

    static int[] rawBits(float[] a) {
        return StateTypeTest.rawBits(a);
    }
}
