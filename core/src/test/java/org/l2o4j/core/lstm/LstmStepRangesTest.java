package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * {@link LstmOptimizer#stepRanges}: the stepped coordinates bitwise as in a full step, the others
 * untouched, for both kernels and any thread count.
 */
class LstmStepRangesTest {
    @Test
    void rangesAreBitwiseFullStepsAndLeaveTheRestAlone() {
        LstmConfig c = LstmConfig.paperDefaults();
        LstmWeights w = LstmKernelOracleTest.randomWeights(c, 11);
        int n = 20_003; // a partial last tile
        for (Kernel k : Kernel.values()) {
            if (k == Kernel.VECTOR && !Kernel.vectorAvailable()) {
                continue;
            }
            for (int threads : new int[] {1, 2, 3}) {
                LstmOptimizer opt =
                        LstmOptimizer.of(w)
                                .withKernel(k)
                                .withThreads(threads)
                                .withNonFinitePolicy(NonFinitePolicy.SKIP);
                int a = opt.rangeAlignment();
                // skipped blocks of 64 (the training kernel's), a multiple of every tile width
                int[] bounds = {0, 64, 192, 8192 + 64, 8192 + 128, 4 * 4096 + 64, 20_032 - 64, n};
                int ranges = 4;
                for (int bound : bounds) {
                    assertEquals(0, bound == n ? 0 : bound % a, "test bounds aligned");
                }
                OptimizerState full = opt.newState(n);
                OptimizerState part = opt.newState(n);
                float[] uFull = new float[n];
                float[] uPart = new float[n];
                for (int step = 0; step < 3; step++) {
                    float[] g = LstmKernelOracleTest.randomGradients(n, 5 + step, true);
                    float[] before = part.data().clone();
                    java.util.Arrays.fill(uPart, 42f);
                    opt.step(full, g, uFull);
                    opt.stepRanges(part, g, uPart, bounds, ranges);
                    int rows = c.stateSizePerCoordinate();
                    for (int i = 0; i < n; i++) {
                        boolean in = false;
                        for (int r = 0; r < ranges; r++) {
                            in |= i >= bounds[2 * r] && i < bounds[2 * r + 1];
                        }
                        String at = k + " threads " + threads + " step " + step + " coord " + i;
                        if (in) {
                            assertEquals(
                                    Float.floatToRawIntBits(uFull[i]),
                                    Float.floatToRawIntBits(uPart[i]),
                                    at);
                        } else {
                            assertEquals(42f, uPart[i], at);
                        }
                        for (int row = 0; row < rows; row++) {
                            float exp = in ? full.data()[row * n + i] : before[row * n + i];
                            assertEquals(
                                    Float.floatToRawIntBits(exp),
                                    Float.floatToRawIntBits(part.data()[row * n + i]),
                                    at + " row " + row);
                        }
                    }
                    // the skipped coordinates catch up so the next step compares like with like
                    System.arraycopy(full.data(), 0, part.data(), 0, part.data().length);
                }
            }
        }
    }

    @Test
    void misalignedOrUnorderedBoundsAreRejected() {
        LstmOptimizer opt =
                LstmOptimizer.of(LstmKernelOracleTest.randomWeights(LstmConfig.paperDefaults(), 1));
        OptimizerState s = opt.newState(1000);
        float[] g = new float[1000];
        float[] u = new float[1000];
        assertThrows(
                IllegalArgumentException.class, () -> opt.stepRanges(s, g, u, new int[] {0, 1}, 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> opt.stepRanges(s, g, u, new int[] {128, 64}, 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> opt.stepRanges(s, g, u, new int[] {0, 1024}, 1));
    }

    @Test
    void sixteenBitStateIsRefusedNotMisread() {
        LstmConfig c = LstmConfig.paperDefaults();
        LstmOptimizer opt =
                LstmOptimizer.of(new LstmWeights(c, new float[c.numParameters()]))
                        .withStateType(StateType.BFLOAT16);
        OptimizerState st = opt.newState(64);
        UnsupportedOperationException e =
                assertThrows(
                        UnsupportedOperationException.class,
                        () ->
                                opt.stepRanges(
                                        st, new float[64], new float[64], new int[] {0, 64}, 1));
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    }
}
