package org.l2o4j.core.meta;

import java.util.Arrays;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.GruCell;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.MlpCell;
import org.l2o4j.core.lstm.Preprocessing;

/**
 * The double-precision LSTM forward (with stored activations) and backward-through-time used by
 * meta-training, for one {@link Block} of coordinates at a time.
 *
 * <p>The math is {@link org.l2o4j.core.lstm.LstmOptimizer}'s (see {@link LstmConfig}), in double;
 * parameters {@code phi} are a double array in the canonical layout of {@link LstmWeights}. All
 * arrays are structure-of-arrays with the coordinate as the innermost index ({@code row * width +
 * i}), so the inner loops are simple loops over coordinates that C2 can vectorize.
 *
 * <p>Activation storage of one step (rows of {@code width} doubles): the preprocessed input ({@code
 * in_0} rows), then for each layer {@code l} seven blocks of {@code H} rows: gates i, f, g, o
 * (after their nonlinearity), the new cell {@code c}, the new hidden {@code h} and {@code tanh(c)}.
 * That is {@code in_0 + 7 H L} doubles per coordinate and step (282 for the paper's 2 x 20 LSTM
 * with log-sign input).
 *
 * <p>Not thread-safe per block; different blocks may be processed concurrently.
 */
final class DoubleBptt {
    /** Coordinates per block (the last block of a rollout may be narrower). */
    static final int BLOCK = 64;

    final LstmConfig config;
    final int layers;
    final int hidden;
    final int in0;
    final int numParams;
    final boolean logSign;
    final double invP;
    final double expP;
    final double expNegP;
    final double scale;
    final int[] wihOff;
    final int[] whhOff;
    final int[] biasOff;
    final int outOff;

    /** The MLP cell for an {@link org.l2o4j.core.lstm.CellType#MLP} config, else null. */
    final MlpCell mlp;

    /** The GRU cell for a {@link org.l2o4j.core.lstm.CellType#GRU} config, else null. */
    final GruCell gru;

    /** Rows of one step's activation storage. */
    final int rowsPerStep;

    DoubleBptt(LstmConfig c) {
        this.config = c;
        this.layers = c.layers();
        this.hidden = c.hidden();
        this.in0 = c.inputFeatures();
        this.numParams = c.numParameters();
        this.logSign = c.preprocessing() == Preprocessing.LOG_SIGN;
        double p = c.logSignP();
        this.invP = 1.0 / p;
        // The float kernel compares |g| with the float e^-p and multiplies by the float e^p.
        this.expP = (float) Math.exp(p);
        this.expNegP = (float) Math.exp(-p);
        this.scale = c.outputScale();
        this.wihOff = new int[layers];
        this.whhOff = new int[layers];
        this.biasOff = new int[layers];
        for (int l = 0; l < layers; l++) {
            wihOff[l] = LstmWeights.weightIhOffset(c, l);
            whhOff[l] = LstmWeights.weightHhOffset(c, l);
            biasOff[l] = LstmWeights.biasOffset(c, l);
        }
        this.outOff = LstmWeights.outputWeightOffset(c);
        this.mlp = c.cell() == CellType.MLP ? new MlpCell(c) : null;
        this.gru = c.cell() == CellType.GRU ? new GruCell(c) : null;
        this.rowsPerStep =
                mlp != null
                        ? mlp.rowsPerStep()
                        : gru != null ? gru.rowsPerStep() : in0 + 7 * hidden * layers;
    }

    /** First row of layer {@code l}'s activations in a step's storage. */
    int layerBase(int l) {
        return in0 + 7 * hidden * l;
    }

    /**
     * Whether the features include {@code param}: then {@link #forward} needs the parameter values.
     */
    boolean needsTheta() {
        return config.features().needsParam();
    }

    /** Doubles of state per coordinate: (h, c) per layer. */
    int stateRows() {
        if (mlp != null) {
            return mlp.stateRows(); // the features' running statistics
        }
        if (gru != null) {
            return gru.stateRows();
        }
        return 2 * hidden * layers;
    }

    /**
     * Storage for one tracked block of up to {@link #BLOCK} coordinates and {@code unroll} steps.
     */
    Storage newStorage(int unroll) {
        return new Storage(this, unroll);
    }

    /**
     * Activations of {@code unroll} steps plus backward buffers for one block of up to {@link
     * #BLOCK} coordinates; lent to whichever blocks are backpropagated in a truncation, so memory
     * grows with the coordinate subsample, not with the model.
     */
    static final class Storage {
        final double[][] steps;
        final double[] acc;
        final double[] dz;
        final double[] dhAbove;
        final double[] dhRec;
        final double[] dcRec;
        final double[] lam;
        final double[] dout;

        Storage(DoubleBptt k, int unroll) {
            int w = BLOCK;
            int h = k.hidden;
            steps = new double[unroll][k.rowsPerStep * w];
            acc = new double[k.numParams];
            dz = new double[4 * h * w];
            dhAbove = new double[h * w];
            dhRec = new double[k.layers * h * w];
            dcRec = new double[k.layers * h * w];
            lam = new double[w];
            dout = new double[w];
        }
    }

    Block newBlock(int start, int width) {
        return new Block(this, start, width);
    }

    /**
     * A contiguous range of coordinate positions with its LSTM state, optional activation storage
     * for BPTT and its own meta-gradient accumulator.
     */
    static final class Block {
        final int start;
        final int width;

        /** (h, c) per layer; rows l*2H + j = h_j, l*2H + H + j = c_j, as in LstmOptimizer. */
        final double[] state;

        /** Activations of an untracked step. */
        final double[] scratch;

        /** Activations per step of the current truncation (allocated when first tracked). */
        double[][] steps;

        /** Meta-gradient accumulator (allocated when first tracked). */
        double[] acc;

        double[] dz;
        double[] dhAbove;
        double[] dhRec;
        double[] dcRec;
        double[] lam;
        double[] dout;

        private final DoubleBptt k;

        Block(DoubleBptt k, int start, int width) {
            this.k = k;
            this.start = start;
            this.width = width;
            this.state = new double[k.stateRows() * width];
            this.scratch = new double[k.rowsPerStep * width];
        }

        /** Makes this block's own storage for {@code unroll} steps (tests and benchmarks). */
        void ensureTracking(int unroll) {
            if (steps == null || steps.length < unroll) {
                attach(k.newStorage(unroll));
            }
        }

        /** Uses {@code s} for activations and backward buffers until {@link #detach()}. */
        void attach(Storage s) {
            steps = s.steps;
            acc = s.acc;
            dz = s.dz;
            dhAbove = s.dhAbove;
            dhRec = s.dhRec;
            dcRec = s.dcRec;
            lam = s.lam;
            dout = s.dout;
        }

        /** Drops the storage references (the storage goes back to its pool). */
        void detach() {
            steps = null;
            acc = null;
            dz = null;
            dhAbove = null;
            dhRec = null;
            dcRec = null;
            lam = null;
            dout = null;
        }

        /** Copies the state after step {@code last} of a tracked truncation into {@link #state}. */
        void commitTrackedState(int last) {
            if (k.gru != null) {
                k.gru.commitState(steps[last], state, width);
                return;
            }
            if (k.mlp != null) {
                int rows = k.mlp.stateRows();
                System.arraycopy(steps[last], k.mlp.stateRowBase() * width, state, 0, rows * width);
                return;
            }
            int w = width;
            int h = k.hidden;
            double[] buf = steps[last];
            for (int l = 0; l < k.layers; l++) {
                int base = k.layerBase(l);
                System.arraycopy(buf, (base + 5 * h) * w, state, (l * 2 * h) * w, h * w);
                System.arraycopy(buf, (base + 4 * h) * w, state, (l * 2 * h + h) * w, h * w);
            }
        }

        void resetState() {
            Arrays.fill(state, 0.0);
        }
    }

    /**
     * {@link #forward(double[], Block, double[], double[], double[], int, boolean)} without theta.
     */
    void forward(double[] phi, Block b, double[] grad, double[] update, int u, boolean tracked) {
        forward(phi, b, grad, null, update, u, tracked);
    }

    /**
     * One forward step for a block: reads the gradients {@code grad[start .. start+width)}, writes
     * the updates {@code update[start ..]} and advances the block's state.
     *
     * @param theta the parameter values before the step, position order like {@code grad}: the
     *     {@code param} feature's input (the first-order meta-gradient has no term through it);
     *     null if the features do not {@linkplain #needsTheta() need it}
     * @param tracked store activations in {@code b.steps[u]} (the state then lives in the storage
     *     until {@link Block#commitTrackedState}); otherwise update {@code b.state} in place
     */
    void forward(
            double[] phi,
            Block b,
            double[] grad,
            double[] theta,
            double[] update,
            int u,
            boolean tracked) {
        if (mlp != null) {
            forwardMlp(phi, b, grad, theta, update, u, tracked);
            return;
        }
        if (gru != null) {
            boolean fromStep = tracked && u > 0;
            double[] buf = tracked ? b.steps[u] : b.scratch;
            gru.forward(
                    phi,
                    fromStep ? b.steps[u - 1] : b.state,
                    fromStep,
                    grad,
                    theta,
                    b.start,
                    update,
                    b.start,
                    buf,
                    b.width);
            if (!tracked) {
                gru.commitState(buf, b.state, b.width);
            }
            return;
        }
        final int w = b.width;
        final int off = b.start;
        final int h = hidden;
        double[] buf = tracked ? b.steps[u] : b.scratch;
        if (logSign) {
            for (int i = 0; i < w; i++) {
                double g = grad[off + i];
                double a = Math.abs(g);
                if (a >= expNegP) {
                    buf[i] = Math.log(a) * invP;
                    buf[w + i] = Math.signum(g);
                } else {
                    buf[i] = -1.0;
                    buf[w + i] = expP * g;
                }
            }
        } else {
            System.arraycopy(grad, off, buf, 0, w);
        }
        double[] xA = buf;
        int xR = 0;
        int in = in0;
        for (int l = 0; l < layers; l++) {
            final int base = layerBase(l);
            double[] pA;
            int hpR;
            int cpR;
            if (tracked && u > 0) {
                pA = b.steps[u - 1];
                hpR = base + 5 * h;
                cpR = base + 4 * h;
            } else {
                pA = b.state;
                hpR = l * 2 * h;
                cpR = hpR + h;
            }
            double[] oA;
            int hoR;
            int coR;
            if (tracked) {
                oA = buf;
                hoR = base + 5 * h;
                coR = base + 4 * h;
            } else {
                oA = b.state;
                hoR = l * 2 * h;
                coR = hoR + h;
            }
            final int wih = wihOff[l];
            final int whh = whhOff[l];
            final int bias = biasOff[l];
            for (int r = 0; r < 4 * h; r++) {
                int zo = (base + r) * w;
                Arrays.fill(buf, zo, zo + w, phi[bias + r]);
                for (int kk = 0; kk < in; kk++) {
                    axpy(phi[wih + r * in + kk], xA, (xR + kk) * w, buf, zo, w);
                }
                for (int kk = 0; kk < h; kk++) {
                    axpy(phi[whh + r * h + kk], pA, (hpR + kk) * w, buf, zo, w);
                }
            }
            for (int j = 0; j < h; j++) {
                int io = (base + j) * w;
                int fo = (base + h + j) * w;
                int go = (base + 2 * h + j) * w;
                int oo = (base + 3 * h + j) * w;
                int to = (base + 6 * h + j) * w;
                int cp = (cpR + j) * w;
                int co = (coR + j) * w;
                int ho = (hoR + j) * w;
                for (int i = 0; i < w; i++) {
                    double gi = sigmoid(buf[io + i]);
                    double gf = sigmoid(buf[fo + i]);
                    double gg = tanh(buf[go + i]);
                    double gO = sigmoid(buf[oo + i]);
                    double c = gf * pA[cp + i] + gi * gg;
                    double t = tanh(c);
                    buf[io + i] = gi;
                    buf[fo + i] = gf;
                    buf[go + i] = gg;
                    buf[oo + i] = gO;
                    buf[to + i] = t;
                    oA[co + i] = c;
                    oA[ho + i] = gO * t;
                }
            }
            xA = oA;
            xR = hoR;
            in = h;
        }
        Arrays.fill(update, off, off + w, phi[outOff + h]);
        for (int j = 0; j < h; j++) {
            axpy(phi[outOff + j], xA, (xR + j) * w, update, off, w);
        }
        for (int i = 0; i < w; i++) {
            update[off + i] *= scale;
        }
    }

    /**
     * Backpropagation through the {@code steps} stored steps of a tracked block, accumulating
     * {@code dL/dphi} into {@code b.acc} (which the caller zeroes).
     *
     * <p>{@code gradNext[u]} holds the optimizee gradient at {@code theta_{s+1}} (position order)
     * and {@code wNext[u]} the weight {@code w_{s+1}}, where {@code s} is the global step of local
     * step {@code u}; the upstream gradient of the update of step {@code u} is {@code lambda_u =
     * sum_{v >= u} wNext[v] gradNext[v]} (first-order: gradients are constants). The recurrent
     * gradient into the state before step 0 is dropped (truncation).
     */
    void backward(double[] phi, Block b, double[][] gradNext, double[] wNext, int steps) {
        if (mlp != null) {
            backwardMlp(phi, b, gradNext, wNext, steps);
            return;
        }
        if (gru != null) {
            final int w = b.width;
            final int off = b.start;
            gru.backward(
                    phi,
                    b.steps,
                    b.state,
                    steps,
                    (u, lam) -> {
                        double wt = wNext[u];
                        if (wt != 0) {
                            double[] g = gradNext[u];
                            for (int i = 0; i < w; i++) {
                                lam[i] += wt * g[off + i];
                            }
                        }
                    },
                    b.lam,
                    b.acc,
                    b.dz,
                    b.dhAbove,
                    b.dhRec,
                    b.dcRec,
                    w);
            return;
        }
        final int w = b.width;
        final int off = b.start;
        final int h = hidden;
        final double[] acc = b.acc;
        final double[] dz = b.dz;
        final double[] dhAbove = b.dhAbove;
        final double[] dhRec = b.dhRec;
        final double[] dcRec = b.dcRec;
        final double[] lam = b.lam;
        final double[] dout = b.dout;
        Arrays.fill(lam, 0.0);
        Arrays.fill(dhRec, 0.0);
        Arrays.fill(dcRec, 0.0);
        for (int u = steps - 1; u >= 0; u--) {
            double[] buf = b.steps[u];
            double wt = wNext[u];
            if (wt != 0) {
                double[] g = gradNext[u];
                for (int i = 0; i < w; i++) {
                    lam[i] += wt * g[off + i];
                }
            }
            for (int i = 0; i < w; i++) {
                dout[i] = scale * lam[i];
            }
            int topH = layerBase(layers - 1) + 5 * h;
            acc[outOff + h] += sum(dout, 0, w);
            for (int j = 0; j < h; j++) {
                acc[outOff + j] += dot(dout, 0, buf, (topH + j) * w, w);
                double wo = phi[outOff + j];
                int ao = j * w;
                for (int i = 0; i < w; i++) {
                    dhAbove[ao + i] = wo * dout[i];
                }
            }
            for (int l = layers - 1; l >= 0; l--) {
                final int base = layerBase(l);
                double[] pA;
                int hpR;
                int cpR;
                if (u > 0) {
                    pA = b.steps[u - 1];
                    hpR = base + 5 * h;
                    cpR = base + 4 * h;
                } else {
                    pA = b.state;
                    hpR = l * 2 * h;
                    cpR = hpR + h;
                }
                final int in = l == 0 ? in0 : h;
                final int xR = l == 0 ? 0 : layerBase(l - 1) + 5 * h;
                final int rec = l * h * w;
                for (int j = 0; j < h; j++) {
                    int io = (base + j) * w;
                    int fo = (base + h + j) * w;
                    int go = (base + 2 * h + j) * w;
                    int oo = (base + 3 * h + j) * w;
                    int to = (base + 6 * h + j) * w;
                    int cp = (cpR + j) * w;
                    int jo = j * w;
                    for (int i = 0; i < w; i++) {
                        double dh = dhAbove[jo + i] + dhRec[rec + jo + i];
                        double gi = buf[io + i];
                        double gf = buf[fo + i];
                        double gg = buf[go + i];
                        double gO = buf[oo + i];
                        double t = buf[to + i];
                        double dc = dcRec[rec + jo + i] + dh * gO * (1 - t * t);
                        dz[jo + i] = dc * gg * gi * (1 - gi);
                        dz[h * w + jo + i] = dc * pA[cp + i] * gf * (1 - gf);
                        dz[2 * h * w + jo + i] = dc * gi * (1 - gg * gg);
                        dz[3 * h * w + jo + i] = dh * t * gO * (1 - gO);
                        dcRec[rec + jo + i] = dc * gf;
                    }
                }
                final int wih = wihOff[l];
                final int whh = whhOff[l];
                final int bias = biasOff[l];
                for (int r = 0; r < 4 * h; r++) {
                    int zo = r * w;
                    acc[bias + r] += sum(dz, zo, w);
                    for (int kk = 0; kk < in; kk++) {
                        acc[wih + r * in + kk] += dot(dz, zo, buf, (xR + kk) * w, w);
                    }
                    for (int kk = 0; kk < h; kk++) {
                        acc[whh + r * h + kk] += dot(dz, zo, pA, (hpR + kk) * w, w);
                    }
                }
                // Recurrent gradient into h_{u-1} of this layer: W_hh^T dz.
                Arrays.fill(dhRec, rec, rec + h * w, 0.0);
                for (int r = 0; r < 4 * h; r++) {
                    int zo = r * w;
                    for (int kk = 0; kk < h; kk++) {
                        axpy(phi[whh + r * h + kk], dz, zo, dhRec, rec + kk * w, w);
                    }
                }
                if (l > 0) {
                    // Gradient into this step's input, the h of the layer below: W_ih^T dz.
                    Arrays.fill(dhAbove, 0, h * w, 0.0);
                    for (int r = 0; r < 4 * h; r++) {
                        int zo = r * w;
                        for (int kk = 0; kk < h; kk++) {
                            axpy(phi[wih + r * h + kk], dz, zo, dhAbove, kk * w, w);
                        }
                    }
                }
            }
        }
    }

    static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double sum(double[] a, int ao, int n) {
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            s0 += a[ao + i];
            s1 += a[ao + i + 1];
        }
        for (; i < n; i++) {
            s0 += a[ao + i];
        }
        return s0 + s1;
    }

    /** Overflow-safe logistic function (exp overflow gives 1/(1+inf) = 0, never NaN). */
    static double sigmoid(double v) {
        return 1.0 / (1.0 + Math.exp(-v));
    }

    /** tanh through one exp (Math.tanh is a slow software routine); absolute error ~1e-16. */
    static double tanh(double v) {
        double e = Math.exp(-2.0 * Math.abs(v));
        double t = (1.0 - e) / (1.0 + e);
        return v < 0 ? -t : t;
    }

    /**
     * {@link #forward} for the MLP cell: the state before step {@code u} is the block's state
     * ({@code u == 0} or untracked) or the new state stored with step {@code u - 1}.
     */
    private void forwardMlp(
            double[] phi,
            Block b,
            double[] grad,
            double[] theta,
            double[] update,
            int u,
            boolean tracked) {
        final int w = b.width;
        double[] buf = tracked ? b.steps[u] : b.scratch;
        double[] prev = b.state;
        int prevRow = 0;
        if (tracked && u > 0) {
            prev = b.steps[u - 1];
            prevRow = mlp.stateRowBase();
        }
        mlp.forward(phi, prev, prevRow, grad, theta, b.start, update, b.start, buf, w);
        if (!tracked) {
            System.arraycopy(buf, mlp.stateRowBase() * w, b.state, 0, mlp.stateRows() * w);
        }
    }

    /**
     * {@link #backward} for the MLP cell: the state does not depend on phi (it is the features'
     * running statistics of the gradients), so each step's update is backpropagated alone with
     * {@code lam_u = sum_{t >= u} w_t grad_t}, the upstream gradient of update {@code u}.
     */
    private void backwardMlp(
            double[] phi, Block b, double[][] gradNext, double[] wNext, int steps) {
        final int w = b.width;
        final int off = b.start;
        final double[] lam = b.lam;
        Arrays.fill(lam, 0.0);
        for (int u = steps - 1; u >= 0; u--) {
            double wt = wNext[u];
            if (wt != 0) {
                double[] g = gradNext[u];
                for (int i = 0; i < w; i++) {
                    lam[i] += wt * g[off + i];
                }
            }
            mlp.backward(phi, b.steps[u], lam, b.acc, b.dz, w);
        }
    }
}
