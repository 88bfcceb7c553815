package org.l2o4j.core.task;

import java.util.Arrays;

/**
 * {@link ConvKernel} in plain Java: the kernel of a JVM without the Vector API, and the one copy of
 * the scalar loops, which {@code VectorConvKernel} (in {@code src/main/java-vector}, a subclass)
 * runs on the pixels past the last full vector and on images narrower than a vector.
 */
class ScalarConvKernel extends ConvKernel {

    @Override
    String describe() {
        return "scalar";
    }

    /** Two output channels and four taps per pass. */
    @Override
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
}
