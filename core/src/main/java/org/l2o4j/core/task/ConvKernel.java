package org.l2o4j.core.task;

import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.KernelSelection;

/**
 * The inner product of {@link ConvTask}'s forward pass, {@code out[c][p] = sum_i K[c][i]
 * col[i][p]}, in plain Java ({@link ScalarConvKernel}, {@link #SCALAR}) or with the Vector API
 * ({@code VectorConvKernel} in {@code src/main/java-vector}, loaded by name through {@link
 * KernelSelection} only when {@link Kernel#selected()} is {@code VECTOR}, as the LSTM kernels); and
 * the im2col layout both read.
 *
 * <p>Both compute every output as {@code out + ((a0 x0 + a1 x1) + (a2 x2 + a3 x3))} over the same
 * groups of four kernel taps, with separate multiplies and adds (no fused multiply-add), so their
 * results are bitwise identical and a task's losses do not depend on the JVM's flags.
 */
abstract class ConvKernel {

    /** The plain Java kernel. */
    static final ConvKernel SCALAR = new ScalarConvKernel();

    /** The kernel used by {@link ConvTask}: the vector one where available. */
    static final ConvKernel SELECTED = select();

    private static ConvKernel select() {
        if (Kernel.selected() != Kernel.VECTOR) {
            return SCALAR;
        }
        ConvKernel k =
                KernelSelection.newVectorInstance(
                        MethodHandles.lookup(),
                        "VectorConvKernel",
                        ConvKernel.class,
                        new Class<?>[0]);
        return k != null ? k : SCALAR;
    }

    /** A short description, e.g. {@code scalar}. */
    abstract String describe();

    /**
     * Writes {@code out[c * hw + p] = sum_i theta[k + c * n + i] * col[i * hw + p]} for {@code c <
     * channels}, {@code p < hw}.
     */
    abstract void convolve(
            double[] theta, int k, int channels, int n, double[] col, int hw, double[] out);

    /**
     * im2col for 3x3 kernels with zero padding 1 on a {@code channels x h x w} image: {@code
     * col[((ci * 3 + ky) * 3 + kx) * h * w + y * w + x] = in[ci][y + ky - 1][x + kx - 1]} (0
     * outside).
     */
    static void im2col(double[] in, int channels, int h, int w, double[] col) {
        int hw = h * w;
        for (int ci = 0; ci < channels; ci++) {
            for (int ky = 0; ky < 3; ky++) {
                for (int kx = 0; kx < 3; kx++) {
                    int dst = ((ci * 3 + ky) * 3 + kx) * hw;
                    int dy = ky - 1;
                    int dx = kx - 1;
                    int x0 = Math.max(0, -dx);
                    int x1 = Math.min(w, w - dx);
                    for (int y = 0; y < h; y++) {
                        int yy = y + dy;
                        int d = dst + y * w;
                        if (yy < 0 || yy >= h) {
                            Arrays.fill(col, d, d + w, 0.0);
                            continue;
                        }
                        int src = ci * hw + yy * w + dx;
                        if (x0 > 0) {
                            col[d] = 0.0;
                        }
                        System.arraycopy(in, src + x0, col, d + x0, x1 - x0);
                        if (x1 < w) {
                            col[d + w - 1] = 0.0;
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: writes the input gradient into {@code in}. */
    static void col2im(double[] col, int channels, int h, int w, double[] in) {
        int hw = h * w;
        Arrays.fill(in, 0, channels * hw, 0.0);
        for (int ci = 0; ci < channels; ci++) {
            for (int ky = 0; ky < 3; ky++) {
                for (int kx = 0; kx < 3; kx++) {
                    int src = ((ci * 3 + ky) * 3 + kx) * hw;
                    int dy = ky - 1;
                    int dx = kx - 1;
                    int x0 = Math.max(0, -dx);
                    int x1 = Math.min(w, w - dx);
                    int y0 = Math.max(0, -dy);
                    int y1 = Math.min(h, h - dy);
                    for (int y = y0; y < y1; y++) {
                        int d = ci * hw + (y + dy) * w + dx;
                        int c0 = src + y * w;
                        for (int x = x0; x < x1; x++) {
                            in[d + x] += col[c0 + x];
                        }
                    }
                }
            }
        }
    }
}
