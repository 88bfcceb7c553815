package org.l2o4j.core.lstm;

/**
 * The coordinatewise GRU cell ({@link CellType#GRU}): features -> {@code layers} GRU layers of
 * {@code hidden} units -> linear head. Like {@link MlpCell}, one class holds the float inference
 * forward ({@link #run}, stepped by {@link LstmOptimizer}) and the double forward with stored
 * activations ({@link #forward}) and backward through time ({@link #backward}) of meta-training.
 *
 * <p>Per layer, gates in PyTorch's order r, z, n: {@code r = sigmoid(W_ir x + b_ir + W_hr h +
 * b_hr)}, {@code z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)}, {@code n = tanh(W_in x + b_in + r *
 * (W_hn h + b_hn))}, {@code h' = (1 - z) n + z h}; then {@code update = scale * (w . h'_L + b)}.
 * Parameters per layer: {@code weight_ih} [3H x in], {@code weight_hh} [3H x H], {@code bias_ih}
 * [3H], {@code bias_hh} [3H]; then {@code w} [H], {@code b} [1].
 *
 * <p>State per coordinate (rows of {@code n}): the features' statistics ({@link
 * FeatureSet#stateRows()} rows), then {@code h} of each layer ({@code L * H} rows).
 */
public final class GruCell extends InferenceCell {
    private final int layers;
    private final int hidden;
    private final double scale;
    private final int[] wih;
    private final int[] whh;
    private final int[] bih;
    private final int[] bhh;
    private final int outOff;

    /**
     * The cell of a GRU config.
     *
     * @throws IllegalArgumentException if {@code c} is not a GRU config
     */
    public GruCell(LstmConfig c) {
        super(c);
        if (c.cell() != CellType.GRU) {
            throw new IllegalArgumentException("expected a gru config but got " + c);
        }
        this.layers = c.layers();
        this.hidden = c.hidden();
        this.scale = c.outputScale();
        this.wih = new int[layers];
        this.whh = new int[layers];
        this.bih = new int[layers];
        this.bhh = new int[layers];
        for (int l = 0; l < layers; l++) {
            wih[l] = LstmWeights.gruWeightIhOffset(c, l);
            whh[l] = wih[l] + 3 * hidden * c.layerInputSize(l);
            bih[l] = whh[l] + 3 * hidden * hidden;
            bhh[l] = bih[l] + 3 * hidden;
        }
        this.outOff = LstmWeights.outputWeightOffset(c);
    }

    /** Rows of state per coordinate: statistics, then {@code h} per layer. */
    public int stateRows() {
        return stats + layers * hidden;
    }

    /**
     * Rows of one step's activation storage: features, new statistics, then per layer r, z, n,
     * {@code W_hn h + b_hn} and the new {@code h} ({@code H} rows each).
     */
    public int rowsPerStep() {
        return in0 + stats + 5 * hidden * layers;
    }

    private int layerBase(int l) {
        return in0 + stats + 5 * hidden * l;
    }

    /**
     * Copies the state after a tracked step (activations {@code buf}, {@code w} wide) into {@code
     * state} (rows of {@code w}).
     */
    public void commitState(double[] buf, double[] state, int w) {
        System.arraycopy(buf, in0 * w, state, 0, stats * w);
        for (int l = 0; l < layers; l++) {
            System.arraycopy(
                    buf,
                    (layerBase(l) + 4 * hidden) * w,
                    state,
                    (stats + l * hidden) * w,
                    hidden * w);
        }
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /**
     * One double forward step of {@code w} coordinates. The previous state is {@code prev}: a state
     * array (rows of {@code w}, layout of {@link #stateRows()}) if {@code prevIsStep} is false,
     * else the previous step's activations. Writes the updates to {@code update[updOff ..]} and the
     * activations to {@code buf}.
     */
    public void forward(
            double[] phi,
            double[] prev,
            boolean prevIsStep,
            double[] grad,
            int gradOff,
            double[] update,
            int updOff,
            double[] buf,
            int w) {
        forward(phi, prev, prevIsStep, grad, null, gradOff, update, updOff, buf, w);
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
            boolean prevIsStep,
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
        int h = hidden;
        int statRow = prevIsStep ? in0 : 0;
        // this thread's work arrays: no allocation per call, and the bias corrections computed
        // once per step count rather than per coordinate (same results)
        Work work = Work.of(this);
        double[] st = work.st;
        double[] cache = work.cache;
        for (int i = 0; i < w; i++) {
            for (int k = 0; k < stats; k++) {
                st[k] = prev[(statRow + k) * w + i];
            }
            double th = theta != null ? theta[gradOff + i] : Double.NaN;
            features.step(grad[gradOff + i], th, st, buf, i, w, expNegP, expP, invP, cache);
            for (int k = 0; k < stats; k++) {
                buf[(in0 + k) * w + i] = st[k];
            }
        }
        int xR = 0;
        int in = in0;
        double[] acc = new double[w];
        for (int l = 0; l < layers; l++) {
            int base = layerBase(l);
            int hpR = prevIsStep ? layerBase(l) + 4 * h : stats + l * h;
            for (int q = 0; q < 3; q++) {
                for (int j = 0; j < h; j++) {
                    int row = q * h + j;
                    // input part
                    double bi = phi[bih[l] + row];
                    for (int i = 0; i < w; i++) {
                        acc[i] = bi;
                    }
                    for (int k = 0; k < in; k++) {
                        double wk = phi[wih[l] + row * in + k];
                        int x = (xR + k) * w;
                        for (int i = 0; i < w; i++) {
                            acc[i] += wk * buf[x + i];
                        }
                    }
                    // hidden part
                    double bh = phi[bhh[l] + row];
                    int hr = q < 2 ? (base + q * h + j) * w : (base + 3 * h + j) * w;
                    for (int i = 0; i < w; i++) {
                        buf[hr + i] = bh;
                    }
                    for (int k = 0; k < h; k++) {
                        double wk = phi[whh[l] + row * h + k];
                        int hp = (hpR + k) * w;
                        for (int i = 0; i < w; i++) {
                            buf[hr + i] += wk * prev[hp + i];
                        }
                    }
                    if (q < 2) {
                        for (int i = 0; i < w; i++) {
                            buf[hr + i] = sigmoid(acc[i] + buf[hr + i]);
                        }
                    } else {
                        int nr = (base + 2 * h + j) * w;
                        int rr = (base + j) * w;
                        for (int i = 0; i < w; i++) {
                            buf[nr + i] = Math.tanh(acc[i] + buf[rr + i] * buf[hr + i]);
                        }
                    }
                }
            }
            for (int j = 0; j < h; j++) {
                int zr = (base + h + j) * w;
                int nr = (base + 2 * h + j) * w;
                int ho = (base + 4 * h + j) * w;
                int hp = (hpR + j) * w;
                for (int i = 0; i < w; i++) {
                    double z = buf[zr + i];
                    buf[ho + i] = (1 - z) * buf[nr + i] + z * prev[hp + i];
                }
            }
            xR = base + 4 * h;
            in = h;
        }
        double bo = phi[outOff + h];
        for (int i = 0; i < w; i++) {
            update[updOff + i] = bo;
        }
        for (int j = 0; j < h; j++) {
            double wo = phi[outOff + j];
            int o = (xR + j) * w;
            for (int i = 0; i < w; i++) {
                update[updOff + i] += wo * buf[o + i];
            }
        }
        for (int i = 0; i < w; i++) {
            update[updOff + i] *= scale;
        }
    }

    /**
     * Backward through {@code steps} stored steps: {@code lamOf.lam(u, lam)} adds step {@code u}'s
     * upstream weights to {@code lam}; gradients are added to {@code acc}. {@code state} is the
     * state before step 0 (rows of {@code w}); gradients into it are dropped (truncation). Scratch
     * arrays: {@code da} 4 H rows, {@code dhAbove} H rows, {@code dhRec} and {@code tmp} {@code L *
     * H} rows, all of {@code w}.
     */
    public void backward(
            double[] phi,
            double[][] stepsBuf,
            double[] state,
            int steps,
            LamSource lamOf,
            double[] lam,
            double[] acc,
            double[] da,
            double[] dhAbove,
            double[] dhRec,
            double[] tmp,
            int w) {
        int h = hidden;
        java.util.Arrays.fill(lam, 0, w, 0.0);
        java.util.Arrays.fill(dhRec, 0, layers * h * w, 0.0);
        for (int u = steps - 1; u >= 0; u--) {
            double[] buf = stepsBuf[u];
            lamOf.add(u, lam);
            int top = layerBase(layers - 1) + 4 * h;
            double s = 0;
            for (int i = 0; i < w; i++) {
                s += lam[i];
            }
            acc[outOff + h] += scale * s;
            for (int j = 0; j < h; j++) {
                double wo = scale * phi[outOff + j];
                int o = (top + j) * w;
                double sj = 0;
                for (int i = 0; i < w; i++) {
                    sj += lam[i] * buf[o + i];
                    dhAbove[j * w + i] = wo * lam[i];
                }
                acc[outOff + j] += scale * sj;
            }
            for (int l = layers - 1; l >= 0; l--) {
                int base = layerBase(l);
                int in = l == 0 ? in0 : h;
                int xR = l == 0 ? 0 : layerBase(l - 1) + 4 * h;
                double[] pA = u > 0 ? stepsBuf[u - 1] : state;
                int hpR = u > 0 ? layerBase(l) + 4 * h : stats + l * h;
                int rec = l * h * w;
                // dh = from above + from the next step; gates' pre-activation gradients
                for (int j = 0; j < h; j++) {
                    int rr = (base + j) * w;
                    int zr = (base + h + j) * w;
                    int nr = (base + 2 * h + j) * w;
                    int hn = (base + 3 * h + j) * w;
                    int hp = (hpR + j) * w;
                    for (int i = 0; i < w; i++) {
                        double dh = dhAbove[j * w + i] + dhRec[rec + j * w + i];
                        double z = buf[zr + i];
                        double n = buf[nr + i];
                        double r = buf[rr + i];
                        double hprev = pA[hp + i];
                        double dan = dh * (1 - z) * (1 - n * n);
                        double dz = dh * (hprev - n);
                        double dr = dan * buf[hn + i];
                        da[j * w + i] = dr * r * (1 - r);
                        da[(h + j) * w + i] = dz * z * (1 - z);
                        da[(2 * h + j) * w + i] = dan;
                        da[(3 * h + j) * w + i] = dan * r; // d (W_hn h + b_hn)
                        tmp[rec + j * w + i] = dh * z; // direct path to h_prev
                    }
                }
                // parameter gradients
                for (int q = 0; q < 3; q++) {
                    for (int j = 0; j < h; j++) {
                        int row = q * h + j;
                        int d = (q * h + j) * w;
                        int dhh = (q < 2 ? q * h + j : 3 * h + j) * w;
                        double sb = 0;
                        double sbh = 0;
                        for (int i = 0; i < w; i++) {
                            sb += da[d + i];
                            sbh += da[dhh + i];
                        }
                        acc[bih[l] + row] += sb;
                        acc[bhh[l] + row] += sbh;
                        for (int k = 0; k < in; k++) {
                            int x = (xR + k) * w;
                            double sx = 0;
                            for (int i = 0; i < w; i++) {
                                sx += da[d + i] * buf[x + i];
                            }
                            acc[wih[l] + row * in + k] += sx;
                        }
                        for (int k = 0; k < h; k++) {
                            int hp = (hpR + k) * w;
                            double sx = 0;
                            for (int i = 0; i < w; i++) {
                                sx += da[dhh + i] * pA[hp + i];
                            }
                            acc[whh[l] + row * h + k] += sx;
                        }
                    }
                }
                // gradient into h_prev (next iteration's dhRec) and into the input (layer below)
                for (int k = 0; k < h; k++) {
                    int t = rec + k * w;
                    for (int q = 0; q < 3; q++) {
                        for (int j = 0; j < h; j++) {
                            double wk = phi[whh[l] + (q * h + j) * h + k];
                            int dhh = (q < 2 ? q * h + j : 3 * h + j) * w;
                            for (int i = 0; i < w; i++) {
                                tmp[t + i] += wk * da[dhh + i];
                            }
                        }
                    }
                }
                if (l > 0) {
                    for (int k = 0; k < in; k++) {
                        int o = k * w;
                        for (int i = 0; i < w; i++) {
                            dhAbove[o + i] = 0;
                        }
                        for (int q = 0; q < 3; q++) {
                            for (int j = 0; j < h; j++) {
                                double wk = phi[wih[l] + (q * h + j) * in + k];
                                int d = (q * h + j) * w;
                                for (int i = 0; i < w; i++) {
                                    dhAbove[o + i] += wk * da[d + i];
                                }
                            }
                        }
                    }
                }
            }
            System.arraycopy(tmp, 0, dhRec, 0, layers * h * w);
        }
    }

    /** Adds a step's upstream gradient weights {@code w_t grad_t} to {@code lam}. */
    public interface LamSource {
        /** Adds step {@code u}'s contribution. */
        void add(int u, double[] lam);
    }

    // ---------------------------------------------------------------------------------------
    // Float forward (inference)

    @Override
    String description() {
        return "gru-scalar";
    }

    /** Floats of scratch {@link #run} needs. */
    @Override
    int scratchSize() {
        return (in0 + 5 * hidden + 1 + 1) * TILE;
    }

    /** The float inference step of coordinates {@code [from, to)}, as {@link MlpCell#run}. */
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
        final int gR = in0 * tw; // r, z, n, hn rows
        final int hNew = gR + 4 * h * tw;
        final int keepRow = hNew + h * tw;
        final int accRow = keepRow + tw;
        Work work = Work.of(this);
        double[] st = work.st;
        double[] xd = work.xd;
        double[] cache = work.cache;
        long skipped = 0;
        final float fscale = (float) scale;
        for (int i0 = from; i0 < to; i0 += tw) {
            int w = Math.min(tw, to - i0);
            for (int c = 0; c < tw; c++) {
                scratch[keepRow + c] = 1f;
            }
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
            for (int l = 0; l < layers; l++) {
                int hRow0 = (stats + l * h) * n + i0; // h_prev of row j at hRow0 + j * n + c
                for (int q = 0; q < 3; q++) {
                    for (int j = 0; j < h; j++) {
                        int row = q * h + j;
                        float bi = p[bih[l] + row];
                        for (int c = 0; c < tw; c++) {
                            scratch[accRow + c] = bi;
                        }
                        for (int k = 0; k < in; k++) {
                            float wk = p[wih[l] + row * in + k];
                            int x = xR + k * tw;
                            for (int c = 0; c < tw; c++) {
                                scratch[accRow + c] += wk * scratch[x + c];
                            }
                        }
                        int hr = gR + (q < 2 ? q * h + j : 3 * h + j) * tw;
                        float bh = p[bhh[l] + row];
                        for (int c = 0; c < w; c++) {
                            scratch[hr + c] = bh;
                        }
                        for (int k = 0; k < h; k++) {
                            float wk = p[whh[l] + row * h + k];
                            int hp = hRow0 + k * n;
                            for (int c = 0; c < w; c++) {
                                scratch[hr + c] += wk * s[hp + c];
                            }
                        }
                        if (q < 2) {
                            for (int c = 0; c < w; c++) {
                                float a = scratch[accRow + c] + scratch[hr + c];
                                scratch[hr + c] = 0.5f + 0.5f * ScalarLstmKernel.tanh(0.5f * a);
                            }
                        } else {
                            int nr = gR + (2 * h + j) * tw;
                            int rr = gR + j * tw;
                            for (int c = 0; c < w; c++) {
                                scratch[nr + c] =
                                        ScalarLstmKernel.tanh(
                                                scratch[accRow + c]
                                                        + scratch[rr + c] * scratch[hr + c]);
                            }
                        }
                    }
                }
                for (int j = 0; j < h; j++) {
                    int zr = gR + (h + j) * tw;
                    int nr = gR + (2 * h + j) * tw;
                    int ho = hNew + j * tw;
                    int hp = hRow0 + j * n;
                    for (int c = 0; c < w; c++) {
                        float z = scratch[zr + c];
                        scratch[ho + c] = (1 - z) * scratch[nr + c] + z * s[hp + c];
                    }
                }
                // store h' (kept coordinates keep theirs) and use it as the next layer's input
                for (int j = 0; j < h; j++) {
                    int ho = hNew + j * tw;
                    int hp = hRow0 + j * n;
                    for (int c = 0; c < w; c++) {
                        if (scratch[keepRow + c] == 0f) {
                            s[hp + c] = scratch[ho + c];
                        }
                    }
                }
                // the next layer reads h' from hNew: its gates do not write hNew, only its h' does
                xR = hNew;
                in = h;
            }
            float bo = p[outOff + h];
            for (int c = 0; c < w; c++) {
                float o = bo;
                for (int j = 0; j < h; j++) {
                    o += p[outOff + j] * scratch[hNew + j * tw + c];
                }
                upd[updOff + i0 + c] = scratch[keepRow + c] != 0f ? 0f : fscale * o;
            }
        }
        return skipped;
    }
}
