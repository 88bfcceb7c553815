package org.l2o4j.core.task;

import java.util.Arrays;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.lstm.KernelPool;

/**
 * One task of an {@link MlpTaskFamily}: an MLP classifier with its own seeded initial point and
 * seeded minibatch stream; loss and gradient in double precision.
 *
 * <p><b>Model.</b> Layers {@code l = 0 .. L-1} map width {@code n_l} to {@code n_(l+1)}: {@code z =
 * a W_l + b_l}; hidden layers apply the family's activation, the last layer gives the logits. Loss:
 * mean over the minibatch of softmax cross-entropy {@code logsumexp(z) - z[label]}, computed as a
 * shifted log-sum-exp (no overflow).
 *
 * <p><b>Flat parameter layout</b> ({@link #dimension()} doubles). For each layer in order from the
 * input: the weight matrix {@code W_l}, input-major ({@code [n_l x n_(l+1)]}, element {@code (i,
 * o)} at {@code off_l + i * n_(l+1) + o}, i.e. the transpose of PyTorch's {@code weight}), then the
 * bias {@code b_l} ({@code n_(l+1)} values). For the paper's MLP: {@code W_0} [784 x 20] at 0,
 * {@code b_0} at 15,680, {@code W_1} [20 x 10] at 15,700, {@code b_1} at 15,900; 15,910 in all.
 *
 * <p><b>Initial point.</b> See {@link MlpTaskFamily.Init}; drawn from a SplitMix64 stream of the
 * seed, so the same seed gives the same point on every JVM.
 *
 * <p><b>Minibatches.</b> The minibatch of step {@code t} is {@code batchSize} distinct rows of the
 * split, drawn uniformly (a partial Fisher-Yates shuffle) from a SplitMix64 stream seeded by a hash
 * of {@code (seed, t)}; it does not depend on earlier calls, so any step can be evaluated in any
 * order and every optimizer run on this task sees the same data.
 *
 * <p><b>Chunks.</b> The minibatch is split into {@value #CHUNKS} fixed chunks of consecutive rows;
 * each chunk's loss and gradient are summed on their own and the chunks' sums are then added in
 * chunk order, so {@link #lossAndGradient(double[], long, double[], int)} gives the same bits with
 * any number of threads (the chunks run on the shared {@link KernelPool}).
 *
 * <p>An instance holds its own work buffers: it is not thread-safe, but distinct instances (sharing
 * the read-only dataset) can run concurrently.
 */
public final class MlpTask implements Task {

    private static final long INIT_SALT = 0x5DEECE66DL;

    /**
     * Fixed chunks of the minibatch (whatever the thread count): the loss and gradient are summed
     * per chunk, then over the chunks in order.
     */
    static final int CHUNKS = 4;

    /** The parameter groups of every MLP (see {@link Task#parameterGroups()}). */
    static final java.util.List<String> GROUPS = java.util.List.of("dense-weights", "dense-biases");

    private final MlpTaskFamily family;
    private final long seed;
    private final Dataset data;
    private final Activation activation;
    private final int[] sizes;
    private final int layers;
    private final int[] weightOffset;
    private final int[] biasOffset;
    private final int batch;
    private final int dimension;

    /** Activations per layer, {@code act[l]} is {@code batch x sizes[l]} (l >= 1). */
    private final double[][] act;

    /**
     * The minibatch's input as sparse rows (images are mostly zeros): row r's non-zero features are
     * {@code inValue[k]} at weight offset {@code inWeight[k]} (= feature index * sizes[1]) for k in
     * {@code [inStart[r], inStart[r + 1])}.
     */
    private final int[] inWeight;

    private final double[] inValue;
    private final int[] inStart;

    /**
     * The same input by feature (column-major) within each chunk: chunk c's non-zeros of feature i
     * are {@code colValue[k]} in row {@code colRow[k]} for k in {@code inStart[first row of c] +
     * [colStart[c][i], colStart[c][i + 1])}; used for the weight gradient of the input layer.
     */
    private final int[] colRow;

    private final double[] colValue;
    private final int[][] colStart;

    /** First row of each chunk, and the batch size at the end. */
    private final int[] chunkRow;

    /** Per chunk: its column-major copy is built for the current minibatch. */
    private final boolean[] columnsReady;

    /** Per chunk: its summed loss (not yet divided by the batch size). */
    private final double[] chunkLoss;

    /** Gradient sums of chunks 1 .. CHUNKS-1 (chunk 0 sums into the caller's array); lazy. */
    private double[][] chunkGrad;

    /** Upstream gradients, {@code delta[l]} is {@code batch x sizes[l]} (for l >= 1). */
    private final double[][] delta;

    private final int[] rows;

    /** Draws each step's minibatch rows. */
    private final MinibatchSampler sampler;

    private long cachedStep = Long.MIN_VALUE;

    MlpTask(MlpTaskFamily family, long seed) {
        this.family = family;
        this.seed = seed;
        this.data = family.data();
        this.activation = family.activation();
        this.sizes = family.layerSizesShared();
        this.layers = sizes.length - 1;
        this.batch = family.batchSize();
        this.dimension = family.dimension();
        this.weightOffset = new int[layers];
        this.biasOffset = new int[layers];
        int off = 0;
        for (int l = 0; l < layers; l++) {
            weightOffset[l] = off;
            off += sizes[l] * sizes[l + 1];
            biasOffset[l] = off;
            off += sizes[l + 1];
        }
        this.act = new double[layers + 1][];
        this.delta = new double[layers + 1][];
        for (int l = 1; l <= layers; l++) {
            act[l] = new double[batch * sizes[l]];
            delta[l] = new double[batch * sizes[l]];
        }
        this.inWeight = new int[batch * sizes[0]];
        this.inValue = new double[batch * sizes[0]];
        this.inStart = new int[batch + 1];
        this.colRow = new int[batch * sizes[0]];
        this.colValue = new double[batch * sizes[0]];
        this.colStart = new int[CHUNKS][sizes[0] + 2];
        this.chunkRow = new int[CHUNKS + 1];
        for (int c = 0; c <= CHUNKS; c++) {
            chunkRow[c] = (int) ((long) c * batch / CHUNKS);
        }
        this.columnsReady = new boolean[CHUNKS];
        this.chunkLoss = new double[CHUNKS];
        this.rows = new int[batch];
        this.sampler = new MinibatchSampler(seed, data.rows(), batch);
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
    public MlpTaskFamily family() {
        return family;
    }

    /** Offset of layer {@code l}'s weight matrix in the flat parameters. */
    public int weightOffset(int l) {
        return weightOffset[l];
    }

    /** Offset of layer {@code l}'s bias in the flat parameters. */
    public int biasOffset(int l) {
        return biasOffset[l];
    }

    /**
     * {@inheritDoc}
     *
     * <p>Two groups: {@code dense-weights} (the weight matrices) and {@code dense-biases}.
     */
    @Override
    public java.util.List<String> parameterGroups() {
        return GROUPS;
    }

    /** {@inheritDoc} */
    @Override
    public int[] parameterGroupLabels() {
        int[] labels = new int[dimension];
        for (int l = 0; l < layers; l++) {
            java.util.Arrays.fill(labels, biasOffset[l], biasOffset[l] + sizes[l + 1], 1);
        }
        return labels;
    }

    /** {@inheritDoc} */
    @Override
    public double[] initialParameters() {
        double[] theta = new double[dimension];
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(seed ^ INIT_SALT));
        for (int l = 0; l < layers; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            int w = weightOffset[l];
            int b = biasOffset[l];
            switch (family.init()) {
                case NORMAL -> {
                    for (int k = 0; k < in * out; k++) {
                        theta[w + k] = 0.01 * rng.nextGaussian();
                    }
                    for (int k = 0; k < out; k++) {
                        theta[b + k] = 0.01 * rng.nextGaussian();
                    }
                }
                case GLOROT -> {
                    double limit = Math.sqrt(6.0 / (in + out));
                    for (int k = 0; k < in * out; k++) {
                        theta[w + k] = limit * (2 * rng.nextDouble() - 1);
                    }
                }
            }
        }
        return theta;
    }

    /**
     * The dataset rows of step {@code t}'s minibatch (a copy).
     *
     * @return {@code batchSize} distinct row indices
     */
    public int[] minibatchRows(long t) {
        sampler.select(t, rows);
        return rows.clone();
    }

    /** {@inheritDoc} */
    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut) {
        return lossAndGradient(theta, t, gradOut, 1);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The {@value #CHUNKS} chunks of the minibatch run on up to {@code threads} threads of the
     * shared {@link KernelPool} (alone on the caller if it is busy); their sums are added in chunk
     * order, so the result does not depend on {@code threads}.
     */
    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut, int threads) {
        Task.checkLength("theta", theta, dimension);
        Task.checkLength("gradOut", gradOut, dimension);
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        loadBatch(t);
        if (chunkGrad == null) {
            chunkGrad = new double[CHUNKS - 1][dimension];
        }
        int parts = Math.min(threads, CHUNKS);
        KernelPool.Job job =
                part -> {
                    for (int c = part; c < CHUNKS; c += parts) {
                        double[] g = c == 0 ? gradOut : chunkGrad[c - 1];
                        Arrays.fill(g, 0.0);
                        forward(theta, chunkRow[c], chunkRow[c + 1]);
                        chunkLoss[c] = softmaxCrossEntropy(true, chunkRow[c], chunkRow[c + 1]);
                        backward(theta, g, c);
                    }
                };
        if (parts <= 1 || !KernelPool.shared().tryRun(job, parts)) {
            job.runPart(0);
            for (int p = 1; p < parts; p++) {
                job.runPart(p);
            }
        }
        for (int c = 1; c < CHUNKS; c++) {
            double[] g = chunkGrad[c - 1];
            for (int p = 0; p < dimension; p++) {
                gradOut[p] += g[p];
            }
        }
        return sumChunkLosses();
    }

    /** {@inheritDoc} Forward pass only (on the calling thread), summed as with the gradient. */
    @Override
    public double loss(double[] theta, long t) {
        Task.checkLength("theta", theta, dimension);
        loadBatch(t);
        for (int c = 0; c < CHUNKS; c++) {
            forward(theta, chunkRow[c], chunkRow[c + 1]);
            chunkLoss[c] = softmaxCrossEntropy(false, chunkRow[c], chunkRow[c + 1]);
        }
        return sumChunkLosses();
    }

    /** The mean loss over the minibatch: the chunks' sums in chunk order. */
    private double sumChunkLosses() {
        double total = 0;
        for (int c = 0; c < CHUNKS; c++) {
            total += chunkLoss[c];
        }
        return total * (1.0 / batch);
    }

    /**
     * Classification accuracy of {@code theta} on {@code n} rows of the dataset from {@code first}
     * (a diagnostic; not part of the loss).
     */
    public double accuracy(double[] theta, int first, int n) {
        Task.checkLength("theta", theta, dimension);
        MlpTask probe = new MlpTask(family, seed);
        int correct = 0;
        int classes = sizes[layers];
        for (int start = first; start < first + n; start += batch) {
            int m = Math.min(batch, first + n - start);
            for (int r = 0; r < batch; r++) {
                probe.rows[r] = start + Math.min(r, m - 1);
            }
            probe.gather();
            probe.forward(theta, 0, batch);
            double[] z = probe.act[layers];
            for (int r = 0; r < m; r++) {
                int best = 0;
                for (int c = 1; c < classes; c++) {
                    if (z[r * classes + c] > z[r * classes + best]) {
                        best = c;
                    }
                }
                if (best == data.label(probe.rows[r])) {
                    correct++;
                }
            }
        }
        probe.cachedStep = Long.MIN_VALUE;
        return correct / (double) n;
    }

    // ---------------------------------------------------------------------------------------

    private void loadBatch(long t) {
        if (t == cachedStep) {
            return;
        }
        sampler.select(t, rows);
        gather();
        cachedStep = t;
    }

    private void gather() {
        int scale = sizes[1];
        int n = 0;
        for (int r = 0; r < batch; r++) {
            inStart[r] = n;
            int start = n;
            n += data.copyNonZeros(rows[r], inWeight, inValue, n);
            for (int k = start; k < n; k++) {
                inWeight[k] *= scale;
            }
        }
        inStart[batch] = n;
        Arrays.fill(columnsReady, false);
        cachedStep = Long.MIN_VALUE;
    }

    /**
     * Builds chunk {@code c}'s column-major copy of the input (only the gradient needs it), in the
     * chunk's own range of {@link #colRow} and {@link #colValue}.
     */
    private void buildColumns(int c) {
        // counting sort of the chunk's non-zeros by feature: column-major copy
        int features = sizes[0];
        int scale = sizes[1];
        int r0 = chunkRow[c];
        int r1 = chunkRow[c + 1];
        int k0 = inStart[r0];
        int k1 = inStart[r1];
        int[] cs = colStart[c];
        Arrays.fill(cs, 0);
        for (int k = k0; k < k1; k++) {
            cs[inWeight[k] / scale + 2]++;
        }
        for (int i = 2; i < features + 2; i++) {
            cs[i] += cs[i - 1];
        }
        for (int r = r0; r < r1; r++) {
            for (int k = inStart[r], end = inStart[r + 1]; k < end; k++) {
                int pos = k0 + cs[inWeight[k] / scale + 1]++;
                colRow[pos] = r;
                colValue[pos] = inValue[k];
            }
        }
        columnsReady[c] = true;
    }

    /** The forward pass of rows {@code [r0, r1)}: their activations and logits in {@link #act}. */
    private void forward(double[] theta, int r0, int r1) {
        // input layer on the sparse rows: z = b + sum over non-zero x_i of x_i * W[i, :]
        int out0 = sizes[1];
        double[] z0 = act[1];
        int b0 = biasOffset[0];
        int w0 = weightOffset[0];
        for (int r = r0; r < r1; r++) {
            int zr = r * out0;
            System.arraycopy(theta, b0, z0, zr, out0);
            int k = inStart[r];
            int end = inStart[r + 1];
            // four non-zeros per pass: a quarter of the loads and stores of z
            for (; k + 3 < end; k += 4) {
                double x0 = inValue[k];
                double x1 = inValue[k + 1];
                double x2 = inValue[k + 2];
                double x3 = inValue[k + 3];
                int v0 = w0 + inWeight[k];
                int v1 = w0 + inWeight[k + 1];
                int v2 = w0 + inWeight[k + 2];
                int v3 = w0 + inWeight[k + 3];
                for (int o = 0; o < out0; o++) {
                    z0[zr + o] +=
                            (x0 * theta[v0 + o] + x1 * theta[v1 + o])
                                    + (x2 * theta[v2 + o] + x3 * theta[v3 + o]);
                }
            }
            for (; k < end; k++) {
                double xi = inValue[k];
                int wi = w0 + inWeight[k];
                for (int o = 0; o < out0; o++) {
                    z0[zr + o] += xi * theta[wi + o];
                }
            }
        }
        if (layers > 1) {
            activate(z0, r0 * out0, r1 * out0);
        }
        for (int l = 1; l < layers; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            double[] a = act[l];
            double[] z = act[l + 1];
            int w = weightOffset[l];
            int b = biasOffset[l];
            for (int r = r0; r < r1; r++) {
                int zr = r * out;
                System.arraycopy(theta, b, z, zr, out);
                int ar = r * in;
                for (int i = 0; i < in; i++) {
                    double ai = a[ar + i];
                    int wi = w + i * out;
                    for (int o = 0; o < out; o++) {
                        z[zr + o] += ai * theta[wi + o];
                    }
                }
            }
            if (l + 1 < layers) {
                activate(z, r0 * out, r1 * out);
            }
        }
    }

    /** Applies the activation to {@code z[from .. to)}. */
    private void activate(double[] z, int from, int to) {
        switch (activation) {
            case SIGMOID -> {
                for (int k = from; k < to; k++) {
                    z[k] = Activation.sigmoid(z[k]);
                }
            }
            case RELU -> {
                for (int k = from; k < to; k++) {
                    z[k] = Math.max(0.0, z[k]);
                }
            }
            case TANH -> {
                for (int k = from; k < to; k++) {
                    z[k] = Math.tanh(z[k]);
                }
            }
        }
    }

    /**
     * Summed softmax cross-entropy of the logits of rows {@code [r0, r1)} in {@code act[layers]}
     * (the mean's numerator); with {@code withGrad}, also writes d (mean loss) / d logits of those
     * rows into {@code delta[layers]}.
     */
    private double softmaxCrossEntropy(boolean withGrad, int r0, int r1) {
        int classes = sizes[layers];
        double[] z = act[layers];
        double[] d = delta[layers];
        double total = 0;
        double invBatch = 1.0 / batch;
        for (int r = r0; r < r1; r++) {
            int zr = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, z[zr + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[zr + c] - max);
            }
            double logSumExp = max + Math.log(sum);
            int label = data.label(rows[r]);
            total += logSumExp - z[zr + label];
            if (withGrad) {
                for (int c = 0; c < classes; c++) {
                    d[zr + c] = Math.exp(z[zr + c] - logSumExp) * invBatch;
                }
                d[zr + label] -= invBatch;
            }
        }
        return total;
    }

    /**
     * Adds to {@code grad} the gradient of chunk {@code c}'s rows (after their forward and
     * softmax).
     */
    private void backward(double[] theta, double[] grad, int c) {
        int rowFrom = chunkRow[c];
        int rowTo = chunkRow[c + 1];
        for (int l = layers - 1; l >= 1; l--) {
            int in = sizes[l];
            int out = sizes[l + 1];
            double[] a = act[l];
            double[] dz = delta[l + 1];
            int w = weightOffset[l];
            int b = biasOffset[l];
            for (int r = rowFrom; r < rowTo; r++) {
                int zr = r * out;
                for (int o = 0; o < out; o++) {
                    grad[b + o] += dz[zr + o];
                }
                int ar = r * in;
                for (int i = 0; i < in; i++) {
                    double ai = a[ar + i];
                    int wi = w + i * out;
                    for (int o = 0; o < out; o++) {
                        grad[wi + o] += ai * dz[zr + o];
                    }
                }
            }
            // delta of the hidden layer below: (dz W^T) * act'(a)
            double[] da = delta[l];
            for (int r = rowFrom; r < rowTo; r++) {
                int zr = r * out;
                int ar = r * in;
                for (int i = 0; i < in; i++) {
                    int wi = w + i * out;
                    double s = 0;
                    for (int o = 0; o < out; o++) {
                        s += theta[wi + o] * dz[zr + o];
                    }
                    double ai = a[ar + i];
                    double slope =
                            switch (activation) {
                                case SIGMOID -> ai * (1.0 - ai);
                                case RELU -> ai > 0.0 ? 1.0 : 0.0;
                                case TANH -> 1.0 - ai * ai;
                            };
                    da[ar + i] = s * slope;
                }
            }
        }
        // input layer, on the sparse rows
        int out0 = sizes[1];
        double[] dz0 = delta[1];
        int b0 = biasOffset[0];
        int w0 = weightOffset[0];
        for (int r = rowFrom; r < rowTo; r++) {
            int zr = r * out0;
            for (int o = 0; o < out0; o++) {
                grad[b0 + o] += dz0[zr + o];
            }
        }
        // dW[i, :] = sum over rows r with x_ri != 0 of x_ri * dz[r, :], four rows per pass
        if (!columnsReady[c]) {
            buildColumns(c);
        }
        int features = sizes[0];
        int k0 = inStart[rowFrom];
        int[] cs = colStart[c];
        for (int i = 0; i < features; i++) {
            int wi = w0 + i * out0;
            int k = k0 + cs[i];
            int end = k0 + cs[i + 1];
            for (; k + 3 < end; k += 4) {
                double x0 = colValue[k];
                double x1 = colValue[k + 1];
                double x2 = colValue[k + 2];
                double x3 = colValue[k + 3];
                int r0 = colRow[k] * out0;
                int r1 = colRow[k + 1] * out0;
                int r2 = colRow[k + 2] * out0;
                int r3 = colRow[k + 3] * out0;
                for (int o = 0; o < out0; o++) {
                    grad[wi + o] +=
                            (x0 * dz0[r0 + o] + x1 * dz0[r1 + o])
                                    + (x2 * dz0[r2 + o] + x3 * dz0[r3 + o]);
                }
            }
            for (; k < end; k++) {
                double xi = colValue[k];
                int rr = colRow[k] * out0;
                for (int o = 0; o < out0; o++) {
                    grad[wi + o] += xi * dz0[rr + o];
                }
            }
        }
    }

    /** SplitMix64 (Steele, Lea and Flood 2014): a small, portable, seedable generator. */
    static final class SplitMix64 {
        private long state;
        private double spareGaussian = Double.NaN;

        SplitMix64(long seed) {
            this.state = seed;
        }

        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        long nextLong() {
            state += 0x9E3779B97F4A7C15L;
            return mix(state);
        }

        /** Uniform in [0, 1) with 53 random bits. */
        double nextDouble() {
            return (nextLong() >>> 11) * 0x1.0p-53;
        }

        /** Uniform in [0, bound) without modulo bias (Lemire's method with rejection). */
        int nextInt(int bound) {
            long m = (nextLong() >>> 32) * bound;
            long low = m & 0xFFFFFFFFL;
            if (low < bound) {
                long threshold = (0x100000000L - bound) % bound;
                while (low < threshold) {
                    m = (nextLong() >>> 32) * bound;
                    low = m & 0xFFFFFFFFL;
                }
            }
            return (int) (m >>> 32);
        }

        /** Standard normal (Marsaglia polar method). */
        double nextGaussian() {
            if (!Double.isNaN(spareGaussian)) {
                double g = spareGaussian;
                spareGaussian = Double.NaN;
                return g;
            }
            double u;
            double v;
            double s;
            do {
                u = 2 * nextDouble() - 1;
                v = 2 * nextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double f = Math.sqrt(-2 * Math.log(s) / s);
            spareGaussian = v * f;
            return u * f;
        }
    }
}
