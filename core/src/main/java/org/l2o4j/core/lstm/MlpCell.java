package org.l2o4j.core.lstm;

/**
 * The per-coordinate MLP cell ({@link CellType#MLP}): features -> {@code layers} hidden layers of
 * {@code hidden} units -> linear head, with no recurrence. One class holds its forward and backward
 * for both users: the float inference forward ({@link #run}, what {@link LstmOptimizer} steps with
 * an MLP config) and the double forward with stored activations ({@link #forward}) and backward
 * ({@link #backward}) of meta-training. Both compute the features with {@link FeatureSet#step}.
 *
 * <p>Math, per coordinate: {@code x = features(g; stats)}, {@code h_0 = x}, {@code h_l = act(W_l
 * h_{l-1} + b_l)} for {@code l = 1..L}, {@code update = scale * (w . h_L + b)}. Parameters in the
 * canonical order of {@link LstmWeights#tensorSpecs}: {@code W_l} [H x in_l] row-major, {@code b_l}
 * [H] per layer, then {@code w} [H] and {@code b} [1].
 *
 * <p>The state is the features' running statistics only ({@link FeatureSet#stateRows()} floats per
 * coordinate, rows of {@code n} as in {@link LstmOptimizer}): they do not depend on the weights, so
 * the backward of a step needs only that step's activations, and nothing flows between steps.
 *
 * <p>Arrays are structure-of-arrays with the coordinate innermost ({@code row * width + i}), so the
 * inner loops are simple loops over coordinates. Immutable; thread-safe.
 */
public final class MlpCell extends InferenceCell {
    private final LstmConfig config;

    private final int layers;
    private final int hidden;
    private final boolean relu;
    private final double scale;
    private final int[] wOff;
    private final int[] bOff;
    private final int outOff;

    /**
     * The cell of an MLP config.
     *
     * @throws IllegalArgumentException if {@code c} is not an MLP config
     */
    public MlpCell(LstmConfig c) {
        super(c);
        if (c.cell() != CellType.MLP) {
            throw new IllegalArgumentException("expected an mlp config but got " + c);
        }
        this.config = c;
        this.layers = c.layers();
        this.hidden = c.hidden();
        this.relu = c.activation() == CellActivation.RELU;
        this.scale = c.outputScale();
        this.wOff = new int[layers];
        this.bOff = new int[layers];
        for (int l = 0; l < layers; l++) {
            wOff[l] = LstmWeights.mlpWeightOffset(c, l);
            bOff[l] = LstmWeights.mlpBiasOffset(c, l);
        }
        this.outOff = LstmWeights.outputWeightOffset(c);
    }

    /** The architecture. */
    public LstmConfig config() {
        return config;
    }

    /** Floats (training: doubles) of state per coordinate. */
    public int stateRows() {
        return stats;
    }

    /** First row of the new state in a step's activation storage. */
    public int stateRowBase() {
        return in0;
    }

    /** Rows of one step's activation storage: features, new state, {@code L * H} activations. */
    public int rowsPerStep() {
        return in0 + stats + layers * hidden;
    }

    /** Rows of backward scratch: two {@code H}-row deltas. */
    public int backwardScratchRows() {
        return 2 * hidden;
    }

    private int actRow(int l) {
        return in0 + stats + l * hidden;
    }

    // ---------------------------------------------------------------------------------------
    // Double forward and backward (meta-training)

    /**
     * One double forward step of {@code w} coordinates: reads the state from {@code prev} (row
     * {@code k} at {@code prev[(prevRow + k) * w + i]}) and the gradients {@code grad[gradOff ..
     * gradOff + w)}, writes the updates to {@code update[updOff ..]} and the step's activations to
     * {@code buf} ({@link #rowsPerStep()} rows of {@code w}; the new state at rows {@link
     * #stateRowBase()}).
     */
    public void forward(
            double[] phi,
            double[] prev,
            int prevRow,
            double[] grad,
            int gradOff,
            double[] update,
            int updOff,
            double[] buf,
            int w) {
        forward(phi, prev, prevRow, grad, null, gradOff, update, updOff, buf, w);
    }

    /**
     * {@link #forward} with the parameter values {@code theta[gradOff .. gradOff + w)} before the
     * step (indexed like {@code grad}), the {@code param} feature's column: an input, like the
     * gradient (the first-order meta-gradient has no term through it). May be null if the features
     * do not {@linkplain FeatureSet#needsParam() need it}.
     */
    public void forward(
            double[] phi,
            double[] prev,
            int prevRow,
            double[] grad,
            double[] theta,
            int gradOff,
            double[] update,
            int updOff,
            double[] buf,
            int w) {
        if (theta == null && features.needsParam()) {
            throw FeatureSet.missingParam(features);
        }
        // this thread's work arrays: no allocation per call, and the bias corrections computed
        // once per step count rather than per coordinate (same results)
        Work work = Work.of(this);
        double[] st = work.st;
        double[] cache = work.cache;
        for (int i = 0; i < w; i++) {
            for (int k = 0; k < stats; k++) {
                st[k] = prev[(prevRow + k) * w + i];
            }
            double th = theta != null ? theta[gradOff + i] : Double.NaN;
            features.step(grad[gradOff + i], th, st, buf, i, w, expNegP, expP, invP, cache);
            for (int k = 0; k < stats; k++) {
                buf[(in0 + k) * w + i] = st[k];
            }
        }
        int xR = 0;
        int in = in0;
        for (int l = 0; l < layers; l++) {
            int oR = actRow(l);
            for (int j = 0; j < hidden; j++) {
                int o = (oR + j) * w;
                double b = phi[bOff[l] + j];
                for (int i = 0; i < w; i++) {
                    buf[o + i] = b;
                }
                int wr = wOff[l] + j * in;
                for (int k = 0; k < in; k++) {
                    double wk = phi[wr + k];
                    int x = (xR + k) * w;
                    for (int i = 0; i < w; i++) {
                        buf[o + i] += wk * buf[x + i];
                    }
                }
                if (relu) {
                    for (int i = 0; i < w; i++) {
                        buf[o + i] = Math.max(0.0, buf[o + i]);
                    }
                } else {
                    for (int i = 0; i < w; i++) {
                        buf[o + i] = Math.tanh(buf[o + i]);
                    }
                }
            }
            xR = oR;
            in = hidden;
        }
        int top = actRow(layers - 1);
        double bo = phi[outOff + hidden];
        for (int i = 0; i < w; i++) {
            update[updOff + i] = bo;
        }
        for (int j = 0; j < hidden; j++) {
            double wo = phi[outOff + j];
            int o = (top + j) * w;
            for (int i = 0; i < w; i++) {
                update[updOff + i] += wo * buf[o + i];
            }
        }
        for (int i = 0; i < w; i++) {
            update[updOff + i] *= scale;
        }
    }

    /**
     * Adds to {@code acc} the gradient w.r.t. phi of {@code sum_i lam[i] * update_i} for the step
     * whose activations are in {@code buf} ({@code w} coordinates); {@code scratch} holds {@link
     * #backwardScratchRows()} rows of {@code w}.
     */
    public void backward(
            double[] phi, double[] buf, double[] lam, double[] acc, double[] scratch, int w) {
        int h = hidden;
        int top = actRow(layers - 1);
        double sumOut = 0;
        for (int i = 0; i < w; i++) {
            sumOut += lam[i];
        }
        acc[outOff + h] += scale * sumOut;
        // delta of layer L's activations (rows [0, H) of scratch), then of its pre-activations
        int cur = 0;
        int other = h * w;
        for (int j = 0; j < h; j++) {
            double wo = scale * phi[outOff + j];
            int o = (top + j) * w;
            double s = 0;
            for (int i = 0; i < w; i++) {
                s += lam[i] * buf[o + i];
                scratch[cur + j * w + i] = wo * lam[i];
            }
            acc[outOff + j] += scale * s;
        }
        for (int l = layers - 1; l >= 0; l--) {
            int aR = actRow(l);
            int in = l == 0 ? in0 : h;
            int xR = l == 0 ? 0 : actRow(l - 1);
            // through the activation: d pre = d act * act'
            for (int j = 0; j < h; j++) {
                int d = cur + j * w;
                int a = (aR + j) * w;
                if (relu) {
                    for (int i = 0; i < w; i++) {
                        if (!(buf[a + i] > 0)) {
                            scratch[d + i] = 0;
                        }
                    }
                } else {
                    for (int i = 0; i < w; i++) {
                        double t = buf[a + i];
                        scratch[d + i] *= 1 - t * t;
                    }
                }
            }
            for (int j = 0; j < h; j++) {
                int d = cur + j * w;
                double sb = 0;
                for (int i = 0; i < w; i++) {
                    sb += scratch[d + i];
                }
                acc[bOff[l] + j] += sb;
                int wr = wOff[l] + j * in;
                for (int k = 0; k < in; k++) {
                    int x = (xR + k) * w;
                    double s = 0;
                    for (int i = 0; i < w; i++) {
                        s += scratch[d + i] * buf[x + i];
                    }
                    acc[wr + k] += s;
                }
            }
            if (l > 0) {
                // d act_{l-1}[k] = sum_j W_l[j, k] d pre_l[j]
                for (int k = 0; k < in; k++) {
                    int dk = other + k * w;
                    for (int i = 0; i < w; i++) {
                        scratch[dk + i] = 0;
                    }
                    for (int j = 0; j < h; j++) {
                        double wjk = phi[wOff[l] + j * in + k];
                        int d = cur + j * w;
                        for (int i = 0; i < w; i++) {
                            scratch[dk + i] += wjk * scratch[d + i];
                        }
                    }
                }
                int t = cur;
                cur = other;
                other = t;
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Float forward (inference)

    @Override
    String description() {
        return "mlp-scalar";
    }

    /** Floats of scratch {@link #run} needs. */
    @Override
    int scratchSize() {
        return (in0 + 2 * hidden + 1) * TILE;
    }

    /**
     * The float inference step of coordinates {@code [from, to)} with the weights {@code p} (the
     * canonical float parameters): state rows of {@code n} in {@code s}. A coordinate with a
     * non-finite gradient (if {@code checkFinite}) or, if {@code freezeZeros}, an exactly-zero one
     * gets update {@code +0.0} and keeps its state. Returns the number of non-finite gradients
     * skipped.
     */
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
            float[] scratch) {
        checkTheta(theta);
        final int tw = TILE;
        final int h = hidden;
        final int xBase = 0;
        final int hA = in0 * tw;
        final int hB = hA + h * tw;
        final int keepRow = hB + h * tw;
        Work work = Work.of(this);
        double[] st = work.st;
        double[] xd = work.xd;
        double[] cache = work.cache;
        float[] acc = work.acc(TILE);
        long skipped = 0;
        final float fscale = (float) scale;
        for (int i0 = from; i0 < to; i0 += tw) {
            int w = Math.min(tw, to - i0);
            skipped +=
                    tileFeatures(
                            s,
                            n,
                            theta,
                            thetaOff,
                            grad,
                            gradOff,
                            i0,
                            w,
                            checkFinite,
                            freezeZeros,
                            scratch,
                            keepRow,
                            st,
                            xd,
                            cache);
            int xR = xBase;
            int in = in0;
            int outR = hA;
            for (int l = 0; l < layers; l++) {
                for (int j = 0; j < h; j++) {
                    int o = outR + j * tw;
                    float b = p[bOff[l] + j];
                    // accumulate in an array of its own: loops reading and writing one array at
                    // unrelated offsets are not vectorized by C2
                    for (int c = 0; c < TILE; c++) {
                        acc[c] = b;
                    }
                    int wr = wOff[l] + j * in;
                    for (int k = 0; k < in; k++) {
                        float wk = p[wr + k];
                        int x = xR + k * tw;
                        for (int c = 0; c < TILE; c++) {
                            acc[c] += wk * scratch[x + c];
                        }
                    }
                    if (relu) {
                        for (int c = 0; c < TILE; c++) {
                            scratch[o + c] = Math.max(0f, acc[c]);
                        }
                    } else {
                        for (int c = 0; c < TILE; c++) {
                            scratch[o + c] = ScalarLstmKernel.tanh(acc[c]);
                        }
                    }
                }
                xR = outR;
                in = h;
                outR = outR == hA ? hB : hA;
            }
            float bo = p[outOff + h];
            for (int c = 0; c < w; c++) {
                float o = bo;
                for (int j = 0; j < h; j++) {
                    o += p[outOff + j] * scratch[xR + j * tw + c];
                }
                upd[updOff + i0 + c] = scratch[keepRow + c] != 0f ? 0f : fscale * o;
            }
        }
        return skipped;
    }
}
