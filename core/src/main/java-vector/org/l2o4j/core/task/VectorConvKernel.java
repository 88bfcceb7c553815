package org.l2o4j.core.task;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ConvKernel} with the Vector API ({@code DoubleVector.SPECIES_PREFERRED}); loaded by name,
 * through {@code KernelSelection}, only when the {@code jdk.incubator.vector} module is present.
 * The tails run {@link ScalarConvKernel}'s loops. Same operations in the same order as the scalar
 * kernel (multiplies and adds, no fused multiply-add): bitwise the same results.
 */
final class VectorConvKernel extends ScalarConvKernel {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    @Override
    String describe() {
        return "vector, " + S;
    }

    @Override
    void convolve(double[] theta, int k, int channels, int n, double[] col, int hw, double[] out) {
        int bound = S.loopBound(hw);
        if (bound == 0) {
            super.convolve(theta, k, channels, n, col, hw, out);
            return;
        }
        Arrays.fill(out, 0, channels * hw, 0.0);
        int step = S.length();
        int c = 0;
        for (; c + 1 < channels; c += 2) {
            int ka = k + c * n;
            int kb = ka + n;
            int oa = c * hw;
            int ob = oa + hw;
            int i = 0;
            for (; i + 3 < n; i += 4) {
                double a0 = theta[ka + i];
                double a1 = theta[ka + i + 1];
                double a2 = theta[ka + i + 2];
                double a3 = theta[ka + i + 3];
                double b0 = theta[kb + i];
                double b1 = theta[kb + i + 1];
                double b2 = theta[kb + i + 2];
                double b3 = theta[kb + i + 3];
                int c0 = i * hw;
                int c1 = c0 + hw;
                int c2 = c1 + hw;
                int c3 = c2 + hw;
                for (int p = 0; p < bound; p += step) {
                    DoubleVector x0 = DoubleVector.fromArray(S, col, c0 + p);
                    DoubleVector x1 = DoubleVector.fromArray(S, col, c1 + p);
                    DoubleVector x2 = DoubleVector.fromArray(S, col, c2 + p);
                    DoubleVector x3 = DoubleVector.fromArray(S, col, c3 + p);
                    DoubleVector sa = x0.mul(a0).add(x1.mul(a1)).add(x2.mul(a2).add(x3.mul(a3)));
                    DoubleVector sb = x0.mul(b0).add(x1.mul(b1)).add(x2.mul(b2).add(x3.mul(b3)));
                    DoubleVector.fromArray(S, out, oa + p).add(sa).intoArray(out, oa + p);
                    DoubleVector.fromArray(S, out, ob + p).add(sb).intoArray(out, ob + p);
                }
                scalarQuad2(out, oa, ob, col, c0, hw, bound, a0, a1, a2, a3, b0, b1, b2, b3);
            }
            for (; i < n; i++) {
                double a0 = theta[ka + i];
                double b0 = theta[kb + i];
                int c0 = i * hw;
                for (int p = 0; p < bound; p += step) {
                    DoubleVector x0 = DoubleVector.fromArray(S, col, c0 + p);
                    DoubleVector.fromArray(S, out, oa + p).add(x0.mul(a0)).intoArray(out, oa + p);
                    DoubleVector.fromArray(S, out, ob + p).add(x0.mul(b0)).intoArray(out, ob + p);
                }
                scalarSingle2(out, oa, ob, col, c0, hw, bound, a0, b0);
            }
        }
        if (c < channels) {
            scalarSingle(theta, k + c * n, n, col, hw, out, c * hw);
        }
    }
}
