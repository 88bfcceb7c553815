package org.l2o4j.core.task;

import java.lang.reflect.Constructor;
import java.util.Arrays;
import org.l2o4j.core.lstm.Kernel;

/**
 * The inner product of {@link ConvTask}'s forward pass, {@code out[c][p] = sum_i K[c][i]
 * col[i][p]}, in plain Java ({@link #SCALAR}) or with the Vector API ({@code VectorConvKernel},
 * loaded reflectively only when the {@code jdk.incubator.vector} module is present and the kernel
 * is not forced to {@code scalar} by {@code -Dl2o4j.kernel}, as the LSTM kernels).
 *
 * <p>Both compute every output as {@code out + ((a0 x0 + a1 x1) + (a2 x2 + a3 x3))} over the same
 * groups of four kernel taps, with separate multiplies and adds (no fused multiply-add), so their
 * results are bitwise identical and a task's losses do not depend on the JVM's flags.
 */
abstract class ConvKernel {

    /** The plain Java kernel. */
    static final ConvKernel SCALAR = new ConvKernel() {};

    /** The kernel used by {@link ConvTask}: the vector one where available. */
    static final ConvKernel SELECTED = select();

    private static ConvKernel select() {
        if (Kernel.selected() != Kernel.VECTOR) {
            return SCALAR;
        }
        try {
            Constructor<?> c =
                    Class.forName("org.l2o4j.core.task.VectorConvKernel").getDeclaredConstructor();
            return (ConvKernel) c.newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return SCALAR;
        }
    }

    /** A short description, e.g. {@code scalar}. */
    String describe() {
        return "scalar";
    }

    /**
     * Writes {@code out[c * hw + p] = sum_i theta[k + c * n + i] * col[i * hw + p]} for {@code c <
     * channels}, {@code p < hw}: two output channels and four taps per pass.
     */
    void convolve(double[] theta, int k, int channels, int n, double[] col, int hw, double[] out) {
        Arrays.fill(out, 0, channels * hw, 0.0);
        int c = 0;
        for (; c + 1 < channels; c += 2) {
            int ka = k + c * n;
            int kb = ka + n;
            int oa = c * hw;
            int ob = oa + hw;
            int i = 0;
            for (; i + 3 < n; i += 4) {
                int c0 = i * hw;
                scalarQuad2(
                        out,
                        oa,
                        ob,
                        col,
                        c0,
                        hw,
                        0,
                        theta[ka + i],
                        theta[ka + i + 1],
                        theta[ka + i + 2],
                        theta[ka + i + 3],
                        theta[kb + i],
                        theta[kb + i + 1],
                        theta[kb + i + 2],
                        theta[kb + i + 3]);
            }
            for (; i < n; i++) {
                scalarSingle2(out, oa, ob, col, i * hw, hw, 0, theta[ka + i], theta[kb + i]);
            }
        }
        if (c < channels) {
            scalarSingle(theta, k + c * n, n, col, hw, out, c * hw);
        }
    }

    /** The last output channel when their number is odd, at offset {@code oa} of {@code out}. */
    static void scalarSingle(
            double[] theta, int ka, int n, double[] col, int hw, double[] out, int oa) {
        for (int i = 0; i < n; i++) {
            double a0 = theta[ka + i];
            int c0 = i * hw;
            for (int p = 0; p < hw; p++) {
                out[oa + p] += a0 * col[c0 + p];
            }
        }
    }

    /** Pixels {@code [from, hw)} of four taps (rows {@code c0 + j * hw}) into two channels. */
    static void scalarQuad2(
            double[] out,
            int oa,
            int ob,
            double[] col,
            int c0,
            int hw,
            int from,
            double a0,
            double a1,
            double a2,
            double a3,
            double b0,
            double b1,
            double b2,
            double b3) {
        int c1 = c0 + hw;
        int c2 = c1 + hw;
        int c3 = c2 + hw;
        for (int p = from; p < hw; p++) {
            double x0 = col[c0 + p];
            double x1 = col[c1 + p];
            double x2 = col[c2 + p];
            double x3 = col[c3 + p];
            out[oa + p] += (a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3);
            out[ob + p] += (b0 * x0 + b1 * x1) + (b2 * x2 + b3 * x3);
        }
    }

    /** Pixels {@code [from, hw)} of one tap into two channels. */
    static void scalarSingle2(
            double[] out,
            int oa,
            int ob,
            double[] col,
            int c0,
            int hw,
            int from,
            double a0,
            double b0) {
        for (int p = from; p < hw; p++) {
            double x0 = col[c0 + p];
            out[oa + p] += a0 * x0;
            out[ob + p] += b0 * x0;
        }
    }

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
