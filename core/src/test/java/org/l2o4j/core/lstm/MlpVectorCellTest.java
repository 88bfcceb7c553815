package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
 * The Vector API MLP cell ({@code VectorMlpCell}) against the plain-Java {@link MlpCell}.
 *
 * <p>The features and statistics are computed lane-wise in double with the scalar cell's operations
 * in its order, so the state must be bitwise equal. The network differs only in float rounding: the
 * vector cell accumulates with fused multiply-adds (one rounding per term instead of two) and its
 * tanh evaluates the same rational function with fused multiply-adds. For a dot product of K <= 32
 * terms each rounding is at most 2^-24 of the running sum's magnitude, so the pre-activations
 * differ by at most about K * 2^-24 ~ 2e-6 of the sum of the terms' magnitudes; through two hidden
 * layers and the head that stays below 1e-5 of the network output's magnitude, or of the terms' (~1
 * with these weights, the output is O(1) before the output scale) when they cancel. Hence the
 * tolerance {@code 1e-5 * outputScale * max(1, |output / outputScale|)}.
 */
class MlpVectorCellTest {
    private static final double REL = 1e-5;

    static Stream<Arguments> configs() {
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of(LstmConfig.builder().cell(CellType.MLP).hidden(32).build()));
        list.add(Arguments.of(MlpCellTest.config(MlpCellTest.ALL, CellActivation.RELU, 2, 12)));
        list.add(Arguments.of(MlpCellTest.config(MlpCellTest.ALL, CellActivation.TANH, 3, 7)));
        list.add(Arguments.of(MlpCellTest.config("grad", CellActivation.TANH, 1, 5)));
        list.add(Arguments.of(MlpCellTest.config("log-sign,rms", CellActivation.RELU, 1, 33)));
        // the param feature: first, and among the others
        list.add(Arguments.of(MlpCellTest.config("param,grad", CellActivation.TANH, 1, 9)));
        list.add(
                Arguments.of(
                        MlpCellTest.config(MlpCellTest.WITH_PARAM, CellActivation.RELU, 2, 12)));
        list.add(
                Arguments.of(
                        MlpCellTest.config(
                                "rms,mom:0.5,mom:0.9,mom:0.99,param", CellActivation.RELU, 2, 32)));
        return list.stream();
    }

    private static void assumeVector() {
        assumeTrue(Kernel.vectorAvailable(), "no Vector API module");
    }

    private static int tileWidth(LstmWeights w) {
        return KernelSelection.create(Kernel.VECTOR, w).tileWidth();
    }

    @Test
    void theVectorKernelOfAnMlpConfigIsTheVectorCell() {
        assumeVector();
        LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(32).build();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 1);
        assertTrue(
                KernelSelection.create(Kernel.VECTOR, w).description().startsWith("mlp-vector ("),
                KernelSelection.create(Kernel.VECTOR, w).description());
        assertEquals("mlp-scalar", KernelSelection.create(Kernel.SCALAR, w).description());
        // the GRU has no vector cell: the scalar one for either kind
        LstmConfig gru = LstmConfig.builder().cell(CellType.GRU).hidden(8).build();
        assertEquals(
                "gru-scalar",
                KernelSelection.create(Kernel.VECTOR, LstmKernelOracleTest.randomWeights(gru, 1))
                        .description());
    }

    /**
     * Steps a scalar and a vector optimizer side by side on gradients with 0, +-1e-30, +-1e30,
     * subnormals (and, with {@code nonFinite}, NaN and infinities under SKIP), over full tiles and
     * a partial one; returns the largest update difference over the tolerance's scale.
     */
    private static double compare(
            LstmConfig c, ZeroGradientPolicy zero, boolean nonFinite, int steps) {
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 7);
        int tw = tileWidth(w);
        int n = 5 * tw + 13;
        LstmOptimizer base =
                LstmOptimizer.of(w)
                        .withThreads(1)
                        .withZeroGradientPolicy(zero)
                        .withNonFinitePolicy(
                                nonFinite ? NonFinitePolicy.SKIP : NonFinitePolicy.ERROR);
        LstmOptimizer scalar = base.withKernel(Kernel.SCALAR);
        LstmOptimizer vector = base.withKernel(Kernel.VECTOR);
        OptimizerState ss = scalar.newState(n);
        OptimizerState vs = vector.newState(n);
        float[] us = new float[n];
        float[] uv = new float[n];
        Random r = new Random(11);
        // the parameter values (param feature): the same for both, moved by the scalar updates
        float[] theta = null;
        if (c.features().needsParam()) {
            theta = new float[n];
            for (int i = 0; i < n; i++) {
                theta[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(4) - 2));
            }
        }
        double scale = c.outputScale();
        double worst = 0;
        for (int t = 0; t < steps; t++) {
            float[] g = LstmKernelOracleTest.randomGradients(n, 100 + t, true);
            if (t % 7 == 3) {
                // a tile of zeros only, and one with a single computed coordinate
                for (int i = tw; i < 3 * tw; i++) {
                    g[i] = 0f;
                }
                g[2 * tw + 5] = 1e-3f;
            }
            if (nonFinite) {
                for (int k = 0; k < 6; k++) {
                    int i = r.nextInt(n);
                    g[i] = k % 3 == 0 ? Float.NaN : k % 3 == 1 ? Float.POSITIVE_INFINITY : -1f / 0f;
                }
            }
            if (theta != null) {
                scalar.step(ss, theta, g, us);
                vector.step(vs, theta, g, uv);
            } else {
                scalar.step(ss, g, us);
                vector.step(vs, g, uv);
            }
            assertArrayEquals(ss.data(), vs.data(), "state after step " + t);
            assertEquals(ss.skippedCount(), vs.skippedCount());
            for (int i = 0; i < n; i++) {
                double tol = REL * scale * Math.max(1, Math.abs(us[i]) / scale);
                double d = Math.abs((double) us[i] - uv[i]);
                assertTrue(
                        d <= tol,
                        "step "
                                + t
                                + " coordinate "
                                + i
                                + ": scalar "
                                + us[i]
                                + " vector "
                                + uv[i]);
                if (us[i] == 0f) {
                    // kept coordinates: +0 in both
                    boolean kept =
                            (zero == ZeroGradientPolicy.FREEZE && g[i] == 0f)
                                    || !Float.isFinite(g[i]);
                    if (kept) {
                        assertEquals(0, Float.floatToRawIntBits(uv[i]), "coordinate " + i);
                    }
                }
                worst = Math.max(worst, d / tol);
            }
            if (theta != null) {
                for (int i = 0; i < n; i++) {
                    theta[i] += us[i];
                }
            }
        }
        if (nonFinite) {
            assertTrue(vs.skippedCount() > 0);
        }
        return worst;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void vectorMatchesScalarUnderFreeze(LstmConfig c) {
        assumeVector();
        compare(c, ZeroGradientPolicy.FREEZE, false, 30);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void vectorMatchesScalarUnderUpdate(LstmConfig c) {
        assumeVector();
        compare(c, ZeroGradientPolicy.UPDATE, false, 30);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void vectorMatchesScalarWithNonFiniteGradientsSkipped(LstmConfig c) {
        assumeVector();
        compare(c, ZeroGradientPolicy.FREEZE, true, 20);
        compare(c, ZeroGradientPolicy.UPDATE, true, 10);
    }

    /** The vector cell is not the scalar one: their updates do differ (by rounding) somewhere. */
    @Test
    void theVectorCellRoundsDifferentlyButCloseBy() {
        assumeVector();
        LstmConfig c = MlpCellTest.config(MlpCellTest.ALL, CellActivation.TANH, 2, 12);
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 3);
        int n = 4 * tileWidth(w);
        OptimizerState ss = LstmOptimizer.of(w).withKernel(Kernel.SCALAR).newState(n);
        OptimizerState vs = LstmOptimizer.of(w).withKernel(Kernel.VECTOR).newState(n);
        float[] g = LstmKernelOracleTest.randomGradients(n, 5, false);
        float[] us = new float[n];
        float[] uv = new float[n];
        LstmOptimizer.of(w).withKernel(Kernel.SCALAR).step(ss, g, us);
        LstmOptimizer.of(w).withKernel(Kernel.VECTOR).step(vs, g, uv);
        int differ = 0;
        for (int i = 0; i < n; i++) {
            differ += us[i] != uv[i] ? 1 : 0;
        }
        assertTrue(differ > 0, "the vector cell gave bitwise the scalar updates");
    }

    @Test
    void vectorResultsDoNotDependOnThreadsOrRanges() {
        assumeVector();
        LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(32).build();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 8);
        int n = 4 * LstmOptimizer.CHUNK + 4096 + 21;
        int[] threads = {1, 2, 4};
        float[][] results = new float[threads.length][];
        for (int k = 0; k < threads.length; k++) {
            LstmOptimizer opt =
                    LstmOptimizer.of(w).withKernel(Kernel.VECTOR).withThreads(threads[k]);
            OptimizerState s = opt.newState(n);
            float[] u = new float[n];
            float[] acc = new float[n];
            for (int t = 0; t < 5; t++) {
                float[] g = LstmKernelOracleTest.randomGradients(n, 20 + t, true);
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
        assertArrayEquals(results[0], results[1], "2 threads");
        assertArrayEquals(results[0], results[2], "4 threads");
        // stepRanges over aligned ranges gives the full step's results for those coordinates
        LstmOptimizer opt = LstmOptimizer.of(w).withKernel(Kernel.VECTOR).withThreads(2);
        int tw = opt.rangeAlignment();
        OptimizerState full = opt.newState(n);
        OptimizerState part = opt.newState(n);
        float[] g = LstmKernelOracleTest.randomGradients(n, 3, true);
        float[] uf = new float[n];
        float[] up = new float[n];
        opt.step(full, g, uf);
        int[] bounds = {tw, 3 * tw, 5 * tw, n};
        opt.stepRanges(part, g, up, bounds, 2);
        for (int i = tw; i < 3 * tw; i++) {
            assertEquals(uf[i], up[i], "coordinate " + i);
        }
        for (int i = 5 * tw; i < n; i++) {
            assertEquals(uf[i], up[i], "coordinate " + i);
        }
    }

    @Test
    void frozenCoordinatesOfTheVectorCellMoveExactlyZeroOver1000Steps() {
        assumeVector();
        LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(32).build();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 12);
        LstmOptimizer opt = LstmOptimizer.of(w).withKernel(Kernel.VECTOR).withThreads(1);
        assertEquals(ZeroGradientPolicy.FREEZE, opt.zeroGradientPolicy());
        int tw = opt.rangeAlignment();
        // coordinate 7 in a mixed full tile; the whole second tile; none in the partial tail
        int n = 2 * tw + 9;
        OptimizerState s = opt.newState(n);
        float[] theta = new float[n];
        float[] g = new float[n];
        float[] u = new float[n];
        Random r = new Random(2);
        for (int t = 0; t < 1000; t++) {
            for (int i = 0; i < n; i++) {
                boolean frozen = i == 7 || (i >= tw && i < 2 * tw);
                g[i] = frozen ? (t % 2 == 0 ? 0f : -0f) : MlpCellTest.gradient(r);
            }
            opt.step(s, g, u);
            for (int i = 0; i < n; i++) {
                theta[i] += u[i];
            }
        }
        int rows = opt.stateSizePerCoordinate();
        for (int i = 0; i < n; i++) {
            boolean frozen = i == 7 || (i >= tw && i < 2 * tw);
            if (frozen) {
                assertEquals(0, Float.floatToRawIntBits(theta[i]), "coordinate " + i);
                for (int k = 0; k < rows; k++) {
                    assertEquals(0f, s.data()[k * n + i], "coordinate " + i + " state row " + k);
                }
            } else {
                assertTrue(theta[i] != 0f, "coordinate " + i + " did not move");
                assertEquals(1000f, s.data()[i], "step count of coordinate " + i);
            }
        }
    }
}
