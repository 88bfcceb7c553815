package org.l2o4j.core.lstm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel: tiles of two vectors of coordinates ({@code 2 *
 * FloatVector.SPECIES_PREFERRED.length()}, 32 with AVX-512); every weight is broadcast once per
 * tile and multiplied into both vectors. Only loaded (reflectively, by {@link KernelSelection})
 * when the {@code jdk.incubator.vector} module is present.
 */
final class VectorLstmKernel extends LstmKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int TW = 2 * L;

    VectorLstmKernel(LstmWeights weights) {
        super(weights);
    }

    /** Called reflectively for the start-up log line. */
    static String describe() {
        return SPECIES.vectorBitSize() + "-bit vectors, " + L + " floats";
    }

    @Override
    String description() {
        return "vector (" + describe() + ")";
    }

    @Override
    int tileWidth() {
        return TW;
    }

    @Override
    int scratchSize() {
        int vec = (Math.max(features, hidden) + 2 * hidden) * TW;
        return Math.max(vec, scalarScratchSize());
    }

    @Override
    long run(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            float[] scratch) {
        long skipped = 0;
        int i0 = from;
        for (; i0 + TW <= to; i0 += TW) {
            if (checkFinite && hasNonFinite(grad, gradOff + i0, TW)) {
                skipped += scalarWithSkips(s, n, grad, gradOff, upd, updOff, i0, TW, scratch);
            } else {
                tile(s, n, grad, gradOff, upd, updOff, i0, scratch);
            }
        }
        if (i0 < to) {
            skipped += scalarRange(s, n, grad, gradOff, upd, updOff, i0, to, checkFinite, scratch);
        }
        return skipped;
    }

    private void tile(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int i0,
            float[] sc) {
        final int h = hidden;
        final float[] p = packed;
        final int maxK = Math.max(features, h) + h;
        final int hout = maxK * TW;
        for (int c = 0; c < TW; c++) {
            float g = grad[gradOff + i0 + c];
            if (logSign) {
                sc[c] = logSignMagnitude(g);
                sc[TW + c] = logSignSecond(g);
            } else {
                sc[c] = g;
            }
        }
        int in = features;
        for (int l = 0; l < layers; l++) {
            int hRow = l * 2 * h;
            int cRow = hRow + h;
            for (int k = 0; k < h; k++) {
                System.arraycopy(s, (hRow + k) * n + i0, sc, (in + k) * TW, TW);
            }
            int kk = in + h;
            int blk = 4 * (kk + 1);
            for (int j = 0; j < h; j++) {
                int base = layerOffset[l] + j * blk;
                int bb = base + 4 * kk;
                FloatVector bi = FloatVector.broadcast(SPECIES, p[bb]);
                FloatVector bf = FloatVector.broadcast(SPECIES, p[bb + 1]);
                FloatVector bg = FloatVector.broadcast(SPECIES, p[bb + 2]);
                FloatVector bo = FloatVector.broadcast(SPECIES, p[bb + 3]);
                FloatVector i0a = bi, f0a = bf, g0a = bg, o0a = bo;
                FloatVector i1a = bi, f1a = bf, g1a = bg, o1a = bo;
                for (int k = 0; k < kk; k++) {
                    int wb = base + 4 * k;
                    FloatVector x0 = FloatVector.fromArray(SPECIES, sc, k * TW);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, sc, k * TW + L);
                    FloatVector wi = FloatVector.broadcast(SPECIES, p[wb]);
                    FloatVector wf = FloatVector.broadcast(SPECIES, p[wb + 1]);
                    FloatVector wg = FloatVector.broadcast(SPECIES, p[wb + 2]);
                    FloatVector wo = FloatVector.broadcast(SPECIES, p[wb + 3]);
                    i0a = x0.fma(wi, i0a);
                    f0a = x0.fma(wf, f0a);
                    g0a = x0.fma(wg, g0a);
                    o0a = x0.fma(wo, o0a);
                    i1a = x1.fma(wi, i1a);
                    f1a = x1.fma(wf, f1a);
                    g1a = x1.fma(wg, g1a);
                    o1a = x1.fma(wo, o1a);
                }
                int cIdx = (cRow + j) * n + i0;
                int ho = hout + j * TW;
                cell(i0a, f0a, g0a, o0a, s, cIdx, sc, ho);
                cell(i1a, f1a, g1a, o1a, s, cIdx + L, sc, ho + L);
            }
            for (int j = 0; j < h; j++) {
                int src = hout + j * TW;
                System.arraycopy(sc, src, s, (hRow + j) * n + i0, TW);
                System.arraycopy(sc, src, sc, j * TW, TW);
            }
            in = h;
        }
        FloatVector o0 = FloatVector.broadcast(SPECIES, p[outputOffset + h]);
        FloatVector o1 = o0;
        for (int j = 0; j < h; j++) {
            FloatVector wj = FloatVector.broadcast(SPECIES, p[outputOffset + j]);
            o0 = FloatVector.fromArray(SPECIES, sc, j * TW).fma(wj, o0);
            o1 = FloatVector.fromArray(SPECIES, sc, j * TW + L).fma(wj, o1);
        }
        o0.mul(outputScale).intoArray(upd, updOff + i0);
        o1.mul(outputScale).intoArray(upd, updOff + i0 + L);
    }

    /** Gates to new c (stored in the state) and new h (stored in the scratch). */
    private static void cell(
            FloatVector zi,
            FloatVector zf,
            FloatVector zg,
            FloatVector zo,
            float[] s,
            int cIdx,
            float[] sc,
            int hIdx) {
        FloatVector c = FloatVector.fromArray(SPECIES, s, cIdx);
        FloatVector cNew = sigmoid(zf).mul(c).add(sigmoid(zi).mul(tanh(zg)));
        cNew.intoArray(s, cIdx);
        sigmoid(zo).mul(tanh(cNew)).intoArray(sc, hIdx);
    }

    /** Vector version of {@link LstmKernel#tanh}. */
    private static FloatVector tanh(FloatVector x) {
        FloatVector v = x.max(-TANH_CLAMP).min(TANH_CLAMP);
        FloatVector x2 = v.mul(v);
        FloatVector num = x2.fma(A13, A11);
        num = num.fma(x2, FloatVector.broadcast(SPECIES, A9));
        num = num.fma(x2, FloatVector.broadcast(SPECIES, A7));
        num = num.fma(x2, FloatVector.broadcast(SPECIES, A5));
        num = num.fma(x2, FloatVector.broadcast(SPECIES, A3));
        num = num.fma(x2, FloatVector.broadcast(SPECIES, A1));
        num = num.mul(v);
        FloatVector den = x2.fma(B6, B4);
        den = den.fma(x2, FloatVector.broadcast(SPECIES, B2));
        den = den.fma(x2, FloatVector.broadcast(SPECIES, B0));
        return num.div(den);
    }

    /** Vector version of {@link LstmKernel#sigmoid}. */
    private static FloatVector sigmoid(FloatVector x) {
        return tanh(x.mul(0.5f)).fma(0.5f, 0.5f);
    }
}
