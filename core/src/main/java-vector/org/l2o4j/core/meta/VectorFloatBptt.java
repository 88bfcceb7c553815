package org.l2o4j.core.meta;

import static org.l2o4j.core.lstm.RationalTanh.*;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.l2o4j.core.lstm.LstmConfig;

/**
 * The float training kernel with the Vector API ({@code FloatVector.SPECIES_PREFERRED}). A block
 * row of {@link #W} coordinates is processed in tiles of four vectors ({@code 4 L} coordinates, 64
 * with AVX-512). The three matrix products are register-blocked to 16 vector accumulators, every
 * weight broadcast once per tile:
 *
 * <ul>
 *   <li>gates: for each hidden unit, its four gates (i, f, g, o) times four vectors, over the
 *       inputs {@code [x, h_prev]} (as the inference kernel);
 *   <li>{@code W^T dz}: four columns times four vectors, over the 4H gate rows;
 *   <li>weight gradient: four gate rows times four columns, over the truncation's steps and the
 *       block's vectors, accumulated in lanes and reduced into double lane by lane (a fixed order;
 *       {@code reduceLanes} leaves the order open).
 * </ul>
 *
 * <p>Helpers take arrays, never vectors, so that no {@code FloatVector} crosses a call C2 might not
 * inline. Only loaded (by name, through {@code KernelSelection}, from {@link FloatBptt#create})
 * when the {@code jdk.incubator.vector} module is present.
 */
final class VectorFloatBptt extends FloatBptt {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int TW = 4 * L;

    VectorFloatBptt(LstmConfig c) {
        super(c);
        if (W % TW != 0) {
            // the caller (KernelSelection) falls back to the scalar kernel
            throw new UnsupportedOperationException(
                    "a tile of 4 x " + L + " floats does not divide a block of " + W);
        }
    }

    @Override
    String id() {
        return "float-vector";
    }

    @Override
    String kind() {
        return "vector";
    }

    @Override
    void gates(int l, int in, float[] x, int xOff, float[] hp, int hOff, float[] z, int zOff) {
        final int h = hidden;
        final float[] p = fwd;
        final int kk = in + h;
        final int blk = 4 * (kk + 1);
        final int rows = h * W;
        for (int t0 = 0; t0 < W; t0 += TW) {
            for (int j = 0; j < h; j++) {
                int base = fwdOff[l] + j * blk;
                int bb = base + 4 * kk;
                FloatVector bi = FloatVector.broadcast(SPECIES, p[bb]);
                FloatVector bf = FloatVector.broadcast(SPECIES, p[bb + 1]);
                FloatVector bg = FloatVector.broadcast(SPECIES, p[bb + 2]);
                FloatVector bo = FloatVector.broadcast(SPECIES, p[bb + 3]);
                FloatVector i0a = bi, f0a = bf, g0a = bg, o0a = bo;
                FloatVector i1a = bi, f1a = bf, g1a = bg, o1a = bo;
                FloatVector i2a = bi, f2a = bf, g2a = bg, o2a = bo;
                FloatVector i3a = bi, f3a = bf, g3a = bg, o3a = bo;
                // the layer input, then the previous h (two loops: no branch per input)
                for (int k = 0; k < in; k++) {
                    int wb = base + 4 * (k);
                    int xo = xOff + k * W + t0;
                    FloatVector wi = FloatVector.broadcast(SPECIES, p[wb]);
                    FloatVector wf = FloatVector.broadcast(SPECIES, p[wb + 1]);
                    FloatVector wg = FloatVector.broadcast(SPECIES, p[wb + 2]);
                    FloatVector wo = FloatVector.broadcast(SPECIES, p[wb + 3]);
                    FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
                    i0a = x0.fma(wi, i0a);
                    f0a = x0.fma(wf, f0a);
                    g0a = x0.fma(wg, g0a);
                    o0a = x0.fma(wo, o0a);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + L);
                    i1a = x1.fma(wi, i1a);
                    f1a = x1.fma(wf, f1a);
                    g1a = x1.fma(wg, g1a);
                    o1a = x1.fma(wo, o1a);
                    FloatVector x2 = FloatVector.fromArray(SPECIES, x, xo + 2 * L);
                    i2a = x2.fma(wi, i2a);
                    f2a = x2.fma(wf, f2a);
                    g2a = x2.fma(wg, g2a);
                    o2a = x2.fma(wo, o2a);
                    FloatVector x3 = FloatVector.fromArray(SPECIES, x, xo + 3 * L);
                    i3a = x3.fma(wi, i3a);
                    f3a = x3.fma(wf, f3a);
                    g3a = x3.fma(wg, g3a);
                    o3a = x3.fma(wo, o3a);
                }
                for (int k = 0; k < h; k++) {
                    int wb = base + 4 * (in + k);
                    int xo = hOff + k * W + t0;
                    FloatVector wi = FloatVector.broadcast(SPECIES, p[wb]);
                    FloatVector wf = FloatVector.broadcast(SPECIES, p[wb + 1]);
                    FloatVector wg = FloatVector.broadcast(SPECIES, p[wb + 2]);
                    FloatVector wo = FloatVector.broadcast(SPECIES, p[wb + 3]);
                    FloatVector x0 = FloatVector.fromArray(SPECIES, hp, xo);
                    i0a = x0.fma(wi, i0a);
                    f0a = x0.fma(wf, f0a);
                    g0a = x0.fma(wg, g0a);
                    o0a = x0.fma(wo, o0a);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, hp, xo + L);
                    i1a = x1.fma(wi, i1a);
                    f1a = x1.fma(wf, f1a);
                    g1a = x1.fma(wg, g1a);
                    o1a = x1.fma(wo, o1a);
                    FloatVector x2 = FloatVector.fromArray(SPECIES, hp, xo + 2 * L);
                    i2a = x2.fma(wi, i2a);
                    f2a = x2.fma(wf, f2a);
                    g2a = x2.fma(wg, g2a);
                    o2a = x2.fma(wo, o2a);
                    FloatVector x3 = FloatVector.fromArray(SPECIES, hp, xo + 3 * L);
                    i3a = x3.fma(wi, i3a);
                    f3a = x3.fma(wf, f3a);
                    g3a = x3.fma(wg, g3a);
                    o3a = x3.fma(wo, o3a);
                }
                int zi = zOff + j * W + t0;
                int zf = zi + rows;
                int zg = zf + rows;
                int zo = zg + rows;
                i0a.intoArray(z, zi);
                i1a.intoArray(z, zi + L);
                i2a.intoArray(z, zi + 2 * L);
                i3a.intoArray(z, zi + 3 * L);
                f0a.intoArray(z, zf);
                f1a.intoArray(z, zf + L);
                f2a.intoArray(z, zf + 2 * L);
                f3a.intoArray(z, zf + 3 * L);
                g0a.intoArray(z, zg);
                g1a.intoArray(z, zg + L);
                g2a.intoArray(z, zg + 2 * L);
                g3a.intoArray(z, zg + 3 * L);
                o0a.intoArray(z, zo);
                o1a.intoArray(z, zo + L);
                o2a.intoArray(z, zo + 2 * L);
                o3a.intoArray(z, zo + 3 * L);
            }
        }
    }

    @Override
    void cellForward(float[] buf, int off, float[] cp, int cpOff) {
        final int h = hidden;
        final int rows = h * W;
        sigmoidInPlace(buf, off, 2 * rows); // i, f
        tanhInto(buf, off + 2 * rows, buf, off + 2 * rows, rows); // g
        sigmoidInPlace(buf, off + 3 * rows, rows); // o
        int co = off + 4 * rows;
        for (int v = 0; v < rows; v += L) {
            FloatVector gi = FloatVector.fromArray(SPECIES, buf, off + v);
            FloatVector gf = FloatVector.fromArray(SPECIES, buf, off + rows + v);
            FloatVector gg = FloatVector.fromArray(SPECIES, buf, off + 2 * rows + v);
            FloatVector c = FloatVector.fromArray(SPECIES, cp, cpOff + v);
            gf.fma(c, gi.mul(gg)).intoArray(buf, co + v);
        }
        // h = o tanh(c): tanh(c) into the h rows, then times o in place
        int ho = off + 5 * rows;
        tanhInto(buf, co, buf, ho, rows);
        int oo = off + 3 * rows;
        for (int v = 0; v < rows; v += L) {
            FloatVector o = FloatVector.fromArray(SPECIES, buf, oo + v);
            o.mul(FloatVector.fromArray(SPECIES, buf, ho + v)).intoArray(buf, ho + v);
        }
    }

    @Override
    void outputForward(float[] buf, int hOff, float[] upd) {
        final int h = hidden;
        FloatVector ob = FloatVector.broadcast(SPECIES, out[h]);
        for (int v = 0; v < W; v += L) {
            FloatVector o = ob;
            for (int j = 0; j < h; j++) {
                FloatVector wj = FloatVector.broadcast(SPECIES, out[j]);
                o = FloatVector.fromArray(SPECIES, buf, hOff + j * W + v).fma(wj, o);
            }
            o.mul(scale).intoArray(upd, v);
        }
    }

    @Override
    void outputBackward(float[] dout, int d0, float[] dhTop) {
        for (int j = 0; j < hidden; j++) {
            FloatVector w = FloatVector.broadcast(SPECIES, out[j]);
            for (int v = 0; v < W; v += L) {
                w.mul(FloatVector.fromArray(SPECIES, dout, d0 + v)).intoArray(dhTop, j * W + v);
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
        final int rows = hidden * W;
        final FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        for (int v = 0; v < rows; v += L) {
            int io = off + v;
            int fo = io + rows;
            int go = fo + rows;
            int oo = go + rows;
            int co = oo + rows;
            FloatVector dh =
                    FloatVector.fromArray(SPECIES, above, aboveOff + v)
                            .add(FloatVector.fromArray(SPECIES, rec, recOff + v));
            FloatVector gi = FloatVector.fromArray(SPECIES, buf, io);
            FloatVector gf = FloatVector.fromArray(SPECIES, buf, fo);
            FloatVector gg = FloatVector.fromArray(SPECIES, buf, go);
            FloatVector gO = FloatVector.fromArray(SPECIES, buf, oo);
            // tanh(c), as in tanhInto (inline: no vector crosses a call)
            FloatVector x =
                    FloatVector.fromArray(SPECIES, buf, co).max(-TANH_CLAMP).min(TANH_CLAMP);
            FloatVector x2 = x.mul(x);
            FloatVector num = x2.fma(A13, A11);
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A9));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A7));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A5));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A3));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A1));
            FloatVector den = x2.fma(B6, B4);
            den = den.fma(x2, FloatVector.broadcast(SPECIES, B2));
            den = den.fma(x2, FloatVector.broadcast(SPECIES, B0));
            FloatVector t =
                    num.mul(x)
                            .div(den)
                            .blend(1f, x.compare(VectorOperators.GE, TANH_CLAMP))
                            .blend(-1f, x.compare(VectorOperators.LE, -TANH_CLAMP));
            FloatVector dcr = FloatVector.fromArray(SPECIES, dcRec, dcOff + v);
            FloatVector dc = dh.mul(gO).mul(one.sub(t.mul(t))).add(dcr);
            dc.mul(gg).mul(gi).mul(one.sub(gi)).intoArray(buf, io);
            dc.mul(FloatVector.fromArray(SPECIES, cp, cpOff + v))
                    .mul(gf)
                    .mul(one.sub(gf))
                    .intoArray(buf, fo);
            dc.mul(gi).mul(one.sub(gg.mul(gg))).intoArray(buf, go);
            dh.mul(t).mul(gO).mul(one.sub(gO)).intoArray(buf, oo);
            dc.mul(gf).intoArray(dcRec, dcOff + v);
        }
    }

    @Override
    void matTvec(int l, float[] dz, int zOff, float[] dst, int dstOff) {
        final int r4 = 4 * hidden;
        final float[] p = bwd;
        for (int t0 = 0; t0 < W; t0 += TW) {
            for (int g = 0; g < bwdGroups[l]; g++) {
                int wg = bwdOff[l] + g * r4 * 4;
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                for (int r = 0; r < r4; r++) {
                    int wb = wg + 4 * r;
                    int zo = zOff + r * W + t0;
                    FloatVector w0 = FloatVector.broadcast(SPECIES, p[wb]);
                    FloatVector w1 = FloatVector.broadcast(SPECIES, p[wb + 1]);
                    FloatVector w2 = FloatVector.broadcast(SPECIES, p[wb + 2]);
                    FloatVector w3 = FloatVector.broadcast(SPECIES, p[wb + 3]);
                    FloatVector z0 = FloatVector.fromArray(SPECIES, dz, zo);
                    a00 = z0.fma(w0, a00);
                    a10 = z0.fma(w1, a10);
                    a20 = z0.fma(w2, a20);
                    a30 = z0.fma(w3, a30);
                    FloatVector z1 = FloatVector.fromArray(SPECIES, dz, zo + L);
                    a01 = z1.fma(w0, a01);
                    a11 = z1.fma(w1, a11);
                    a21 = z1.fma(w2, a21);
                    a31 = z1.fma(w3, a31);
                    FloatVector z2 = FloatVector.fromArray(SPECIES, dz, zo + 2 * L);
                    a02 = z2.fma(w0, a02);
                    a12 = z2.fma(w1, a12);
                    a22 = z2.fma(w2, a22);
                    a32 = z2.fma(w3, a32);
                    FloatVector z3 = FloatVector.fromArray(SPECIES, dz, zo + 3 * L);
                    a03 = z3.fma(w0, a03);
                    a13 = z3.fma(w1, a13);
                    a23 = z3.fma(w2, a23);
                    a33 = z3.fma(w3, a33);
                }
                int d0 = dstOff + 4 * g * W + t0;
                int d1 = d0 + W;
                int d2 = d1 + W;
                int d3 = d2 + W;
                a00.intoArray(dst, d0);
                a01.intoArray(dst, d0 + L);
                a02.intoArray(dst, d0 + 2 * L);
                a03.intoArray(dst, d0 + 3 * L);
                a10.intoArray(dst, d1);
                a11.intoArray(dst, d1 + L);
                a12.intoArray(dst, d1 + 2 * L);
                a13.intoArray(dst, d1 + 3 * L);
                a20.intoArray(dst, d2);
                a21.intoArray(dst, d2 + L);
                a22.intoArray(dst, d2 + 2 * L);
                a23.intoArray(dst, d2 + 3 * L);
                a30.intoArray(dst, d3);
                a31.intoArray(dst, d3 + L);
                a32.intoArray(dst, d3 + 2 * L);
                a33.intoArray(dst, d3 + 3 * L);
            }
        }
    }

    @Override
    void weightGradient(Storage s, int l, int in, int zOff, int steps, int stride) {
        final int h = hidden;
        final int cols = in + h + 1;
        final float[] lanes = s.lanes;
        for (int r0 = 0; r0 < 4 * h; r0 += 4) {
            for (int c0 = 0; c0 < cols; c0 += 4) {
                FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                for (int u = 0; u < steps; u++) {
                    float[] z = s.steps[u];
                    int zo = zOff + r0 * W;
                    int co = u * stride + c0;
                    float[] x0a = s.colArr[co];
                    float[] x1a = s.colArr[co + 1];
                    float[] x2a = s.colArr[co + 2];
                    float[] x3a = s.colArr[co + 3];
                    int x0o = s.colOff[co];
                    int x1o = s.colOff[co + 1];
                    int x2o = s.colOff[co + 2];
                    int x3o = s.colOff[co + 3];
                    for (int v = 0; v < W; v += L) {
                        FloatVector z0 = FloatVector.fromArray(SPECIES, z, zo + v);
                        FloatVector z1 = FloatVector.fromArray(SPECIES, z, zo + W + v);
                        FloatVector z2 = FloatVector.fromArray(SPECIES, z, zo + 2 * W + v);
                        FloatVector z3 = FloatVector.fromArray(SPECIES, z, zo + 3 * W + v);
                        FloatVector x0 = FloatVector.fromArray(SPECIES, x0a, x0o + v);
                        a00 = z0.fma(x0, a00);
                        a10 = z1.fma(x0, a10);
                        a20 = z2.fma(x0, a20);
                        a30 = z3.fma(x0, a30);
                        FloatVector x1 = FloatVector.fromArray(SPECIES, x1a, x1o + v);
                        a01 = z0.fma(x1, a01);
                        a11 = z1.fma(x1, a11);
                        a21 = z2.fma(x1, a21);
                        a31 = z3.fma(x1, a31);
                        FloatVector x2 = FloatVector.fromArray(SPECIES, x2a, x2o + v);
                        a02 = z0.fma(x2, a02);
                        a12 = z1.fma(x2, a12);
                        a22 = z2.fma(x2, a22);
                        a32 = z3.fma(x2, a32);
                        FloatVector x3 = FloatVector.fromArray(SPECIES, x3a, x3o + v);
                        a03 = z0.fma(x3, a03);
                        a13 = z1.fma(x3, a13);
                        a23 = z2.fma(x3, a23);
                        a33 = z3.fma(x3, a33);
                    }
                }
                a00.intoArray(lanes, 0);
                a01.intoArray(lanes, L);
                a02.intoArray(lanes, 2 * L);
                a03.intoArray(lanes, 3 * L);
                a10.intoArray(lanes, 4 * L);
                a11.intoArray(lanes, 5 * L);
                a12.intoArray(lanes, 6 * L);
                a13.intoArray(lanes, 7 * L);
                a20.intoArray(lanes, 8 * L);
                a21.intoArray(lanes, 9 * L);
                a22.intoArray(lanes, 10 * L);
                a23.intoArray(lanes, 11 * L);
                a30.intoArray(lanes, 12 * L);
                a31.intoArray(lanes, 13 * L);
                a32.intoArray(lanes, 14 * L);
                a33.intoArray(lanes, 15 * L);
                int cEnd = Math.min(4, cols - c0);
                for (int a = 0; a < 4; a++) {
                    int r = r0 + a;
                    for (int b = 0; b < cEnd; b++) {
                        int c = c0 + b;
                        int p;
                        if (c < in) {
                            p = wihOff[l] + r * in + c;
                        } else if (c < in + h) {
                            p = whhOff[l] + r * h + c - in;
                        } else {
                            p = biasOff[l] + r;
                        }
                        s.acc[p] += sumLanes(lanes, (4 * a + b) * L);
                    }
                }
            }
        }
    }

    @Override
    double outputGradient(Storage s, int steps, int hOff, boolean bias) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = a0;
        for (int u = 0; u < steps; u++) {
            float[] x = bias ? ONES : s.steps[u];
            int xo = bias ? 0 : hOff;
            int d0 = u * W;
            int v = 0;
            for (; v + 2 * L <= W; v += 2 * L) {
                a0 =
                        FloatVector.fromArray(SPECIES, s.dout, d0 + v)
                                .fma(FloatVector.fromArray(SPECIES, x, xo + v), a0);
                a1 =
                        FloatVector.fromArray(SPECIES, s.dout, d0 + v + L)
                                .fma(FloatVector.fromArray(SPECIES, x, xo + v + L), a1);
            }
            for (; v < W; v += L) {
                a0 =
                        FloatVector.fromArray(SPECIES, s.dout, d0 + v)
                                .fma(FloatVector.fromArray(SPECIES, x, xo + v), a0);
            }
        }
        a0.add(a1).intoArray(s.lanes, 0);
        return sumLanes(s.lanes, 0);
    }

    /** {@code sum_{k<L} a[off+k]} in double, lane 0 first. */
    private static double sumLanes(float[] a, int off) {
        double s0 = 0;
        double s1 = 0;
        for (int k = 0; k < L; k += 2) {
            s0 += a[off + k];
            s1 += a[off + k + 1];
        }
        return s0 + s1;
    }

    /** {@code dst[..] = tanh(src[..])} over {@code len} floats (a multiple of L). */
    private static void tanhInto(float[] src, int srcOff, float[] dst, int dstOff, int len) {
        for (int v = 0; v < len; v += L) {
            FloatVector x =
                    FloatVector.fromArray(SPECIES, src, srcOff + v)
                            .max(-TANH_CLAMP)
                            .min(TANH_CLAMP);
            FloatVector x2 = x.mul(x);
            FloatVector num = x2.fma(A13, A11);
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A9));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A7));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A5));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A3));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A1));
            FloatVector den = x2.fma(B6, B4);
            den = den.fma(x2, FloatVector.broadcast(SPECIES, B2));
            den = den.fma(x2, FloatVector.broadcast(SPECIES, B0));
            // exactly +-1 at the clamp (see ScalarFloatBptt#tanh); inline: no vector
            // crosses a call
            num.mul(x)
                    .div(den)
                    .blend(1f, x.compare(VectorOperators.GE, TANH_CLAMP))
                    .blend(-1f, x.compare(VectorOperators.LE, -TANH_CLAMP))
                    .intoArray(dst, dstOff + v);
        }
    }

    /** {@code a[..] = 0.5 + 0.5 tanh(a[..] / 2)}, as {@link ScalarFloatBptt#sigmoid}. */
    private static void sigmoidInPlace(float[] a, int off, int len) {
        for (int v = off; v < off + len; v += L) {
            FloatVector x =
                    FloatVector.fromArray(SPECIES, a, v).mul(0.5f).max(-TANH_CLAMP).min(TANH_CLAMP);
            FloatVector x2 = x.mul(x);
            FloatVector num = x2.fma(A13, A11);
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A9));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A7));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A5));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A3));
            num = num.fma(x2, FloatVector.broadcast(SPECIES, A1));
            FloatVector den = x2.fma(B6, B4);
            den = den.fma(x2, FloatVector.broadcast(SPECIES, B2));
            den = den.fma(x2, FloatVector.broadcast(SPECIES, B0));
            num.mul(x)
                    .div(den)
                    .blend(1f, x.compare(VectorOperators.GE, TANH_CLAMP))
                    .blend(-1f, x.compare(VectorOperators.LE, -TANH_CLAMP))
                    .fma(0.5f, 0.5f)
                    .intoArray(a, v);
        }
    }
}
