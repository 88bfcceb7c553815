package org.l2o4j.core.lstm;

import static org.l2o4j.core.lstm.RationalTanh.*;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel: tiles of four vectors of coordinates ({@code 4 *
 * FloatVector.SPECIES_PREFERRED.length()}, 64 with AVX-512); every weight is broadcast once per
 * tile and multiplied into all four vectors. Only loaded (reflectively, by {@link KernelSelection})
 * when the {@code jdk.incubator.vector} module is present.
 *
 * <p>Frozen zero gradients ({@link ZeroGradientPolicy#FREEZE}): a tile without a zero gradient runs
 * the plain tile; a tile of zeros only is not computed (update +0, state untouched); a mixed tile
 * runs the same arithmetic and stores the new c, h and update through a mask, keeping the old state
 * and writing +0 in the zero lanes.
 */
final class VectorLstmKernel extends ScalarLstmKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int TW = 4 * L;

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

    /** Floats of scratch {@link #tile} uses (from index 0): its rows and the gradient row. */
    private int tileScratch() {
        return (Math.max(features, hidden) + 6 * hidden + 1) * TW;
    }

    @Override
    int scratchSize() {
        int skips = tileScratch() + 2 * TW + TW * config.stateSizePerCoordinate();
        return Math.max(skips, scalarScratchSize());
    }

    /**
     * A tile with non-finite gradients: runs the vector tile with those gradients replaced by 0,
     * then restores the state of the bad coordinates and zeroes their update, so the good
     * coordinates get exactly the results they would get without the bad ones.
     */
    private long tileWithSkips(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int i0,
            boolean freezeZeros,
            float[] sc) {
        int gBase = tileScratch();
        int mask = gBase + TW;
        int save = mask + TW;
        int per = config.stateSizePerCoordinate();
        long bad = 0;
        for (int c = 0; c < TW; c++) {
            float g = grad[gradOff + i0 + c];
            boolean isBad = g - g != 0f;
            sc[gBase + c] = isBad ? 0f : g;
            sc[mask + c] = isBad ? 1f : 0f;
            if (isBad) {
                bad++;
                for (int k = 0; k < per; k++) {
                    sc[save + c * per + k] = s[k * n + i0 + c];
                }
            }
        }
        tile(s, n, sc, gBase - i0, upd, updOff, i0, freezeZeros, sc);
        for (int c = 0; c < TW; c++) {
            if (sc[mask + c] != 0f) {
                upd[updOff + i0 + c] = 0f;
                for (int k = 0; k < per; k++) {
                    s[k * n + i0 + c] = sc[save + c * per + k];
                }
            }
        }
        return bad;
    }

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
        long skipped = 0;
        int i0 = from;
        for (; i0 + TW <= to; i0 += TW) {
            if (checkFinite && hasNonFinite(grad, gradOff + i0, TW)) {
                skipped +=
                        tileWithSkips(s, n, grad, gradOff, upd, updOff, i0, freezeZeros, scratch);
            } else if (!freezeZeros) {
                tile(s, n, grad, gradOff, upd, updOff, i0, false, scratch);
            } else {
                int zeros = countZeros(grad, gradOff + i0, TW);
                if (zeros == TW) {
                    // nothing to compute: every coordinate is frozen
                    for (int c = 0; c < TW; c++) {
                        upd[updOff + i0 + c] = 0f;
                    }
                } else {
                    tile(s, n, grad, gradOff, upd, updOff, i0, zeros != 0, scratch);
                }
            }
        }
        if (i0 < to) {
            skipped +=
                    scalarRange(
                            s,
                            n,
                            grad,
                            gradOff,
                            upd,
                            updOff,
                            i0,
                            to,
                            checkFinite,
                            freezeZeros,
                            scratch);
        }
        return skipped;
    }

    // Scratch layout (each row TW floats): xin [maxK rows: layer input, then old h], hout [H],
    // z [4H: gate pre-activations, gate-major (i, f, g, o)], the tile's gradient [1 row, read if
    // masked]. Helpers take arrays, never vectors, so that no FloatVector crosses a call that C2
    // might not inline (which would box it).

    /**
     * One full tile from {@code i0}. If {@code masked}, coordinates whose gradient is exactly
     * {@code +-0.0} keep their state and get update {@code +0.0}; the others get exactly the
     * results of the unmasked tile.
     */
    private void tile(
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int i0,
            boolean masked,
            float[] sc) {
        final int h = hidden;
        final float[] p = packed;
        final int maxK = Math.max(features, h) + h;
        final int hout = maxK * TW;
        final int z = hout + h * TW;
        final int gRow = z + 4 * h * TW;
        for (int c = 0; c < TW; c++) {
            float g = grad[gradOff + i0 + c];
            // read before any update is written: grad and upd may be the same array
            sc[gRow + c] = g;
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
                FloatVector i2a = bi, f2a = bf, g2a = bg, o2a = bo;
                FloatVector i3a = bi, f3a = bf, g3a = bg, o3a = bo;
                for (int k = 0; k < kk; k++) {
                    int wb = base + 4 * k;
                    int xo = k * TW;
                    FloatVector wi = FloatVector.broadcast(SPECIES, p[wb]);
                    FloatVector wf = FloatVector.broadcast(SPECIES, p[wb + 1]);
                    FloatVector wg = FloatVector.broadcast(SPECIES, p[wb + 2]);
                    FloatVector wo = FloatVector.broadcast(SPECIES, p[wb + 3]);
                    FloatVector x0 = FloatVector.fromArray(SPECIES, sc, xo);
                    i0a = x0.fma(wi, i0a);
                    f0a = x0.fma(wf, f0a);
                    g0a = x0.fma(wg, g0a);
                    o0a = x0.fma(wo, o0a);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, sc, xo + L);
                    i1a = x1.fma(wi, i1a);
                    f1a = x1.fma(wf, f1a);
                    g1a = x1.fma(wg, g1a);
                    o1a = x1.fma(wo, o1a);
                    FloatVector x2 = FloatVector.fromArray(SPECIES, sc, xo + 2 * L);
                    i2a = x2.fma(wi, i2a);
                    f2a = x2.fma(wf, f2a);
                    g2a = x2.fma(wg, g2a);
                    o2a = x2.fma(wo, o2a);
                    FloatVector x3 = FloatVector.fromArray(SPECIES, sc, xo + 3 * L);
                    i3a = x3.fma(wi, i3a);
                    f3a = x3.fma(wf, f3a);
                    g3a = x3.fma(wg, g3a);
                    o3a = x3.fma(wo, o3a);
                }
                int zi = z + j * TW;
                int zf = zi + h * TW;
                int zg = zf + h * TW;
                int zo = zg + h * TW;
                i0a.intoArray(sc, zi);
                i1a.intoArray(sc, zi + L);
                i2a.intoArray(sc, zi + 2 * L);
                i3a.intoArray(sc, zi + 3 * L);
                f0a.intoArray(sc, zf);
                f1a.intoArray(sc, zf + L);
                f2a.intoArray(sc, zf + 2 * L);
                f3a.intoArray(sc, zf + 3 * L);
                g0a.intoArray(sc, zg);
                g1a.intoArray(sc, zg + L);
                g2a.intoArray(sc, zg + 2 * L);
                g3a.intoArray(sc, zg + 3 * L);
                o0a.intoArray(sc, zo);
                o1a.intoArray(sc, zo + L);
                o2a.intoArray(sc, zo + 2 * L);
                o3a.intoArray(sc, zo + 3 * L);
            }
            int rows = h * TW;
            sigmoidInPlace(sc, z, 2 * rows); // i, f
            tanhInPlace(sc, z + 2 * rows, rows); // g
            sigmoidInPlace(sc, z + 3 * rows, rows); // o
            // c = f c + i g, into the state and into the g rows (g is no longer needed)
            for (int j = 0; j < h; j++) {
                int cIdx = (cRow + j) * n + i0;
                int zi = z + j * TW;
                for (int v = 0; v < TW; v += L) {
                    FloatVector c = FloatVector.fromArray(SPECIES, s, cIdx + v);
                    FloatVector ig = FloatVector.fromArray(SPECIES, sc, zi + v);
                    FloatVector fg = FloatVector.fromArray(SPECIES, sc, zi + rows + v);
                    FloatVector gg = FloatVector.fromArray(SPECIES, sc, zi + 2 * rows + v);
                    FloatVector cNew = fg.fma(c, ig.mul(gg));
                    if (masked) {
                        cNew =
                                cNew.blend(
                                        c,
                                        FloatVector.fromArray(SPECIES, sc, gRow + v)
                                                .compare(VectorOperators.EQ, 0f));
                    }
                    cNew.intoArray(s, cIdx + v);
                    cNew.intoArray(sc, zi + 2 * rows + v);
                }
            }
            tanhInPlace(sc, z + 2 * rows, rows); // tanh(c)
            // h = o tanh(c): into the state and the next layer's input rows
            for (int j = 0; j < h; j++) {
                int hIdx = (hRow + j) * n + i0;
                int zt = z + 2 * rows + j * TW;
                for (int v = 0; v < TW; v += L) {
                    FloatVector og = FloatVector.fromArray(SPECIES, sc, zt + rows + v);
                    FloatVector hv = og.mul(FloatVector.fromArray(SPECIES, sc, zt + v));
                    if (masked) {
                        FloatVector hOld = FloatVector.fromArray(SPECIES, s, hIdx + v);
                        hv =
                                hv.blend(
                                        hOld,
                                        FloatVector.fromArray(SPECIES, sc, gRow + v)
                                                .compare(VectorOperators.EQ, 0f));
                    }
                    hv.intoArray(s, hIdx + v);
                    hv.intoArray(sc, j * TW + v);
                }
            }
            in = h;
        }
        FloatVector ob = FloatVector.broadcast(SPECIES, p[outputOffset + h]);
        for (int v = 0; v < TW; v += L) {
            FloatVector o = ob;
            for (int j = 0; j < h; j++) {
                FloatVector wj = FloatVector.broadcast(SPECIES, p[outputOffset + j]);
                o = FloatVector.fromArray(SPECIES, sc, j * TW + v).fma(wj, o);
            }
            FloatVector u = o.mul(outputScale);
            if (masked) {
                u =
                        u.blend(
                                FloatVector.zero(SPECIES),
                                FloatVector.fromArray(SPECIES, sc, gRow + v)
                                        .compare(VectorOperators.EQ, 0f));
            }
            u.intoArray(upd, updOff + i0 + v);
        }
    }

    // ---- 16-bit state: lane-wise versions of StateType's conversions, for full tiles ----
    //
    // One method per type and direction, every vector operation written out in the loop body: no
    // vector is passed to or returned from a method of ours and no branch of one type shares
    // vectors with the other's. C2 keeps vectors unboxed only when every method they cross is
    // inlined; a helper taking vectors that C2 had already compiled on its own ("already compiled
    // into a big method") was not inlined on the CI machine, and its argument was then boxed on
    // every iteration, on the bfloat16 path as well (240 bytes per coordinate and step).

    @Override
    void decodeTile(StateType type, float[] s, int n, int i0, int w, float[] ts) {
        if (w != TW) {
            decodeTileScalar(type, s, n, i0, w, ts);
        } else if (type == StateType.BFLOAT16) {
            decodeBfloat16(s, n, i0, ts);
        } else {
            decodeFloat16(s, n, i0, ts);
        }
    }

    @Override
    void encodeTile(StateType type, float[] ts, float[] s, int n, int i0, int w) {
        if (w != TW) {
            encodeTileScalar(type, ts, s, n, i0, w);
        } else if (type == StateType.BFLOAT16) {
            encodeBfloat16(ts, s, n, i0);
        } else {
            encodeFloat16(ts, s, n, i0);
        }
    }

    private void decodeBfloat16(float[] s, int n, int i0, float[] ts) {
        final int h = hidden;
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int src = StateType.packedRow(l, j, h) * n + i0;
                int hDst = (l * 2 * h + j) * TW;
                int cDst = hDst + h * TW;
                for (int v = 0; v < TW; v += L) {
                    IntVector b = FloatVector.fromArray(SPECIES, s, src + v).reinterpretAsInts();
                    b.and(0xFFFF0000).reinterpretAsFloats().intoArray(ts, hDst + v);
                    b.lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats()
                            .intoArray(ts, cDst + v);
                }
            }
        }
    }

    /** Lane-wise {@link StateType#float16ToFloat} of each half of the packed word. */
    private void decodeFloat16(float[] s, int n, int i0, float[] ts) {
        final int h = hidden;
        final float subScale = Float.intBitsToFloat(113 << 23);
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int src = StateType.packedRow(l, j, h) * n + i0;
                int hDst = (l * 2 * h + j) * TW;
                int cDst = hDst + h * TW;
                for (int v = 0; v < TW; v += L) {
                    IntVector packedBits =
                            FloatVector.fromArray(SPECIES, s, src + v).reinterpretAsInts();
                    // h: the high 16 bits (written out twice rather than looped or shared
                    // through a helper, see above)
                    IntVector hBits = packedBits.lanewise(VectorOperators.LSHR, 16);
                    IntVector ho = hBits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
                    IntVector hExp = ho.and(0x0F800000);
                    ho = ho.add((127 - 15) << 23);
                    IntVector hSub =
                            ho.add(1 << 23).reinterpretAsFloats().sub(subScale).reinterpretAsInts();
                    ho.blend(hSub, hExp.compare(VectorOperators.EQ, 0))
                            .blend(
                                    ho.add((128 - 16) << 23),
                                    hExp.compare(VectorOperators.EQ, 0x0F800000))
                            .or(hBits.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                            .reinterpretAsFloats()
                            .intoArray(ts, hDst + v);
                    // c: the low 16 bits
                    IntVector cBits = packedBits.and(0xFFFF);
                    IntVector co = cBits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
                    IntVector cExp = co.and(0x0F800000);
                    co = co.add((127 - 15) << 23);
                    IntVector cSub =
                            co.add(1 << 23).reinterpretAsFloats().sub(subScale).reinterpretAsInts();
                    co.blend(cSub, cExp.compare(VectorOperators.EQ, 0))
                            .blend(
                                    co.add((128 - 16) << 23),
                                    cExp.compare(VectorOperators.EQ, 0x0F800000))
                            .or(cBits.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                            .reinterpretAsFloats()
                            .intoArray(ts, cDst + v);
                }
            }
        }
    }

    private void encodeBfloat16(float[] ts, float[] s, int n, int i0) {
        final int h = hidden;
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int dst = StateType.packedRow(l, j, h) * n + i0;
                int hSrc = (l * 2 * h + j) * TW;
                int cSrc = hSrc + h * TW;
                for (int v = 0; v < TW; v += L) {
                    IntVector hb = FloatVector.fromArray(SPECIES, ts, hSrc + v).reinterpretAsInts();
                    IntVector cb = FloatVector.fromArray(SPECIES, ts, cSrc + v).reinterpretAsInts();
                    if (hb.and(0x7FFFFFFF)
                            .max(cb.and(0x7FFFFFFF))
                            .compare(VectorOperators.GE, 0x7F7F8000)
                            .anyTrue()) {
                        // saturation, infinity or NaN in a lane (never in practice)
                        encodeScalar(StateType.BFLOAT16, ts, hSrc + v, cSrc + v, s, dst + v);
                        continue;
                    }
                    // round to nearest even: add 0x7FFF plus the lowest kept bit, truncate
                    IntVector hr =
                            hb.add(0x7FFF)
                                    .add(hb.lanewise(VectorOperators.LSHR, 16).and(1))
                                    .and(0xFFFF0000);
                    IntVector cr =
                            cb.add(0x7FFF)
                                    .add(cb.lanewise(VectorOperators.LSHR, 16).and(1))
                                    .lanewise(VectorOperators.LSHR, 16);
                    hr.or(cr).reinterpretAsFloats().intoArray(s, dst + v);
                }
            }
        }
    }

    /** Lane-wise {@link StateType#floatToFloat16} of h and c, packed h-high, c-low. */
    private void encodeFloat16(float[] ts, float[] s, int n, int i0) {
        final int h = hidden;
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int dst = StateType.packedRow(l, j, h) * n + i0;
                int hSrc = (l * 2 * h + j) * TW;
                int cSrc = hSrc + h * TW;
                for (int v = 0; v < TW; v += L) {
                    IntVector hb = FloatVector.fromArray(SPECIES, ts, hSrc + v).reinterpretAsInts();
                    IntVector cb = FloatVector.fromArray(SPECIES, ts, cSrc + v).reinterpretAsInts();
                    if (hb.and(0x7FFFFFFF)
                            .max(cb.and(0x7FFFFFFF))
                            .compare(VectorOperators.GE, 0x477FF000)
                            .anyTrue()) {
                        // saturation, infinity or NaN in a lane (never in practice)
                        encodeScalar(StateType.FLOAT16, ts, hSrc + v, cSrc + v, s, dst + v);
                        continue;
                    }
                    // h, then c (written out twice, see above)
                    IntVector ha = hb.and(0x7FFFFFFF);
                    IntVector hNormal =
                            ha.add(((15 - 127) << 23) + 0xFFF)
                                    .add(ha.lanewise(VectorOperators.LSHR, 13).and(1))
                                    .lanewise(VectorOperators.LSHR, 13);
                    IntVector hSub =
                            ha.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F000000);
                    IntVector hr =
                            hNormal.blend(hSub, ha.compare(VectorOperators.LT, 0x38800000))
                                    .or(hb.lanewise(VectorOperators.LSHR, 16).and(0x8000));
                    IntVector ca = cb.and(0x7FFFFFFF);
                    IntVector cNormal =
                            ca.add(((15 - 127) << 23) + 0xFFF)
                                    .add(ca.lanewise(VectorOperators.LSHR, 13).and(1))
                                    .lanewise(VectorOperators.LSHR, 13);
                    IntVector cSub =
                            ca.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F000000);
                    IntVector cr =
                            cNormal.blend(cSub, ca.compare(VectorOperators.LT, 0x38800000))
                                    .or(cb.lanewise(VectorOperators.LSHR, 16).and(0x8000));
                    IntVector packedBits = hr.lanewise(VectorOperators.LSHL, 16).or(cr);
                    packedBits.reinterpretAsFloats().intoArray(s, dst + v);
                }
            }
        }
    }

    /** {@link StateType}'s scalar conversion for one vector of lanes (saturating lanes present). */
    private static void encodeScalar(
            StateType type, float[] ts, int hSrc, int cSrc, float[] s, int dst) {
        boolean bf = type == StateType.BFLOAT16;
        for (int c = 0; c < L; c++) {
            float hv = ts[hSrc + c];
            float cv = ts[cSrc + c];
            int hw = bf ? StateType.floatToBfloat16(hv) : StateType.floatToFloat16(hv);
            int cw = bf ? StateType.floatToBfloat16(cv) : StateType.floatToFloat16(cv);
            s[dst + c] = Float.intBitsToFloat((hw << 16) | cw);
        }
    }

    /**
     * {@code a[off .. off+len) = tanh(a[..])}: the clamped rational approximation of {@link
     * RationalTanh} with fused multiply-adds; {@code len} a multiple of the vector length. Also the
     * MLP cell's tanh ({@code VectorMlpCell}); only arrays cross the call, so no vector is boxed
     * whether or not C2 inlines it.
     */
    static void tanhInPlace(float[] a, int off, int len) {
        for (int v = off; v < off + len; v += L) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, v).max(-TANH_CLAMP).min(TANH_CLAMP);
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
            num.mul(x).div(den).intoArray(a, v);
        }
    }

    /** {@code a[..] = 0.5 + 0.5 tanh(a[..] / 2)}, as {@link ScalarLstmKernel#sigmoid}. */
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
            num.mul(x).div(den).fma(0.5f, 0.5f).intoArray(a, v);
        }
    }
}
