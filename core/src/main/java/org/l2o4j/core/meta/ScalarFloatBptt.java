package org.l2o4j.core.meta;

import static org.l2o4j.core.lstm.RationalTanh.TANH_CLAMP;

import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.RationalTanh;

/**
 * The float training kernel in plain Java: the complete fallback when the Vector API module is
 * absent (and the reference the vector kernel is tested against). Inner loops run over the {@link
 * #W} coordinates of a row, which C2 can auto-vectorize where no reduction is involved.
 */
final class ScalarFloatBptt extends FloatBptt {
    ScalarFloatBptt(LstmConfig c) {
        super(c);
    }

    @Override
    String id() {
        return "float-scalar";
    }

    @Override
    String kind() {
        return "scalar";
    }

    @Override
    void gates(int l, int in, float[] x, int xOff, float[] hp, int hOff, float[] z, int zOff) {
        final int h = hidden;
        final int kk = in + h;
        final int blk = 4 * (kk + 1);
        for (int j = 0; j < h; j++) {
            int base = fwdOff[l] + j * blk;
            for (int q = 0; q < 4; q++) {
                int zo = zOff + (q * h + j) * W;
                float b = fwd[base + 4 * kk + q];
                for (int i = 0; i < W; i++) {
                    z[zo + i] = b;
                }
                for (int k = 0; k < in; k++) {
                    float w = fwd[base + 4 * k + q];
                    int xo = xOff + k * W;
                    for (int i = 0; i < W; i++) {
                        z[zo + i] = Math.fma(w, x[xo + i], z[zo + i]);
                    }
                }
                for (int k = 0; k < h; k++) {
                    float w = fwd[base + 4 * (in + k) + q];
                    int xo = hOff + k * W;
                    for (int i = 0; i < W; i++) {
                        z[zo + i] = Math.fma(w, hp[xo + i], z[zo + i]);
                    }
                }
            }
        }
    }

    @Override
    void cellForward(float[] buf, int off, float[] cp, int cpOff) {
        final int h = hidden;
        final int rows = h * W;
        for (int j = 0; j < h; j++) {
            int io = off + j * W;
            int fo = io + rows;
            int go = fo + rows;
            int oo = go + rows;
            int co = oo + rows;
            int ho = co + rows;
            int cpo = cpOff + j * W;
            for (int i = 0; i < W; i++) {
                float gi = sigmoid(buf[io + i]);
                float gf = sigmoid(buf[fo + i]);
                float gg = tanh(buf[go + i]);
                float gO = sigmoid(buf[oo + i]);
                float c = Math.fma(gf, cp[cpo + i], gi * gg);
                float t = tanh(c);
                buf[io + i] = gi;
                buf[fo + i] = gf;
                buf[go + i] = gg;
                buf[oo + i] = gO;
                buf[co + i] = c;
                buf[ho + i] = gO * t;
            }
        }
    }

    @Override
    void outputForward(float[] buf, int hOff, float[] upd) {
        final int h = hidden;
        float b = out[h];
        for (int i = 0; i < W; i++) {
            float o = b;
            for (int j = 0; j < h; j++) {
                o = Math.fma(buf[hOff + j * W + i], out[j], o);
            }
            upd[i] = o * scale;
        }
    }

    @Override
    void outputBackward(float[] dout, int d0, float[] dhTop) {
        for (int j = 0; j < hidden; j++) {
            float w = out[j];
            for (int i = 0; i < W; i++) {
                dhTop[j * W + i] = w * dout[d0 + i];
            }
        }
    }

    @Override
    void cellBackward(
            float[] buf,
            int off,
            float[] cp,
            int cpOff,
            float[] above,
            int aboveOff,
            float[] rec,
            int recOff,
            float[] dcRec,
            int dcOff) {
        final int h = hidden;
        final int rows = h * W;
        for (int j = 0; j < h; j++) {
            int io = off + j * W;
            int fo = io + rows;
            int go = fo + rows;
            int oo = go + rows;
            int co = oo + rows;
            int cpo = cpOff + j * W;
            int ao = aboveOff + j * W;
            int ro = recOff + j * W;
            int dco = dcOff + j * W;
            for (int i = 0; i < W; i++) {
                float dh = above[ao + i] + rec[ro + i];
                float gi = buf[io + i];
                float gf = buf[fo + i];
                float gg = buf[go + i];
                float gO = buf[oo + i];
                float t = tanh(buf[co + i]);
                float dc = dcRec[dco + i] + dh * gO * (1 - t * t);
                buf[io + i] = dc * gg * gi * (1 - gi);
                buf[fo + i] = dc * cp[cpo + i] * gf * (1 - gf);
                buf[go + i] = dc * gi * (1 - gg * gg);
                buf[oo + i] = dh * t * gO * (1 - gO);
                dcRec[dco + i] = dc * gf;
            }
        }
    }

    @Override
    void matTvec(int l, float[] dz, int zOff, float[] dst, int dstOff) {
        final int r4 = 4 * hidden;
        for (int g = 0; g < bwdGroups[l]; g++) {
            int wg = bwdOff[l] + g * r4 * 4;
            for (int q = 0; q < 4; q++) {
                int d = dstOff + (4 * g + q) * W;
                for (int i = 0; i < W; i++) {
                    dst[d + i] = 0f;
                }
                for (int r = 0; r < r4; r++) {
                    float w = bwd[wg + r * 4 + q];
                    int zo = zOff + r * W;
                    for (int i = 0; i < W; i++) {
                        dst[d + i] = Math.fma(w, dz[zo + i], dst[d + i]);
                    }
                }
            }
        }
    }

    @Override
    void weightGradient(Storage s, int l, int in, int zOff, int steps, int stride) {
        final int h = hidden;
        final int cols = in + h + 1;
        // per-coordinate partial sums over the steps (independent lanes that C2 can vectorize; a
        // single float sum would be one chain of dependent FMAs), then the coordinates in double
        // in a fixed order
        final float[] part = s.lanes;
        for (int r = 0; r < 4 * h; r++) {
            int zo = zOff + r * W;
            for (int c = 0; c < cols; c++) {
                for (int i = 0; i < W; i++) {
                    part[i] = 0f;
                }
                for (int u = 0; u < steps; u++) {
                    float[] z = s.steps[u];
                    float[] x = s.colArr[u * stride + c];
                    int xo = s.colOff[u * stride + c];
                    for (int i = 0; i < W; i++) {
                        part[i] = Math.fma(z[zo + i], x[xo + i], part[i]);
                    }
                }
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int i = 0; i < W; i += 4) {
                    s0 += part[i];
                    s1 += part[i + 1];
                    s2 += part[i + 2];
                    s3 += part[i + 3];
                }
                int p;
                if (c < in) {
                    p = wihOff[l] + r * in + c;
                } else if (c < in + h) {
                    p = whhOff[l] + r * h + c - in;
                } else {
                    p = biasOff[l] + r;
                }
                s.acc[p] += (s0 + s1) + (s2 + s3);
            }
        }
    }

    @Override
    double outputGradient(Storage s, int steps, int hOff, boolean bias) {
        double sum = 0;
        for (int u = 0; u < steps; u++) {
            float[] x = s.steps[u];
            int d0 = u * W;
            float t = 0f;
            for (int i = 0; i < W; i++) {
                t = Math.fma(s.dout[d0 + i], bias ? 1f : x[hOff + i], t);
            }
            sum += t;
        }
        return sum;
    }

    /**
     * Overflow-safe tanh: the inference kernel's clamped rational approximation, but exactly +-1
     * from the clamp on, so that saturated gates have an exactly zero derivative (as in double): a
     * derivative floor of one ulp times a huge input (an optimizee gradient of 1e30 with
     * preprocessing {@code none}) would overflow float.
     */
    static float tanh(float x) {
        if (x >= TANH_CLAMP) {
            return 1f;
        }
        if (x <= -TANH_CLAMP) {
            return -1f;
        }
        return RationalTanh.rational(x);
    }

    /** Overflow-safe sigmoid: {@code 0.5 + 0.5 tanh(x / 2)}. */
    static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }
}
