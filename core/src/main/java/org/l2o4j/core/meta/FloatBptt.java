package org.l2o4j.core.meta;

import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.KernelSelection;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;

/**
 * The float32 meta-training pass: the LSTM forward with stored activations and the first-order
 * backward through time over one block of {@link #W} coordinates, the default training path of
 * {@link MetaTrainer} ({@link DoubleBptt} is the double-precision one, kept as the test oracle and
 * to reproduce runs made with it).
 *
 * <p>This class holds everything but the arithmetic loops: the float weights repacked for the loops
 * ({@link #prepare}), the per-block {@link Storage}, the driver of the forward and backward passes
 * and the deterministic reduction of the meta-gradient into double. The loops (gate matmuls, cell
 * nonlinearities, their backward, the weight-gradient contraction) are the abstract primitives,
 * implemented in plain Java by {@link ScalarFloatBptt} and with the Vector API by {@code
 * VectorFloatBptt} (in {@code src/main/java-vector}; only loaded, by name through {@link
 * KernelSelection}, when the {@code jdk.incubator.vector} module is present; the choice follows
 * {@link Kernel#selected()}, which logs its one line).
 *
 * <h2>Layout</h2>
 *
 * Every array is structure-of-arrays with the coordinate innermost: a "row" is {@link #W} floats,
 * one per coordinate of the block (a narrower last block is padded with coordinates whose gradient
 * and upstream gradient are zero, so they contribute exactly zero). A step's activations are the
 * rows of {@link DoubleBptt} in float without its tanh(c) rows: the preprocessed input ({@code
 * in_0} rows), then per layer the gates i, f, g, o (after their nonlinearity), c and h, {@code in_0
 * + 6 H L} rows (the backward recomputes tanh(c) from c, the same float function on the same float:
 * a seventh of the memory traffic less for one tanh per unit). During the backward pass the gate
 * rows of a step are overwritten by the gate pre-activation gradients {@code dz} (they are no
 * longer needed), and the weight gradient {@code sum_u dz_u [x_u, h_{u-1}, 1]^T} is contracted once
 * per block and truncation, after the recurrence, with steps and coordinates innermost.
 *
 * <h2>Precision and determinism</h2>
 *
 * Activations, their gradients and the per-coordinate products are float; tanh and the sigmoid are
 * the inference kernel's rational approximations. The weight gradient of a block is summed in float
 * partial sums (the vector kernel: one per vector lane, over the block's coordinates and the
 * truncation's steps; the scalar one: one per coordinate, over the steps), reduced into double in a
 * fixed order; blocks are reduced in block order by the caller. Nothing depends on the thread that
 * runs a block, so results are bit-identical for any thread count (not between the scalar and the
 * vector kernels, nor between vector widths).
 *
 * <p>Instances are thread-safe for {@link #forward} and {@link #backward} on different storages;
 * {@link #prepare} must not run concurrently with them.
 */
abstract class FloatBptt {
    /** Coordinates per block: the block of {@link DoubleBptt}, so subsamples are identical. */
    static final int W = DoubleBptt.BLOCK;

    final LstmConfig config;
    final int layers;
    final int hidden;
    final int in0;
    final int numParams;
    final boolean logSign;
    final float invP;
    final float expP;
    final float threshold;
    final float scale;
    final int[] wihOff;
    final int[] whhOff;
    final int[] biasOff;
    final int outOff;
    final int rowsPerStep;

    /**
     * Forward weights: per layer (at {@link #fwdOff}), per hidden unit {@code j}, a block of {@code
     * 4 (in + H + 1)} floats: for each input {@code k} of {@code [x, h_prev]} the four gate weights
     * (i, f, g, o), then the four biases (the inference kernel's packing).
     */
    final float[] fwd;

    final int[] fwdOff;

    /**
     * Backward weights, transposed: per layer (at {@link #bwdOff}), per group of four columns of
     * {@code [W_ih | W_hh]} starting at {@link #bwdCol0} (layer 0: the W_hh columns only), for each
     * gate row {@code r} the four weights {@code W[r][c..c+3]} (zero past the last column).
     */
    final float[] bwd;

    final int[] bwdOff;
    final int[] bwdCol0;
    final int[] bwdGroups;

    /** Output weights [H] and bias, float. */
    final float[] out;

    /** Row offset of layer {@code l} in {@link Storage#dh}: rows {@code [dh_input | dh_rec]}. */
    final int[] dhOff;

    final int dhRows;

    /** Whether {@link #prepare} ran. */
    private boolean prepared;

    FloatBptt(LstmConfig c) {
        this.config = c;
        this.layers = c.layers();
        this.hidden = c.hidden();
        this.in0 = c.inputFeatures();
        this.numParams = c.numParameters();
        this.logSign = c.preprocessing() == Preprocessing.LOG_SIGN;
        this.invP = (float) (1.0 / c.logSignP());
        this.expP = (float) Math.exp(c.logSignP());
        this.threshold = (float) Math.exp(-c.logSignP());
        this.scale = (float) c.outputScale();
        int h = hidden;
        this.wihOff = new int[layers];
        this.whhOff = new int[layers];
        this.biasOff = new int[layers];
        this.fwdOff = new int[layers];
        this.bwdOff = new int[layers];
        this.bwdCol0 = new int[layers];
        this.bwdGroups = new int[layers];
        this.dhOff = new int[layers];
        int f = 0;
        int b = 0;
        int d = 0;
        for (int l = 0; l < layers; l++) {
            wihOff[l] = LstmWeights.weightIhOffset(c, l);
            whhOff[l] = LstmWeights.weightHhOffset(c, l);
            biasOff[l] = LstmWeights.biasOffset(c, l);
            int in = c.layerInputSize(l);
            fwdOff[l] = f;
            f += h * 4 * (in + h + 1);
            bwdOff[l] = b;
            bwdCol0[l] = l == 0 ? in : 0;
            int cols = l == 0 ? h : in + h;
            bwdGroups[l] = (cols + 3) / 4;
            b += bwdGroups[l] * 4 * 4 * h;
            dhOff[l] = d;
            d += roundUp4(in + h) + 4;
        }
        this.dhRows = d + 4;
        this.outOff = LstmWeights.outputWeightOffset(c);
        this.rowsPerStep = rowsPerStep(c);
        this.fwd = new float[f];
        this.bwd = new float[b];
        this.out = new float[h + 1];
    }

    /** Stored activation rows per step and coordinate: {@code in_0 + 6 H L}. */
    static int rowsPerStep(LstmConfig c) {
        return c.inputFeatures() + 6 * c.hidden() * c.layers();
    }

    private static int roundUp4(int n) {
        return (n + 3) & ~3;
    }

    /**
     * The kernel for {@code c}: the Vector API one when {@link Kernel#selected()} is {@code VECTOR}
     * (and the vector width divides {@link #W}), else the scalar one; null for another cell than
     * the LSTM (the MLP cell trains with the double {@link DoubleBptt}).
     */
    static FloatBptt create(LstmConfig c) {
        if (!c.isLstm()) {
            return null; // other cells train with the double DoubleBptt only
        }
        return create(c, Kernel.selected());
    }

    /** The kernel of the given kind (tests and benchmarks compare both in one JVM). */
    static FloatBptt create(LstmConfig c, Kernel kind) {
        if (kind == Kernel.VECTOR && Kernel.vectorAvailable()) {
            FloatBptt k =
                    KernelSelection.newVectorInstance(
                            MethodHandles.lookup(),
                            "VectorFloatBptt",
                            FloatBptt.class,
                            new Class<?>[] {LstmConfig.class},
                            c);
            if (k != null) {
                return k;
            }
        }
        return new ScalarFloatBptt(c);
    }

    /** {@code float-vector} or {@code float-scalar} (the {@code train_kernel} metadata value). */
    abstract String id();

    /** {@code vector} or {@code scalar} (the bench's {@code train_kernel}). */
    abstract String kind();

    /** Sets the weights ({@code phi} in the canonical layout of {@link LstmWeights}). */
    final void prepare(double[] phi) {
        if (phi.length != numParams) {
            throw new IllegalArgumentException(
                    "expected " + numParams + " parameters, got " + phi.length);
        }
        int h = hidden;
        for (int l = 0; l < layers; l++) {
            int in = config.layerInputSize(l);
            int k4 = 4 * (in + h + 1);
            for (int j = 0; j < h; j++) {
                int base = fwdOff[l] + j * k4;
                for (int q = 0; q < 4; q++) {
                    int row = q * h + j;
                    for (int k = 0; k < in; k++) {
                        fwd[base + 4 * k + q] = (float) phi[wihOff[l] + row * in + k];
                    }
                    for (int k = 0; k < h; k++) {
                        fwd[base + 4 * (in + k) + q] = (float) phi[whhOff[l] + row * h + k];
                    }
                    fwd[base + 4 * (in + h) + q] = (float) phi[biasOff[l] + row];
                }
            }
            int cols = in + h;
            for (int g = 0; g < bwdGroups[l]; g++) {
                for (int r = 0; r < 4 * h; r++) {
                    for (int q = 0; q < 4; q++) {
                        int col = bwdCol0[l] + 4 * g + q;
                        double v;
                        if (col >= cols) {
                            v = 0;
                        } else if (col < in) {
                            v = phi[wihOff[l] + r * in + col];
                        } else {
                            v = phi[whhOff[l] + r * h + col - in];
                        }
                        bwd[bwdOff[l] + (g * 4 * h + r) * 4 + q] = (float) v;
                    }
                }
            }
        }
        for (int j = 0; j <= h; j++) {
            out[j] = (float) phi[outOff + j];
        }
        prepared = true;
    }

    /** First row of layer {@code l}'s activations in a step. */
    final int layerBase(int l) {
        return in0 + 6 * hidden * l;
    }

    /** Floats of LSTM state per coordinate: (h, c) per layer. */
    final int stateRows() {
        return 2 * hidden * layers;
    }

    Storage newStorage(int unroll) {
        return new Storage(this, unroll);
    }

    /**
     * Activations and backward buffers of one block for up to {@code unroll} steps, plus the
     * block's meta-gradient ({@link #acc}, written by {@link #backward}).
     */
    static final class Storage {
        final float[][] steps;

        /** The state before step 0: rows l*2H + j = h_j, l*2H + H + j = c_j. */
        final float[] state0;

        final double[] acc;
        final double[] lam;
        final float[] dout;
        final float[] dhTop;
        final float[] dh;
        final float[] dcRec;
        final float[] upd;

        /** Reduction scratch of the vector kernel. */
        final float[] lanes;

        /** Per-step column sources of the weight-gradient contraction. */
        final float[][] colArr;

        final int[] colOff;

        Storage(FloatBptt k, int unroll) {
            int h = k.hidden;
            steps = new float[unroll][k.rowsPerStep * W];
            state0 = new float[k.stateRows() * W];
            acc = new double[k.numParams];
            lam = new double[W];
            dout = new float[unroll * W];
            dhTop = new float[h * W];
            dh = new float[k.dhRows * W];
            dcRec = new float[k.layers * h * W];
            upd = new float[W];
            lanes = new float[16 * W];
            int maxCols = Math.max(k.in0, h) + h + 1 + 4;
            colArr = new float[unroll * maxCols][];
            colOff = new int[unroll * maxCols];
        }

        int unroll() {
            return steps.length;
        }
    }

    /** Copies the state of positions {@code [start, start+width)} of a state of {@code n}. */
    final void loadState(Storage s, float[] all, int n, int start, int width) {
        int rows = stateRows();
        for (int k = 0; k < rows; k++) {
            System.arraycopy(all, k * n + start, s.state0, k * W, width);
            Arrays.fill(s.state0, k * W + width, (k + 1) * W, 0f);
        }
    }

    /** Copies the state after step {@code last} back into the positions' state. */
    final void storeState(Storage s, int last, float[] all, int n, int start, int width) {
        int h = hidden;
        float[] buf = s.steps[last];
        for (int l = 0; l < layers; l++) {
            int base = layerBase(l);
            for (int j = 0; j < h; j++) {
                System.arraycopy(
                        buf, (base + 5 * h + j) * W, all, (l * 2 * h + j) * n + start, width);
                System.arraycopy(
                        buf, (base + 4 * h + j) * W, all, (l * 2 * h + h + j) * n + start, width);
            }
        }
    }

    /**
     * Tracked step {@code u} of a block at positions {@code [start, start+width)}: reads {@code
     * grad[start ..]}, writes {@code update[start ..]} and stores the activations in {@code
     * s.steps[u]} (the state before step 0 is {@code s.state0}).
     */
    final void forward(Storage s, int start, int width, double[] grad, double[] update, int u) {
        if (!prepared) {
            throw new IllegalStateException("prepare(phi) first");
        }
        final int h = hidden;
        float[] buf = s.steps[u];
        for (int i = 0; i < W; i++) {
            float g = i < width ? (float) grad[start + i] : 0f;
            if (logSign) {
                float a = Math.abs(g);
                boolean big = a >= threshold;
                buf[i] = big ? (float) Math.log(a) * invP : -1f;
                buf[W + i] = big ? Math.signum(g) : expP * g;
            } else {
                buf[i] = g;
            }
        }
        for (int l = 0; l < layers; l++) {
            int base = layerBase(l);
            int in = l == 0 ? in0 : h;
            int xR = l == 0 ? 0 : layerBase(l - 1) + 5 * h;
            float[] pA = u > 0 ? s.steps[u - 1] : s.state0;
            int hpR = u > 0 ? base + 5 * h : l * 2 * h;
            int cpR = u > 0 ? base + 4 * h : l * 2 * h + h;
            gates(l, in, buf, xR * W, pA, hpR * W, buf, base * W);
            cellForward(buf, base * W, pA, cpR * W);
        }
        outputForward(buf, (layerBase(layers - 1) + 5 * h) * W, s.upd);
        for (int i = 0; i < width; i++) {
            update[start + i] = s.upd[i];
        }
    }

    /**
     * Backpropagation through the {@code steps} stored steps of a block, writing {@code dL/dphi} of
     * the block to {@code s.acc} (overwritten). {@code gradNext[u]} is the optimizee gradient at
     * {@code theta_{s+1}} (position order) and {@code wNext[u]} its weight, as in {@link
     * DoubleBptt#backward}. Destroys the stored gate activations (it overwrites them with their
     * gradients); the states (h, c) stay.
     */
    final void backward(
            Storage s, int start, int width, double[][] gradNext, double[] wNext, int steps) {
        final int h = hidden;
        final double[] lam = s.lam;
        Arrays.fill(lam, 0.0);
        Arrays.fill(s.dh, 0f);
        Arrays.fill(s.dcRec, 0f);
        final double sc = scale;
        for (int u = steps - 1; u >= 0; u--) {
            float[] buf = s.steps[u];
            double wt = wNext[u];
            if (wt != 0) {
                double[] g = gradNext[u];
                for (int i = 0; i < width; i++) {
                    lam[i] += wt * g[start + i];
                }
            }
            int d0 = u * W;
            for (int i = 0; i < W; i++) {
                s.dout[d0 + i] = (float) (sc * lam[i]);
            }
            outputBackward(s.dout, d0, s.dhTop);
            for (int l = layers - 1; l >= 0; l--) {
                int base = layerBase(l);
                float[] pA = u > 0 ? s.steps[u - 1] : s.state0;
                int cpR = u > 0 ? base + 4 * h : l * 2 * h + h;
                int in = l == 0 ? in0 : h;
                float[] above = l == layers - 1 ? s.dhTop : s.dh;
                int aboveOff = l == layers - 1 ? 0 : dhOff[l + 1] * W;
                int recOff = (dhOff[l] + in) * W;
                cellBackward(
                        buf, base * W, pA, cpR * W, above, aboveOff, s.dh, recOff, s.dcRec,
                        l * h * W);
                if (u > 0 || l > 0) {
                    matTvec(l, buf, base * W, s.dh, (dhOff[l] + bwdCol0[l]) * W);
                }
            }
        }
        // Weight gradients: sum over steps and coordinates of dz_u [x_u, h_{u-1}, 1]^T.
        Arrays.fill(s.acc, 0.0);
        for (int l = 0; l < layers; l++) {
            int base = layerBase(l);
            int in = l == 0 ? in0 : h;
            int cols = in + h + 1;
            int xR = l == 0 ? 0 : layerBase(l - 1) + 5 * h;
            int stride = cols + 4;
            for (int u = 0; u < steps; u++) {
                float[] pA = u > 0 ? s.steps[u - 1] : s.state0;
                int hpR = u > 0 ? base + 5 * h : l * 2 * h;
                int o = u * stride;
                for (int c = 0; c < in; c++) {
                    s.colArr[o + c] = s.steps[u];
                    s.colOff[o + c] = (xR + c) * W;
                }
                for (int c = 0; c < h; c++) {
                    s.colArr[o + in + c] = pA;
                    s.colOff[o + in + c] = (hpR + c) * W;
                }
                s.colArr[o + in + h] = ONES;
                s.colOff[o + in + h] = 0;
                for (int c = cols; c < stride; c++) {
                    s.colArr[o + c] = ZEROS;
                    s.colOff[o + c] = 0;
                }
            }
            weightGradient(s, l, in, base * W, steps, stride);
        }
        // Output layer: rows dout_u against [h_top_u, 1].
        int topH = (layerBase(layers - 1) + 5 * h) * W;
        for (int j = 0; j < h; j++) {
            s.acc[outOff + j] = outputGradient(s, steps, topH + j * W, false);
        }
        s.acc[outOff + h] = outputGradient(s, steps, 0, true);
    }

    /** A row of ones (the bias column). */
    static final float[] ONES = filled(W, 1f);

    /** A row of zeros (padding columns). */
    static final float[] ZEROS = new float[W];

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /**
     * Adds {@code dz_u[r] . col_u[c]} over steps and coordinates into {@code s.acc} for every gate
     * row {@code r} of layer {@code l} and column {@code c} of {@code [x (in), h_prev (H), 1]}; the
     * column sources of step {@code u} are {@code s.colArr/colOff[u*stride + c]} (padded with zero
     * rows up to {@code stride}), {@code dz_u} the gate rows of {@code s.steps[u]} at {@code zOff}.
     */
    abstract void weightGradient(Storage s, int l, int in, int zOff, int steps, int stride);

    /** {@code sum_u sum_i dout_u[i] * (bias ? 1 : steps[u][hOff + i])}, in double. */
    abstract double outputGradient(Storage s, int steps, int hOff, boolean bias);

    /**
     * Gate pre-activations of layer {@code l}: rows {@code q H + j} at {@code zOff} of {@code z}
     * from the {@code in} input rows at {@code xOff} of {@code x} and the H rows of the previous h
     * at {@code hOff} of {@code hp}.
     */
    abstract void gates(
            int l, int in, float[] x, int xOff, float[] hp, int hOff, float[] z, int zOff);

    /**
     * From the pre-activations at {@code off} (the layer's base row): gates in place, then the c
     * and h rows, with the previous c at {@code cpOff} of {@code cp}.
     */
    abstract void cellForward(float[] buf, int off, float[] cp, int cpOff);

    /** {@code upd[i] = scale (b + sum_j w_j h_j[i])} from the H rows at {@code hOff}. */
    abstract void outputForward(float[] buf, int hOff, float[] upd);

    /** {@code dhTop[j][i] = w_j dout[i]} for the dout row at {@code d0}. */
    abstract void outputBackward(float[] dout, int d0, float[] dhTop);

    /**
     * The cell backward of one layer and step: from {@code dh = above + rec} and the recurrent
     * {@code dcRec}, writes the gate pre-activation gradients over the gate rows at {@code off} and
     * the new {@code dcRec} (tanh(c) is recomputed from the c rows).
     */
    abstract void cellBackward(
            float[] buf,
            int off,
            float[] cp,
            int cpOff,
            float[] above,
            int aboveOff,
            float[] rec,
            int recOff,
            float[] dcRec,
            int dcOff);

    /**
     * {@code dh[c] = sum_r W[r][c] dz[r]} for the columns of layer {@code l}'s {@link #bwd} groups
     * (in groups of four rows from {@code dstOff} of {@code dst}); {@code dz} at {@code zOff}.
     */
    abstract void matTvec(int l, float[] dz, int zOff, float[] dst, int dstOff);
}
