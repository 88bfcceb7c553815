package org.l2o4j.core.task;

import java.util.Arrays;
import java.util.List;
import org.l2o4j.core.data.Dataset;

/**
 * One task of a {@link ConvTaskFamily}: a small CNN classifier with its own seeded initial point
 * and seeded minibatch stream; loss and gradient in double precision.
 *
 * <p><b>Model.</b> Block {@code k} (input {@code cin_k x s_k x s_k}, {@code cin_0 = 1}, {@code s_0
 * = 28}): 3x3 convolution with zero padding 1 to {@code C} channels plus a bias per channel, ReLU,
 * 2x2 max-pooling with stride 2, giving {@code C x s_k/2 x s_k/2}. Then a dense layer to the 10
 * logits and the mean softmax cross-entropy over the minibatch (a shifted log-sum-exp). Max-pooling
 * routes the gradient to the first maximum of each window (ties, e.g. four zeros after ReLU, have
 * measure zero before ReLU and carry no gradient after it).
 *
 * <p><b>Flat parameter layout</b> ({@link #dimension()} doubles), PyTorch's tensor layouts in
 * order: for each block, the kernel {@code [C x cin x 3 x 3]} (element {@code (c, i, ky, kx)} at
 * {@code off + ((c * cin + i) * 3 + ky) * 3 + kx}) then the bias {@code [C]}; then the dense weight
 * {@code [10 x F]} ({@code F = C * s * s} features of the last block flattened channel-major,
 * {@code (c, y, x)}) and the dense bias {@code [10]}.
 *
 * <p><b>Parameter groups</b> ({@link #parameterGroups()}): {@code conv-kernels}, {@code
 * conv-biases}, {@code dense-weights}, {@code dense-biases}.
 *
 * <p><b>Initial point.</b> Convolution kernels He-uniform (Kaiming: {@code U(+-sqrt(6 / fanIn))},
 * {@code fanIn = cin * 9}), the dense weight Glorot-uniform ({@code U(+-sqrt(6 / (F + 10)))}),
 * biases zero; drawn from a SplitMix64 stream of the seed, so the same seed gives the same point on
 * every JVM.
 *
 * <p><b>Minibatches.</b> As {@link MlpTask}: the minibatch of step {@code t} is {@code batchSize}
 * distinct rows drawn from a stream seeded by {@code (seed, t)} (the same rows as an {@code
 * mnist-mlp} task of the same seed and batch size), independent of earlier calls.
 *
 * <p><b>Computation.</b> Image by image (everything stays in cache): im2col, then the convolution
 * as a matrix product whose inner loop runs over the {@code s * s} pixels (contiguous, so the JIT
 * vectorizes it); the bias is added after pooling (max commutes with adding a constant). The
 * backward pass only visits the pooled maxima (a quarter of the outputs, fewer after ReLU). The
 * gradient is accumulated image by image in a fixed order: results are bitwise deterministic.
 *
 * <p>An instance holds its own work buffers: it is not thread-safe, but distinct instances (sharing
 * the read-only dataset) can run concurrently.
 */
public final class ConvTask implements Task {

    private static final long INIT_SALT = 0x3C6EF372FE94F82BL;

    /** Parameter group names, indexed by the labels. */
    static final List<String> GROUPS =
            List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases");

    private final ConvTaskFamily family;
    private final long seed;
    private final Dataset data;
    private final int batch;
    private final int blocks;
    private final int channels;
    private final int classes;
    private final int dimension;

    /** Per block: input channels, input side, kernel offset, bias offset. */
    private final int[] cin;

    private final int[] side;
    private final int[] kernelOffset;
    private final int[] biasOffset;
    private final int denseWeightOffset;
    private final int denseBiasOffset;
    private final int features;

    // per-image work buffers, per block
    private final double[][] input; // cin x s x s (input[0] is the image)
    private final double[][] col; // (cin * 9) x (s * s)
    private final double[][] conv; // C x s x s, without bias
    private final double[][] pooled; // last block: C x s/2 x s/2, after bias and ReLU
    private final int[][] argmax; // C x s/2 x s/2, index into conv
    private final double[][] dPooled; // C x s/2 x s/2
    private final int[][] tapOffset; // per block: offset in the input of tap (ci, ky, kx)
    private final double[] logits;
    private final double[] dLogits;

    private final ConvKernel kernel = ConvKernel.SELECTED;
    private final MinibatchSampler sampler;
    private final int[] rows;
    private long cachedStep = Long.MIN_VALUE;

    ConvTask(ConvTaskFamily family, long seed) {
        this.family = family;
        this.seed = seed;
        this.data = family.data();
        this.batch = family.batchSize();
        this.blocks = family.blocks();
        this.channels = family.channels();
        this.classes = data.classes();
        this.cin = new int[blocks];
        this.side = new int[blocks];
        this.kernelOffset = new int[blocks];
        this.biasOffset = new int[blocks];
        this.input = new double[blocks][];
        this.col = new double[blocks][];
        this.conv = new double[blocks][];
        this.pooled = new double[blocks][];
        this.argmax = new int[blocks][];
        this.dPooled = new double[blocks][];
        this.tapOffset = new int[blocks][];
        int off = 0;
        int c = 1;
        int s = family.side();
        for (int k = 0; k < blocks; k++) {
            cin[k] = c;
            side[k] = s;
            kernelOffset[k] = off;
            off += channels * c * 9;
            biasOffset[k] = off;
            off += channels;
            input[k] = new double[c * s * s];
            col[k] = new double[c * 9 * s * s];
            conv[k] = new double[channels * s * s];
            int h = s / 2;
            pooled[k] = k + 1 == blocks ? new double[channels * h * h] : null;
            argmax[k] = new int[channels * h * h];
            dPooled[k] = new double[channels * h * h];
            tapOffset[k] = new int[c * 9];
            for (int i = 0; i < c * 9; i++) {
                int t = i % 9;
                tapOffset[k][i] = (i / 9) * s * s + (t / 3 - 1) * s + (t % 3 - 1);
            }
            c = channels;
            s = h;
        }
        this.features = channels * s * s;
        this.denseWeightOffset = off;
        off += classes * features;
        this.denseBiasOffset = off;
        off += classes;
        this.dimension = off;
        if (dimension != family.dimension()) {
            throw new IllegalStateException(dimension + " != " + family.dimension());
        }
        this.logits = new double[classes];
        this.dLogits = new double[classes];
        this.sampler = new MinibatchSampler(seed, data.rows(), batch);
        this.rows = new int[batch];
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return family.name() + "[seed=" + seed + "]";
    }

    /** {@inheritDoc} */
    @Override
    public int dimension() {
        return dimension;
    }

    /** The seed this task was sampled with. */
    public long seed() {
        return seed;
    }

    /** The family this task belongs to. */
    public ConvTaskFamily family() {
        return family;
    }

    /** Offset of block {@code k}'s kernel in the flat parameters. */
    public int kernelOffset(int k) {
        return kernelOffset[k];
    }

    /** Offset of block {@code k}'s bias in the flat parameters. */
    public int biasOffset(int k) {
        return biasOffset[k];
    }

    /** Offset of the dense weight {@code [10 x F]}. */
    public int denseWeightOffset() {
        return denseWeightOffset;
    }

    /** Offset of the dense bias. */
    public int denseBiasOffset() {
        return denseBiasOffset;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code conv-kernels}, {@code conv-biases}, {@code dense-weights}, {@code dense-biases}.
     */
    @Override
    public List<String> parameterGroups() {
        return GROUPS;
    }

    /** {@inheritDoc} */
    @Override
    public int[] parameterGroupLabels() {
        int[] labels = new int[dimension];
        for (int k = 0; k < blocks; k++) {
            Arrays.fill(labels, biasOffset[k], biasOffset[k] + channels, 1);
        }
        Arrays.fill(labels, denseWeightOffset, denseBiasOffset, 2);
        Arrays.fill(labels, denseBiasOffset, dimension, 3);
        return labels;
    }

    /** {@inheritDoc} */
    @Override
    public double[] initialParameters() {
        double[] theta = new double[dimension];
        MlpTask.SplitMix64 rng = new MlpTask.SplitMix64(MlpTask.SplitMix64.mix(seed ^ INIT_SALT));
        for (int k = 0; k < blocks; k++) {
            double bound = Math.sqrt(6.0 / (cin[k] * 9));
            for (int j = kernelOffset[k]; j < biasOffset[k]; j++) {
                theta[j] = bound * (2 * rng.nextDouble() - 1);
            }
        }
        double bound = Math.sqrt(6.0 / (features + classes));
        for (int j = denseWeightOffset; j < denseBiasOffset; j++) {
            theta[j] = bound * (2 * rng.nextDouble() - 1);
        }
        return theta;
    }

    /** The dataset rows of step {@code t}'s minibatch (a copy). */
    public int[] minibatchRows(long t) {
        selectRows(t);
        return rows.clone();
    }

    /** {@inheritDoc} */
    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut) {
        Task.checkLength("theta", theta, dimension);
        Task.checkLength("gradOut", gradOut, dimension);
        selectRows(t);
        Arrays.fill(gradOut, 0.0);
        double total = 0;
        for (int r = 0; r < batch; r++) {
            total += image(theta, rows[r], gradOut);
        }
        return total / batch;
    }

    /** {@inheritDoc} Forward pass only. */
    @Override
    public double loss(double[] theta, long t) {
        Task.checkLength("theta", theta, dimension);
        selectRows(t);
        double total = 0;
        for (int r = 0; r < batch; r++) {
            total += image(theta, rows[r], null);
        }
        return total / batch;
    }

    /** Block {@code k}'s output (after ReLU): the next block's input, or the dense input. */
    private double[] output(int k) {
        return k + 1 < blocks ? input[k + 1] : pooled[k];
    }

    private void selectRows(long t) {
        if (t != cachedStep) {
            sampler.select(t, rows);
            cachedStep = t;
        }
    }

    /**
     * Forward (and, with {@code grad}, backward, adding {@code 1/batch} of this image's gradient)
     * of one image; returns its cross-entropy.
     */
    private double image(double[] theta, int row, double[] grad) {
        data.copyRow(row, input[0], 0);
        for (int k = 0; k < blocks; k++) {
            im2col(input[k], cin[k], side[k], col[k]);
            convolve(theta, k);
            poolBiasRelu(theta, k, output(k));
        }
        double[] a = pooled[blocks - 1];
        for (int o = 0; o < classes; o++) {
            logits[o] =
                    theta[denseBiasOffset + o] + dot(theta, denseWeightOffset + o * features, a);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int o = 0; o < classes; o++) {
            max = Math.max(max, logits[o]);
        }
        double sum = 0;
        for (int o = 0; o < classes; o++) {
            sum += Math.exp(logits[o] - max);
        }
        double logSumExp = max + Math.log(sum);
        int label = data.label(row);
        double loss = logSumExp - logits[label];
        if (grad == null) {
            return loss;
        }
        double inv = 1.0 / batch;
        for (int o = 0; o < classes; o++) {
            dLogits[o] = Math.exp(logits[o] - logSumExp) * inv;
        }
        dLogits[label] -= inv;
        backward(theta, grad);
        return loss;
    }

    private void backward(double[] theta, double[] grad) {
        // dense layer
        double[] a = pooled[blocks - 1];
        double[] da = dPooled[blocks - 1];
        Arrays.fill(da, 0.0);
        for (int o = 0; o < classes; o++) {
            double g = dLogits[o];
            grad[denseBiasOffset + o] += g;
            int w = denseWeightOffset + o * features;
            for (int i = 0; i < features; i++) {
                grad[w + i] += g * a[i];
                da[i] += g * theta[w + i];
            }
        }
        for (int k = blocks - 1; k >= 0; k--) {
            blockBackward(theta, grad, k);
        }
    }

    /**
     * Backward through block {@code k} from {@code dPooled[k]} (gradient w.r.t. its output after
     * ReLU): adds the kernel and bias gradients and, for {@code k > 0}, writes the gradient w.r.t.
     * the block's input into {@code dPooled[k - 1]}.
     *
     * <p>Only the pooled maxima with a gradient contribute: for each, the 3x3 patch of the input
     * around its position (cached in L1: the input is a few kilobytes) is read for the kernel
     * gradient and written for the input gradient, through a table of tap offsets.
     */
    private void blockBackward(double[] theta, double[] grad, int k) {
        int s = side[k];
        int hw = s * s;
        int n = cin[k] * 9;
        int h = s / 2;
        int q = h * h;
        double[] out = output(k);
        double[] dOut = dPooled[k];
        int[] am = argmax[k];
        double[] in = input[k];
        int[] off = tapOffset[k];
        boolean needInput = k > 0;
        double[] dIn = needInput ? dPooled[k - 1] : null;
        if (needInput) {
            Arrays.fill(dIn, 0.0);
        }
        for (int c = 0; c < channels; c++) {
            int kw = kernelOffset[k] + c * n;
            double db = 0;
            for (int j = c * q, end = (c + 1) * q; j < end; j++) {
                double g = dOut[j];
                if (g == 0.0 || out[j] <= 0.0) {
                    continue; // ReLU passes the gradient only where the output is positive
                }
                db += g;
                int p = am[j] - c * hw;
                int y = p / s;
                int x = p - y * s;
                if (y > 0 && y < s - 1 && x > 0 && x < s - 1) {
                    if (needInput) {
                        for (int i = 0; i < n; i++) {
                            int o = p + off[i];
                            grad[kw + i] += g * in[o];
                            dIn[o] += g * theta[kw + i];
                        }
                    } else {
                        for (int i = 0; i < n; i++) {
                            grad[kw + i] += g * in[p + off[i]];
                        }
                    }
                } else {
                    // border: skip the taps in the zero padding
                    for (int i = 0; i < n; i++) {
                        int t = i % 9;
                        int yy = y + t / 3 - 1;
                        int xx = x + t % 3 - 1;
                        if (yy < 0 || yy >= s || xx < 0 || xx >= s) {
                            continue;
                        }
                        int o = p + off[i];
                        grad[kw + i] += g * in[o];
                        if (needInput) {
                            dIn[o] += g * theta[kw + i];
                        }
                    }
                }
            }
            grad[biasOffset[k] + c] += db;
        }
    }

    /** {@code conv[k][c][p] = sum_i K[c][i] col[i][p]} (no bias; see {@link ConvKernel}). */
    private void convolve(double[] theta, int k) {
        kernel.convolve(
                theta, kernelOffset[k], channels, cin[k] * 9, col[k], side[k] * side[k], conv[k]);
    }

    /** 2x2 max-pool of {@code conv[k]}, plus the bias, ReLU; records the argmax. */
    private void poolBiasRelu(double[] theta, int k, double[] out) {
        int s = side[k];
        int h = s / 2;
        double[] in = conv[k];
        int[] am = argmax[k];
        for (int c = 0; c < channels; c++) {
            double b = theta[biasOffset[k] + c];
            int base = c * s * s;
            for (int y = 0; y < h; y++) {
                int r0 = base + 2 * y * s;
                int r1 = r0 + s;
                int dst = (c * h + y) * h;
                for (int x = 0; x < h; x++) {
                    int i0 = r0 + 2 * x;
                    int best = i0;
                    double m = in[i0];
                    if (in[i0 + 1] > m) {
                        m = in[i0 + 1];
                        best = i0 + 1;
                    }
                    int i1 = r1 + 2 * x;
                    if (in[i1] > m) {
                        m = in[i1];
                        best = i1;
                    }
                    if (in[i1 + 1] > m) {
                        m = in[i1 + 1];
                        best = i1 + 1;
                    }
                    am[dst + x] = best;
                    out[dst + x] = Math.max(0.0, m + b);
                }
            }
        }
    }

    /** {@link ConvKernel#im2col} of a square {@code channels x s x s} image. */
    static void im2col(double[] in, int channels, int s, double[] col) {
        ConvKernel.im2col(in, channels, s, s, col);
    }

    /** {@link ConvKernel#col2im} of a square image. */
    static void col2im(double[] col, int channels, int s, double[] in) {
        ConvKernel.col2im(col, channels, s, s, in);
    }

    /** {@code sum_i theta[off + i] * a[i]} with four partial sums. */
    private static double dot(double[] theta, int off, double[] a) {
        int n = a.length;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += theta[off + i] * a[i];
            s1 += theta[off + i + 1] * a[i + 1];
            s2 += theta[off + i + 2] * a[i + 2];
            s3 += theta[off + i + 3] * a[i + 3];
        }
        for (; i < n; i++) {
            s0 += theta[off + i] * a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
