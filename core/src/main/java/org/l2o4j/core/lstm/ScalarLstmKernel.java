package org.l2o4j.core.lstm;

import static org.l2o4j.core.lstm.RationalTanh.TANH_CLAMP;

/**
 * The plain-Java kernel, complete on its own: {@link #scalarRange} over tiles of {@value
 * #SCALAR_TILE} coordinates. It is the kernel of a JVM without the Vector API, and the one copy of
 * the scalar arithmetic: the vector kernel ({@code VectorLstmKernel}, in {@code
 * src/main/java-vector}) extends it, runs the final partial tile through {@link #scalarRange} and
 * shares its log-sign features and the constants of its rational tanh ({@link #tanh}).
 */
class ScalarLstmKernel extends LstmKernel {

    ScalarLstmKernel(LstmWeights weights) {
        super(weights);
    }

    @Override
    String description() {
        return "scalar";
    }

    @Override
    int tileWidth() {
        return SCALAR_TILE;
    }

    @Override
    int scratchSize() {
        return scalarScratchSize();
    }

    final int scalarScratchSize() {
        // x/h input (in + H) rows, new h (H rows), 4 gate accumulators, each SCALAR_TILE wide
        return (features + 2 * hidden + hidden + 4) * SCALAR_TILE + 2 * hidden;
    }

    /** Tile width of the scalar code (also the largest partial tile it is given). */
    static final int SCALAR_TILE = 16;

    @Override
    long run(
            float[] s,
            int n,
            float[] theta,
            int thetaOff,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            boolean freezeZeros,
            float[] scratch) {
        return scalarRange(
                s, n, grad, gradOff, upd, updOff, from, to, checkFinite, freezeZeros, scratch);
    }

    /** Whether {@code grad[off .. off+w)} has a NaN or infinity. */
    static boolean hasNonFinite(float[] grad, int off, int w) {
        for (int c = 0; c < w; c++) {
            float g = grad[off + c];
            if (g - g != 0f) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code grad[off .. off+w)} has a coordinate that {@link #scalarWithSkips} must leave
     * alone: a NaN or infinity (if {@code checkFinite}) or an exact zero (if {@code freezeZeros}).
     */
    static boolean needsSkips(
            float[] grad, int off, int w, boolean checkFinite, boolean freezeZeros) {
        if (freezeZeros) {
            for (int c = 0; c < w; c++) {
                float g = grad[off + c];
                // g == 0 for +-0; g - g != 0 for NaN and +-Inf
                if (g == 0f || (checkFinite && g - g != 0f)) {
                    return true;
                }
            }
            return false;
        }
        return checkFinite && hasNonFinite(grad, off, w);
    }

    /** Number of exact zeros ({@code +-0.0}) in {@code grad[off .. off+w)}. */
    static int countZeros(float[] grad, int off, int w) {
        int zeros = 0;
        for (int c = 0; c < w; c++) {
            if (grad[off + c] == 0f) {
                zeros++;
            }
        }
        return zeros;
    }

    /**
     * Processes {@code w <= tileWidth} coordinates from {@code i0} one by one, skipping non-finite
     * gradients (update 0, state untouched) and, if {@code freezeZeros}, exactly-zero ones (the
     * same, but not counted). Returns the number of non-finite gradients skipped.
     */
    final long scalarWithSkips(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int i0,
            int w,
            boolean freezeZeros,
            float[] scratch) {
        long skipped = 0;
        for (int c = 0; c < w; c++) {
            int i = i0 + c;
            float g = grad[gradOff + i];
            if (g - g != 0f) {
                upd[updOff + i] = 0f;
                skipped++;
            } else if (freezeZeros && g == 0f) {
                upd[updOff + i] = 0f;
            } else {
                scalarTile(s, n, grad, gradOff, upd, updOff, i, 1, scratch);
            }
        }
        return skipped;
    }

    /**
     * Runs a range with the scalar tile code (the whole scalar kernel; tails of the vector one).
     */
    final long scalarRange(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            boolean freezeZeros,
            float[] scratch) {
        long skipped = 0;
        for (int i0 = from; i0 < to; i0 += SCALAR_TILE) {
            int w = Math.min(SCALAR_TILE, to - i0);
            if (needsSkips(grad, gradOff + i0, w, checkFinite, freezeZeros)) {
                skipped +=
                        scalarWithSkips(
                                s, n, grad, gradOff, upd, updOff, i0, w, freezeZeros, scratch);
            } else {
                scalarTile(s, n, grad, gradOff, upd, updOff, i0, w, scratch);
            }
        }
        return skipped;
    }

    /** One tile of {@code w <= SCALAR_TILE} coordinates from {@code i0}, plain Java. */
    final void scalarTile(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int i0,
            int w,
            float[] sc) {
        final int tw = SCALAR_TILE;
        final int h = hidden;
        final float[] p = packed;
        // scratch layout: xin [(in + H) rows], hout [H rows], acc [4 rows], each tw wide
        final int xin = 0;
        final int maxK = Math.max(features, h) + h;
        final int hout = maxK * tw;
        final int acc = hout + h * tw;
        final int ai = acc;
        final int af = acc + tw;
        final int ag = acc + 2 * tw;
        final int ao = acc + 3 * tw;
        for (int c = 0; c < w; c++) {
            float g = grad[gradOff + i0 + c];
            if (logSign) {
                sc[xin + c] = logSignMagnitude(g);
                sc[xin + tw + c] = logSignSecond(g);
            } else {
                sc[xin + c] = g;
            }
        }
        int in = features;
        for (int l = 0; l < layers; l++) {
            int hRow = l * 2 * h;
            int cRow = hRow + h;
            for (int k = 0; k < h; k++) {
                int src = (hRow + k) * n + i0;
                int dst = xin + (in + k) * tw;
                for (int c = 0; c < w; c++) {
                    sc[dst + c] = s[src + c];
                }
            }
            int kk = in + h;
            int blk = 4 * (kk + 1);
            int lo = layerOffset[l];
            // per coordinate, the four gate sums of a unit in registers; weights stay in L1
            for (int c = 0; c < w; c++) {
                for (int j = 0; j < h; j++) {
                    int base = lo + j * blk;
                    int bb = base + 4 * kk;
                    float zi = p[bb];
                    float zf = p[bb + 1];
                    float zg = p[bb + 2];
                    float zo = p[bb + 3];
                    int xo = xin + c;
                    for (int wb = base; wb < bb; wb += 4, xo += tw) {
                        float x = sc[xo];
                        zi += p[wb] * x;
                        zf += p[wb + 1] * x;
                        zg += p[wb + 2] * x;
                        zo += p[wb + 3] * x;
                    }
                    int cIdx = (cRow + j) * n + i0 + c;
                    float cNew = sigmoid(zf) * s[cIdx] + sigmoid(zi) * tanh(zg);
                    s[cIdx] = cNew;
                    sc[hout + j * tw + c] = sigmoid(zo) * tanh(cNew);
                }
            }
            for (int j = 0; j < h; j++) {
                int dst = (hRow + j) * n + i0;
                int src = hout + j * tw;
                for (int c = 0; c < w; c++) {
                    float v = sc[src + c];
                    s[dst + c] = v;
                    sc[xin + j * tw + c] = v;
                }
            }
            in = h;
        }
        float ob = p[outputOffset + h];
        for (int c = 0; c < w; c++) {
            sc[ai + c] = ob;
        }
        for (int j = 0; j < h; j++) {
            float wj = p[outputOffset + j];
            int xo = xin + j * tw;
            for (int c = 0; c < w; c++) {
                sc[ai + c] += wj * sc[xo + c];
            }
        }
        for (int c = 0; c < w; c++) {
            upd[updOff + i0 + c] = outputScale * sc[ai + c];
        }
    }

    /** First log-sign feature: {@code log|g| / p} if {@code |g| >= e^-p}, else -1. */
    final float logSignMagnitude(float g) {
        float a = Math.abs(g);
        return a >= logSignThreshold ? (float) Math.log(a) * invLogSignP : -1f;
    }

    /** Second log-sign feature: {@code sign g} if {@code |g| >= e^-p}, else {@code e^p g}. */
    final float logSignSecond(float g) {
        return Math.abs(g) >= logSignThreshold ? Math.signum(g) : expP * g;
    }

    /** Overflow-safe tanh: clamped rational approximation (relative error ~1e-7). */
    static float tanh(float x) {
        float v = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, x));
        return RationalTanh.rational(v);
    }

    /** Overflow-safe sigmoid: {@code 0.5 + 0.5 * tanh(x / 2)}. */
    static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }
}
