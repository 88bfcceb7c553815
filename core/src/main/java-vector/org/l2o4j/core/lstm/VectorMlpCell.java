package org.l2o4j.core.lstm;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API inference step of the MLP cell ({@link MlpCell}): tiles of four vectors of
 * coordinates ({@code 4 * FloatVector.SPECIES_PREFERRED.length()}, 64 with AVX-512), the
 * coordinates across the lanes. Only loaded (reflectively, by {@link KernelSelection}) when the
 * {@code jdk.incubator.vector} module is present; the plain-Java {@link MlpCell} is the complete
 * fallback and runs the final partial tile of a range.
 *
 * <p>Per full tile:
 *
 * <ul>
 *   <li>the features and their running statistics, lane-wise in double exactly as {@link
 *       FeatureSet#step} computes them (same operations in the same order, the bias corrections
 *       from {@link FeatureSet#corrections}), so the new state and the features are bitwise those
 *       of the scalar cell; the log-sign columns, which need a logarithm, lane by lane; the {@code
 *       param} column is the parameter value widened to double, as the scalar cell passes it;
 *   <li>each hidden layer with four units at once: sixteen accumulators (four units by four
 *       vectors), every weight broadcast once per tile and multiplied into the four vectors of
 *       inputs, fused multiply-adds (the scalar cell multiplies, then adds); relu lane-wise, tanh
 *       the rational approximation of the LSTM kernels ({@link RationalTanh}, with fused
 *       multiply-adds as in {@code VectorLstmKernel});
 *   <li>the linear head.
 * </ul>
 *
 * So the update differs from the scalar cell's only by the float rounding of the network (fused
 * multiply-add against multiply then add, a few ulp of the hidden activations).
 *
 * <p>Kept coordinates (exactly-zero gradient under {@link ZeroGradientPolicy#FREEZE}, non-finite
 * gradient when the step checks): a tile of them only is not computed (update +0, state untouched);
 * a mixed tile runs the same arithmetic on all lanes and stores the new statistics through a mask
 * (the kept lanes keep their state), with zero features and update +0 in the kept lanes. Every
 * lane's arithmetic is independent of the others, so the computed coordinates get exactly what they
 * get in a tile without kept ones.
 *
 * <p>No method takes or returns a vector, so that no vector crosses a call C2 might not inline
 * (which would box it).
 */
final class VectorMlpCell extends InferenceCell {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    private static final int TW = 4 * L;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = DS.length();

    /** The scalar cell: the final partial tile of a range. */
    private final MlpCell scalar;

    private final int layers;
    private final int hidden;
    private final boolean relu;
    private final float fscale;
    private final int[] wOff;
    private final int[] bOff;
    private final int outOff;

    private final boolean hasStats;
    private final boolean hasParam;
    private final boolean logSign;
    private final int momenta;
    private final int times;
    private final FeatureSet.Kind[] kinds;
    private final double[] decay;
    private final double[] oneMinusDecay;

    // scratch rows (TW floats each): features [in0], two banks of hidden activations [H each],
    // the tile's gradients [1]
    private final int hA;
    private final int hB;
    private final int gRow;

    // rows (TW doubles each) of the double work array: the gradients [1], the old and the new
    // statistics [stats each], the features [in0], the per-lane bias corrections and time columns
    // [1 + momenta + times],
    // the parameter values [1]
    private final int gD;
    private final int oldD;
    private final int newD;
    private final int xD;
    private final int corrD;
    private final int thD;
    private final int doubleRows;

    /**
     * The vector cell of an MLP config.
     *
     * @throws UnsupportedOperationException if this JVM's vector shape does not suit the cell (the
     *     caller then uses {@link MlpCell})
     */
    VectorMlpCell(LstmConfig c) {
        super(c);
        if (TW % DL != 0 || TW > LstmOptimizer.CHUNK || LstmOptimizer.CHUNK % TW != 0) {
            throw new UnsupportedOperationException("tiles of " + TW + " floats do not suit " + DS);
        }
        this.scalar = new MlpCell(c);
        this.layers = c.layers();
        this.hidden = c.hidden();
        this.relu = c.activation() == CellActivation.RELU;
        this.fscale = (float) c.outputScale();
        this.wOff = new int[layers];
        this.bOff = new int[layers];
        for (int l = 0; l < layers; l++) {
            wOff[l] = LstmWeights.mlpWeightOffset(c, l);
            bOff[l] = LstmWeights.mlpBiasOffset(c, l);
        }
        this.outOff = LstmWeights.outputWeightOffset(c);
        this.hasStats = stats > 0;
        this.hasParam = features.needsParam();
        this.logSign = features.hasLogSign();
        this.momenta = features.momenta();
        this.times = features.times();
        this.kinds = new FeatureSet.Kind[features.size()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = features.kind(i);
        }
        this.decay = new double[momenta];
        this.oneMinusDecay = new double[momenta];
        for (int m = 0; m < momenta; m++) {
            decay[m] = features.momentumDecay(m);
            oneMinusDecay[m] = 1 - decay[m];
        }
        this.hA = in0 * TW;
        this.hB = hA + hidden * TW;
        this.gRow = hB + hidden * TW;
        this.gD = 0;
        this.oldD = 1;
        this.newD = oldD + stats;
        this.xD = newD + stats;
        this.corrD = xD + in0;
        this.thD = corrD + 1 + momenta + times;
        this.doubleRows = thD + 1;
    }

    @Override
    String description() {
        return "mlp-vector (" + FS.vectorBitSize() + "-bit vectors, " + L + " floats)";
    }

    @Override
    int tileWidth() {
        return TW;
    }

    @Override
    int scratchSize() {
        return Math.max(gRow + TW, scalar.scratchSize());
    }

    @Override
    long run(
            float[] p,
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
            float[] sc) {
        checkTheta(theta);
        Work work = Work.of(this);
        double[] cache = work.cache;
        double[] dw = work.lanes(doubleRows * TW);
        long skipped = 0;
        int i0 = from;
        for (; i0 + TW <= to; i0 += TW) {
            // read before any update is written: grad and upd may be the same array
            System.arraycopy(grad, gradOff + i0, sc, gRow, TW);
            int kept = 0;
            if (freezeZeros || checkFinite) {
                for (int c = 0; c < TW; c++) {
                    float g = sc[gRow + c];
                    boolean bad = checkFinite && g - g != 0f;
                    if (bad) {
                        skipped++;
                    }
                    if (bad || (freezeZeros && g == 0f)) {
                        kept++;
                    }
                }
            }
            if (kept == TW) {
                // nothing to compute: every coordinate keeps its state
                for (int c = 0; c < TW; c++) {
                    upd[updOff + i0 + c] = 0f;
                }
                continue;
            }
            boolean masked = kept != 0;
            features(s, n, theta, thetaOff, i0, sc, masked, freezeZeros, checkFinite, cache, dw);
            int top = network(p, sc);
            output(p, sc, top, upd, updOff + i0, masked, freezeZeros, checkFinite);
        }
        if (i0 < to) {
            skipped +=
                    scalar.run(
                            p,
                            s,
                            n,
                            theta,
                            thetaOff,
                            grad,
                            gradOff,
                            upd,
                            updOff,
                            i0,
                            to,
                            checkFinite,
                            freezeZeros,
                            sc);
        }
        return skipped;
    }

    /** Whether the coordinate with gradient {@code g} keeps its state. */
    private static boolean kept(float g, boolean freezeZeros, boolean checkFinite) {
        return (freezeZeros && g == 0f) || (checkFinite && g - g != 0f);
    }

    /**
     * The features of the tile at {@code i0} into scratch rows {@code [0, in0)} and the advanced
     * statistics into the state (kept lanes: zero features, state unchanged). The float rows are
     * widened into and narrowed from double rows of {@code dw} by plain loops (which C2
     * vectorizes): converting between vector shapes would use a second float species, and code of
     * the Vector API shared with the LSTM kernel then compiles differently, enough for C2 to stop
     * inlining it into the LSTM kernel (which then boxed its vectors on every step).
     */
    private void features(
            float[] s,
            int n,
            float[] theta,
            int thetaOff,
            int i0,
            float[] sc,
            boolean masked,
            boolean freezeZeros,
            boolean checkFinite,
            double[] cache,
            double[] dw) {
        final int dG = gD * TW;
        final int dOld = oldD * TW;
        final int dNew = newD * TW;
        final int dX = xD * TW;
        final int dCorr = corrD * TW;
        final int dTh = thD * TW;
        for (int c = 0; c < TW; c++) {
            dw[dG + c] = sc[gRow + c];
        }
        if (hasParam) {
            // widened as FeatureSet.step's caller widens it: the column is theta exactly
            for (int c = 0; c < TW; c++) {
                dw[dTh + c] = theta[thetaOff + i0 + c];
            }
        }
        for (int k = 0; k < stats; k++) {
            int src = k * n + i0;
            int dst = dOld + k * TW;
            for (int c = 0; c < TW; c++) {
                dw[dst + c] = s[src + c];
            }
        }
        boolean uniform = true;
        if (hasStats) {
            // the bias corrections: computed once when the lanes that are stepped share their
            // step count (the usual case), else lane by lane (row r: correction r)
            boolean first = true;
            float t0 = 0f;
            for (int c = 0; c < TW; c++) {
                if (masked && kept(sc[gRow + c], freezeZeros, checkFinite)) {
                    continue;
                }
                float tc = s[i0 + c];
                if (first) {
                    t0 = tc;
                    first = false;
                } else if (tc != t0) {
                    uniform = false;
                    break;
                }
            }
            if (uniform) {
                double t = (double) t0 + 1;
                if (cache[0] != t) {
                    features.corrections(t, cache);
                }
            } else {
                for (int c = 0; c < TW; c++) {
                    double t = dw[dOld + c] + 1;
                    if (cache[0] != t) {
                        features.corrections(t, cache);
                    }
                    for (int r = 0; r <= momenta + times; r++) {
                        dw[dCorr + r * TW + c] = cache[1 + r];
                    }
                }
            }
        }
        final DoubleVector zero = DoubleVector.zero(DS);
        for (int d = 0; d < TW; d += DL) {
            DoubleVector g = DoubleVector.fromArray(DS, dw, dG + d);
            VectorMask<Double> keep = DS.maskAll(false);
            if (masked) {
                if (freezeZeros) {
                    keep = g.compare(VectorOperators.EQ, 0.0);
                }
                if (checkFinite) {
                    keep = keep.or(g.sub(g).compare(VectorOperators.NE, 0.0));
                }
            }
            DoubleVector denom = zero;
            if (hasStats) {
                DoubleVector tOld = DoubleVector.fromArray(DS, dw, dOld + d);
                DoubleVector vOld = DoubleVector.fromArray(DS, dw, dOld + TW + d);
                DoubleVector t = tOld.add(1.0);
                // as FeatureSet.step: RMS_DECAY * v + (1 - RMS_DECAY) * g * g
                DoubleVector v =
                        vOld.mul(FeatureSet.RMS_DECAY).add(g.mul(1 - FeatureSet.RMS_DECAY).mul(g));
                DoubleVector corr =
                        uniform
                                ? DoubleVector.broadcast(DS, cache[1])
                                : DoubleVector.fromArray(DS, dw, dCorr + d);
                denom = v.div(corr).sqrt().add(FeatureSet.EPS);
                if (masked) {
                    t = t.blend(tOld, keep);
                    v = v.blend(vOld, keep);
                }
                t.intoArray(dw, dNew + d);
                v.intoArray(dw, dNew + TW + d);
            }
            int col = 0;
            int m = 0;
            int k = 0;
            for (FeatureSet.Kind kind : kinds) {
                DoubleVector x;
                switch (kind) {
                    case LOG_SIGN:
                        col += 2; // lane by lane below
                        continue;
                    case GRAD:
                        x = g;
                        break;
                    case RMS:
                        x = g.div(denom);
                        break;
                    case PARAM:
                        x = DoubleVector.fromArray(DS, dw, dTh + d);
                        break;
                    case TIME:
                        // tanh(t / TAU) from the corrections, as FeatureSet.step takes it
                        x =
                                uniform
                                        ? DoubleVector.broadcast(DS, cache[2 + momenta + k])
                                        : DoubleVector.fromArray(
                                                DS, dw, dCorr + (1 + momenta + k) * TW + d);
                        k++;
                        break;
                    default:
                        {
                            int row = (2 + m) * TW + d;
                            DoubleVector mOld = DoubleVector.fromArray(DS, dw, dOld + row);
                            DoubleVector mNew = mOld.mul(decay[m]).add(g.mul(oneMinusDecay[m]));
                            DoubleVector corr =
                                    uniform
                                            ? DoubleVector.broadcast(DS, cache[2 + m])
                                            : DoubleVector.fromArray(
                                                    DS, dw, dCorr + (1 + m) * TW + d);
                            x = mNew.div(corr).div(denom);
                            (masked ? mNew.blend(mOld, keep) : mNew).intoArray(dw, dNew + row);
                            m++;
                            break;
                        }
                }
                if (masked) {
                    x = x.blend(zero, keep);
                }
                x.intoArray(dw, dX + col * TW + d);
                col++;
            }
        }
        for (int k = 0; k < stats; k++) {
            int src = dNew + k * TW;
            int dst = k * n + i0;
            for (int c = 0; c < TW; c++) {
                s[dst + c] = (float) dw[src + c];
            }
        }
        int col = 0;
        for (FeatureSet.Kind kind : kinds) {
            if (kind == FeatureSet.Kind.LOG_SIGN) {
                col += 2;
                continue;
            }
            int src = dX + col * TW;
            int dst = col * TW;
            for (int c = 0; c < TW; c++) {
                sc[dst + c] = (float) dw[src + c];
            }
            col++;
        }
        if (logSign) {
            logSignColumns(sc, masked, freezeZeros, checkFinite);
        }
    }

    /** The log-sign columns, lane by lane, exactly as {@link FeatureSet#step}. */
    private void logSignColumns(
            float[] sc, boolean masked, boolean freezeZeros, boolean checkFinite) {
        int col = 0;
        for (FeatureSet.Kind kind : kinds) {
            if (kind != FeatureSet.Kind.LOG_SIGN) {
                col++;
                continue;
            }
            int r0 = col * TW;
            int r1 = r0 + TW;
            for (int c = 0; c < TW; c++) {
                float gf = sc[gRow + c];
                if (masked && kept(gf, freezeZeros, checkFinite)) {
                    sc[r0 + c] = 0f;
                    sc[r1 + c] = 0f;
                    continue;
                }
                double g = gf;
                double a = Math.abs(g);
                if (a >= expNegP) {
                    sc[r0 + c] = (float) (Math.log(a) * invP);
                    sc[r1 + c] = (float) Math.signum(g);
                } else {
                    sc[r0 + c] = -1f;
                    sc[r1 + c] = (float) (expP * g);
                }
            }
            col += 2;
        }
    }

    /** The hidden layers on the feature rows; returns the first row of the top layer's output. */
    private int network(float[] p, float[] sc) {
        final int h = hidden;
        int xR = 0;
        int in = in0;
        int outR = hA;
        for (int l = 0; l < layers; l++) {
            int j = 0;
            for (; j + 4 <= h; j += 4) {
                fourUnits(p, sc, xR, in, wOff[l] + j * in, bOff[l] + j, outR + j * TW);
            }
            for (; j < h; j++) {
                oneUnit(p, sc, xR, in, wOff[l] + j * in, bOff[l] + j, outR + j * TW);
            }
            if (relu) {
                reluInPlace(sc, outR, h * TW);
            } else {
                VectorLstmKernel.tanhInPlace(sc, outR, h * TW);
            }
            xR = outR;
            in = h;
            outR = outR == hA ? hB : hA;
        }
        return xR;
    }

    /**
     * The pre-activations of four consecutive units (weight rows from {@code w0}, {@code in} apart;
     * biases from {@code bj}) of the tile's {@code in} input rows from {@code xR}, into the four
     * rows from {@code o0}: sixteen accumulators, each weight broadcast once.
     */
    private static void fourUnits(float[] p, float[] sc, int xR, int in, int w0, int bj, int o0) {
        int w1 = w0 + in;
        int w2 = w1 + in;
        int w3 = w2 + in;
        FloatVector b0 = FloatVector.broadcast(FS, p[bj]);
        FloatVector b1 = FloatVector.broadcast(FS, p[bj + 1]);
        FloatVector b2 = FloatVector.broadcast(FS, p[bj + 2]);
        FloatVector b3 = FloatVector.broadcast(FS, p[bj + 3]);
        // a<unit><vector>
        FloatVector a00 = b0, a01 = b0, a02 = b0, a03 = b0;
        FloatVector a10 = b1, a11 = b1, a12 = b1, a13 = b1;
        FloatVector a20 = b2, a21 = b2, a22 = b2, a23 = b2;
        FloatVector a30 = b3, a31 = b3, a32 = b3, a33 = b3;
        for (int k = 0; k < in; k++) {
            int xo = xR + k * TW;
            FloatVector c0 = FloatVector.broadcast(FS, p[w0 + k]);
            FloatVector c1 = FloatVector.broadcast(FS, p[w1 + k]);
            FloatVector c2 = FloatVector.broadcast(FS, p[w2 + k]);
            FloatVector c3 = FloatVector.broadcast(FS, p[w3 + k]);
            FloatVector x0 = FloatVector.fromArray(FS, sc, xo);
            a00 = x0.fma(c0, a00);
            a10 = x0.fma(c1, a10);
            a20 = x0.fma(c2, a20);
            a30 = x0.fma(c3, a30);
            FloatVector x1 = FloatVector.fromArray(FS, sc, xo + L);
            a01 = x1.fma(c0, a01);
            a11 = x1.fma(c1, a11);
            a21 = x1.fma(c2, a21);
            a31 = x1.fma(c3, a31);
            FloatVector x2 = FloatVector.fromArray(FS, sc, xo + 2 * L);
            a02 = x2.fma(c0, a02);
            a12 = x2.fma(c1, a12);
            a22 = x2.fma(c2, a22);
            a32 = x2.fma(c3, a32);
            FloatVector x3 = FloatVector.fromArray(FS, sc, xo + 3 * L);
            a03 = x3.fma(c0, a03);
            a13 = x3.fma(c1, a13);
            a23 = x3.fma(c2, a23);
            a33 = x3.fma(c3, a33);
        }
        int o1 = o0 + TW;
        int o2 = o1 + TW;
        int o3 = o2 + TW;
        a00.intoArray(sc, o0);
        a01.intoArray(sc, o0 + L);
        a02.intoArray(sc, o0 + 2 * L);
        a03.intoArray(sc, o0 + 3 * L);
        a10.intoArray(sc, o1);
        a11.intoArray(sc, o1 + L);
        a12.intoArray(sc, o1 + 2 * L);
        a13.intoArray(sc, o1 + 3 * L);
        a20.intoArray(sc, o2);
        a21.intoArray(sc, o2 + L);
        a22.intoArray(sc, o2 + 2 * L);
        a23.intoArray(sc, o2 + 3 * L);
        a30.intoArray(sc, o3);
        a31.intoArray(sc, o3 + L);
        a32.intoArray(sc, o3 + 2 * L);
        a33.intoArray(sc, o3 + 3 * L);
    }

    /** {@link #fourUnits} for one unit (the units past a multiple of four). */
    private static void oneUnit(float[] p, float[] sc, int xR, int in, int w0, int bj, int o) {
        FloatVector b = FloatVector.broadcast(FS, p[bj]);
        FloatVector a0 = b, a1 = b, a2 = b, a3 = b;
        for (int k = 0; k < in; k++) {
            int xo = xR + k * TW;
            FloatVector c0 = FloatVector.broadcast(FS, p[w0 + k]);
            a0 = FloatVector.fromArray(FS, sc, xo).fma(c0, a0);
            a1 = FloatVector.fromArray(FS, sc, xo + L).fma(c0, a1);
            a2 = FloatVector.fromArray(FS, sc, xo + 2 * L).fma(c0, a2);
            a3 = FloatVector.fromArray(FS, sc, xo + 3 * L).fma(c0, a3);
        }
        a0.intoArray(sc, o);
        a1.intoArray(sc, o + L);
        a2.intoArray(sc, o + 2 * L);
        a3.intoArray(sc, o + 3 * L);
    }

    /**
     * {@code a[off .. off+len) = max(0, a[..])} ({@link Math#max} semantics, as the scalar cell).
     */
    private static void reluInPlace(float[] a, int off, int len) {
        for (int v = off; v < off + len; v += L) {
            FloatVector.fromArray(FS, a, v).max(0f).intoArray(a, v);
        }
    }

    /** The linear head into {@code upd[u .. u + TW)}; kept lanes get +0. */
    private void output(
            float[] p,
            float[] sc,
            int top,
            float[] upd,
            int u,
            boolean masked,
            boolean freezeZeros,
            boolean checkFinite) {
        final int h = hidden;
        FloatVector bo = FloatVector.broadcast(FS, p[outOff + h]);
        FloatVector o0 = bo, o1 = bo, o2 = bo, o3 = bo;
        for (int j = 0; j < h; j++) {
            FloatVector w = FloatVector.broadcast(FS, p[outOff + j]);
            int r = top + j * TW;
            o0 = FloatVector.fromArray(FS, sc, r).fma(w, o0);
            o1 = FloatVector.fromArray(FS, sc, r + L).fma(w, o1);
            o2 = FloatVector.fromArray(FS, sc, r + 2 * L).fma(w, o2);
            o3 = FloatVector.fromArray(FS, sc, r + 3 * L).fma(w, o3);
        }
        o0 = o0.mul(fscale);
        o1 = o1.mul(fscale);
        o2 = o2.mul(fscale);
        o3 = o3.mul(fscale);
        if (!masked) {
            o0.intoArray(upd, u);
            o1.intoArray(upd, u + L);
            o2.intoArray(upd, u + 2 * L);
            o3.intoArray(upd, u + 3 * L);
            return;
        }
        // the four vectors written out (no vector chosen through a branch or a helper)
        FloatVector g0 = FloatVector.fromArray(FS, sc, gRow);
        FloatVector g1 = FloatVector.fromArray(FS, sc, gRow + L);
        FloatVector g2 = FloatVector.fromArray(FS, sc, gRow + 2 * L);
        FloatVector g3 = FloatVector.fromArray(FS, sc, gRow + 3 * L);
        VectorMask<Float> k0 = FS.maskAll(false);
        VectorMask<Float> k1 = k0;
        VectorMask<Float> k2 = k0;
        VectorMask<Float> k3 = k0;
        if (freezeZeros) {
            k0 = g0.compare(VectorOperators.EQ, 0f);
            k1 = g1.compare(VectorOperators.EQ, 0f);
            k2 = g2.compare(VectorOperators.EQ, 0f);
            k3 = g3.compare(VectorOperators.EQ, 0f);
        }
        if (checkFinite) {
            k0 = k0.or(g0.sub(g0).compare(VectorOperators.NE, 0f));
            k1 = k1.or(g1.sub(g1).compare(VectorOperators.NE, 0f));
            k2 = k2.or(g2.sub(g2).compare(VectorOperators.NE, 0f));
            k3 = k3.or(g3.sub(g3).compare(VectorOperators.NE, 0f));
        }
        o0.blend(0f, k0).intoArray(upd, u);
        o1.blend(0f, k1).intoArray(upd, u + L);
        o2.blend(0f, k2).intoArray(upd, u + 2 * L);
        o3.blend(0f, k3).intoArray(upd, u + 3 * L);
    }
}
