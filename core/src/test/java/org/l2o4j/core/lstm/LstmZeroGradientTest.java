package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * {@link ZeroGradientPolicy}: under FREEZE (the default) a coordinate whose gradient is exactly
 * {@code +-0.0} gets update {@code +0.0} and keeps its state, and every other coordinate gets
 * bit-for-bit what it gets under UPDATE; UPDATE is the behaviour from before the option existed.
 */
class LstmZeroGradientTest {
    static final LstmWeights WEIGHTS = LstmOptimizerContractTest.WEIGHTS;

    static Stream<Kernel> kernels() {
        List<Kernel> ks = new ArrayList<>();
        ks.add(Kernel.SCALAR);
        if (Kernel.vectorAvailable()) {
            ks.add(Kernel.VECTOR);
        }
        return ks.stream();
    }

    static Stream<Arguments> kernelsAndThreads() {
        return kernels().flatMap(k -> Stream.of(1, 2, 3).map(t -> Arguments.of(k, t)));
    }

    /** Which coordinates get a zero gradient: always, sometimes, or never. */
    enum Kind {
        ALWAYS_ZERO,
        SOMETIMES_ZERO,
        NEVER_ZERO
    }

    /**
     * A layout over {@code n} coordinates that puts zeros everywhere a kernel treats them
     * differently: a block of 128 zeros aligned at 128 (whole vector tiles of zeros), isolated
     * zeros in otherwise ordinary tiles, and zeros in the scalar tail.
     */
    static Kind[] layout(int n) {
        Kind[] kinds = new Kind[n];
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            if (i >= 128 && i < 256) {
                kinds[i] = Kind.ALWAYS_ZERO;
            } else if (i % 37 == 3 || i == n - 2) {
                kinds[i] = Kind.ALWAYS_ZERO;
            } else {
                kinds[i] = r.nextInt(8) == 0 ? Kind.SOMETIMES_ZERO : Kind.NEVER_ZERO;
            }
        }
        return kinds;
    }

    /** Gradients of step {@code t}: +-0 where the layout says so, ordinary values elsewhere. */
    static float[] gradients(Kind[] kinds, int t) {
        int n = kinds.length;
        Random r = new Random(1000 + t);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 5));
            boolean zero =
                    kinds[i] == Kind.ALWAYS_ZERO
                            || (kinds[i] == Kind.SOMETIMES_ZERO && r.nextBoolean());
            if (zero) {
                v = r.nextBoolean() ? 0f : -0f;
            } else if (v == 0f) {
                v = 1e-3f;
            }
            g[i] = v;
        }
        return g;
    }

    static float stateAt(OptimizerState s, int k, int i) {
        return s.data()[k * s.size() + i];
    }

    /**
     * Runs FREEZE and UPDATE side by side for {@code steps} steps and checks, every step: a
     * coordinate with a zero gradient gets update +0.0 (raw bits) and its state column is what it
     * was before the step; a coordinate that never had a zero gradient has exactly the update and
     * state it has under UPDATE. Returns the frozen run's state.
     */
    static OptimizerState runBoth(LstmOptimizer freeze, int n, int steps, boolean inPlace) {
        assertEquals(ZeroGradientPolicy.FREEZE, freeze.zeroGradientPolicy());
        LstmOptimizer update = freeze.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        Kind[] kinds = layout(n);
        int per = freeze.stateSizePerCoordinate();
        OptimizerState sf = freeze.newState(n);
        OptimizerState su = update.newState(n);
        float[] uf = new float[n];
        float[] uu = new float[n];
        float[] before = new float[sf.data().length];
        double[] moved = new double[n];
        boolean[] everZero = new boolean[n];
        for (int t = 0; t < steps; t++) {
            float[] g = gradients(kinds, t);
            System.arraycopy(sf.data(), 0, before, 0, before.length);
            if (inPlace) {
                System.arraycopy(g, 0, uf, 0, n);
                freeze.step(sf, uf, uf);
            } else {
                freeze.step(sf, g, uf);
            }
            update.step(su, g, uu);
            for (int i = 0; i < n; i++) {
                moved[i] += uf[i];
                if (g[i] == 0f) {
                    everZero[i] = true;
                    if (Float.floatToRawIntBits(uf[i]) != 0) {
                        fail(
                                "step "
                                        + t
                                        + ": coordinate "
                                        + i
                                        + " with gradient "
                                        + g[i]
                                        + " got update "
                                        + uf[i]);
                    }
                    for (int k = 0; k < per; k++) {
                        if (Float.floatToRawIntBits(stateAt(sf, k, i))
                                != Float.floatToRawIntBits(before[k * n + i])) {
                            fail(
                                    "step "
                                            + t
                                            + ": coordinate "
                                            + i
                                            + " with a zero gradient had its state row "
                                            + k
                                            + " changed");
                        }
                    }
                } else if (!everZero[i]) {
                    if (Float.floatToRawIntBits(uf[i]) != Float.floatToRawIntBits(uu[i])) {
                        fail(
                                "step "
                                        + t
                                        + ": coordinate "
                                        + i
                                        + " update "
                                        + uf[i]
                                        + " differs from "
                                        + uu[i]
                                        + " without the option");
                    }
                    for (int k = 0; k < per; k++) {
                        if (Float.floatToRawIntBits(stateAt(sf, k, i))
                                != Float.floatToRawIntBits(stateAt(su, k, i))) {
                            fail(
                                    "step "
                                            + t
                                            + ": coordinate "
                                            + i
                                            + " state row "
                                            + k
                                            + " differs from the run without the option");
                        }
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (kinds[i] == Kind.ALWAYS_ZERO) {
                assertEquals(0.0, moved[i], "coordinate " + i + " moved");
                for (int k = 0; k < per; k++) {
                    assertEquals(0, Float.floatToRawIntBits(stateAt(sf, k, i)), "fresh state");
                }
            }
        }
        assertEquals(steps, sf.stepCount());
        assertEquals(0, sf.skippedCount(), "zeros are not counted as skipped");
        return sf;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void aZeroGradientFromStep0MovesExactly0Over1000Steps(Kernel k) {
        // 5 full vector tiles (of 64; more of 32) and a tail, one part
        LstmOptimizer opt = LstmOptimizer.of(WEIGHTS).withKernel(k).withThreads(1);
        runBoth(opt, 333, 1000, false);
    }

    @ParameterizedTest(name = "{0} threads={1}")
    @MethodSource("kernelsAndThreads")
    void frozenAndOtherCoordinatesAreExactWithAnyThreadCount(Kernel k, int threads) {
        int n = 2 * LstmOptimizer.MIN_COORDS_PER_THREAD + 77;
        LstmOptimizer opt = LstmOptimizer.of(WEIGHTS).withKernel(k).withThreads(threads);
        OptimizerState s = runBoth(opt, n, 6, false);
        OptimizerState one = runBoth(opt.withThreads(1), n, 6, true);
        assertArrayEquals(one.data(), s.data(), "state with 1 thread, in place, vs " + threads);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void theShippedDriftIsGoneAndUpdateStillDrifts(Kernel k) {
        LstmOptimizer freeze = LstmOptimizer.of(WEIGHTS).withKernel(k).withThreads(1);
        LstmOptimizer update = freeze.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        OptimizerState sf = freeze.newState(1);
        OptimizerState su = update.newState(1);
        float[] g = {0f};
        float[] u = new float[1];
        double movedF = 0;
        double movedU = 0;
        for (int t = 0; t < 100; t++) {
            freeze.step(sf, g, u);
            movedF += u[0];
            update.step(su, g, u);
            movedU += u[0];
        }
        assertEquals(0.0, movedF);
        assertNotEquals(0.0, movedU, "UPDATE moves a zero-gradient coordinate");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void skipAndFreezeTogether(Kernel k) {
        // a vector tile with a NaN, a zero and ordinary gradients: the NaN is skipped and
        // counted, the zero is frozen and not counted, the others are as without both
        int n = 200;
        LstmOptimizer skip =
                LstmOptimizer.of(WEIGHTS)
                        .withKernel(k)
                        .withThreads(1)
                        .withNonFinitePolicy(NonFinitePolicy.SKIP);
        LstmOptimizer plain = skip.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        OptimizerState a = skip.newState(n);
        OptimizerState b = plain.newState(n);
        float[] ua = new float[n];
        float[] ub = new float[n];
        for (int t = 0; t < 3; t++) {
            float[] g = LstmKernelOracleTest.randomGradients(n, 50 + t, false);
            for (int i = 0; i < n; i++) {
                if (g[i] == 0f) {
                    g[i] = 0.5f; // only the planted zeros below
                }
            }
            g[5] = Float.NaN;
            g[6] = 0f;
            g[70] = -0f;
            g[71] = Float.POSITIVE_INFINITY;
            g[n - 1] = 0f;
            skip.step(a, g, ua);
            float[] gb = g.clone();
            gb[6] = 0.5f; // any value: only used for the frozen coordinates' comparison below
            gb[70] = 0.5f;
            gb[n - 1] = 0.5f;
            plain.step(b, gb, ub);
            for (int i : new int[] {5, 6, 70, 71, n - 1}) {
                assertEquals(0, Float.floatToRawIntBits(ua[i]), "update of " + i);
                for (int kk = 0; kk < skip.stateSizePerCoordinate(); kk++) {
                    assertEquals(0f, stateAt(a, kk, i), "state of " + i);
                }
            }
            for (int i = 0; i < n; i++) {
                if (i != 5 && i != 6 && i != 70 && i != 71 && i != n - 1) {
                    assertEquals(
                            Float.floatToRawIntBits(ub[i]),
                            Float.floatToRawIntBits(ua[i]),
                            "update of " + i);
                }
            }
        }
        assertEquals(6, a.skippedCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("oracleCases")
    void matchesTheReferenceWithManyZeros(Kernel k, ZeroGradientPolicy policy) {
        int n = 333;
        LstmOptimizer opt =
                LstmOptimizer.of(WEIGHTS)
                        .withKernel(k)
                        .withThreads(1)
                        .withZeroGradientPolicy(policy);
        ReferenceLstm ref = new ReferenceLstm(WEIGHTS, policy);
        Kind[] kinds = layout(n);
        OptimizerState st = opt.newState(n);
        double[] refState = new double[n * opt.stateSizePerCoordinate()];
        float[] upd = new float[n];
        double[] refUpd = new double[n];
        for (int t = 0; t < 3; t++) {
            float[] g = gradients(kinds, t);
            opt.step(st, g, upd);
            ref.step(refState, g, refUpd);
            LstmKernelOracleTest.assertClose(refUpd, upd, "update at step " + t);
            LstmKernelOracleTest.assertClose(refState, st.data(), "state at step " + t);
        }
    }

    static Stream<Arguments> oracleCases() {
        return kernels()
                .flatMap(k -> Stream.of(ZeroGradientPolicy.values()).map(p -> Arguments.of(k, p)));
    }

    /**
     * UPDATE reproduces, bit for bit, what l2o4j computed before the option existed: CRC32 of the
     * raw bits of 5 steps' updates and the final state, on gradients with +-0, subnormals, 1e30 (n
     * = 8269, one thread), recorded with the code before the option (commit 23a3f39).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("goldenCases")
    void updateIsBitIdenticalToTheBehaviourBeforeTheOption(
            Kernel k, Preprocessing pre, long expectedCrc) {
        if (pre == Preprocessing.LOG_SIGN) {
            // log-sign uses Math.log, which may differ by an ulp on other platforms
            assumeTrue(
                    "amd64".equals(System.getProperty("os.arch")),
                    "golden values were recorded on x86_64");
        }
        LstmConfig c = LstmConfig.builder().preprocessing(pre).build();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 7);
        LstmOptimizer opt =
                LstmOptimizer.of(w)
                        .withKernel(k)
                        .withThreads(1)
                        .withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        int n = 8269;
        OptimizerState s = opt.newState(n);
        float[] u = new float[n];
        CRC32 crc = new CRC32();
        for (int step = 0; step < 5; step++) {
            float[] g = LstmKernelOracleTest.randomGradients(n, 100 + step, true);
            opt.step(s, g, u);
            add(crc, u);
        }
        add(crc, s.data());
        assertEquals(expectedCrc, crc.getValue(), k + " " + pre);
    }

    static Stream<Arguments> goldenCases() {
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of(Kernel.SCALAR, Preprocessing.NONE, 0x7716e48eL));
        list.add(Arguments.of(Kernel.SCALAR, Preprocessing.LOG_SIGN, 0x3ecc41c7L));
        if (Kernel.vectorAvailable()) {
            list.add(Arguments.of(Kernel.VECTOR, Preprocessing.NONE, 0x3d9b8adcL));
            list.add(Arguments.of(Kernel.VECTOR, Preprocessing.LOG_SIGN, 0x820cd6ccL));
        }
        return list.stream();
    }

    private static void add(CRC32 crc, float[] a) {
        for (float f : a) {
            int b = Float.floatToRawIntBits(f);
            crc.update(b >>> 24);
            crc.update(b >>> 16);
            crc.update(b >>> 8);
            crc.update(b);
        }
    }

    @Test
    void freezeIsTheDefaultAndPoliciesParse() {
        LstmOptimizer opt = LstmOptimizer.of(WEIGHTS);
        assertEquals(ZeroGradientPolicy.FREEZE, opt.zeroGradientPolicy());
        assertSame(opt, opt.withZeroGradientPolicy(ZeroGradientPolicy.FREEZE));
        LstmOptimizer off = opt.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        assertEquals(ZeroGradientPolicy.UPDATE, off.withThreads(2).zeroGradientPolicy());
        assertEquals(
                ZeroGradientPolicy.UPDATE,
                off.withNonFinitePolicy(NonFinitePolicy.SKIP).zeroGradientPolicy());
        assertEquals(ZeroGradientPolicy.UPDATE, off.withKernel(Kernel.SCALAR).zeroGradientPolicy());
        assertEquals(ZeroGradientPolicy.FREEZE, ZeroGradientPolicy.parse(" Freeze "));
        assertEquals(ZeroGradientPolicy.UPDATE, ZeroGradientPolicy.parse("update"));
        assertEquals("freeze", ZeroGradientPolicy.FREEZE.id());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ZeroGradientPolicy.parse("x"));
        assertEquals(
                "Unknown zero-gradient policy 'x': expected one of freeze, update", e.getMessage());
    }
}
