package org.l2o4j.core.task;

import org.l2o4j.core.data.Dataset;

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
 * <p>An instance holds its own work buffers: it is not thread-safe, but distinct instances (sharing
 * the read-only dataset) can run concurrently.
 */
public final class MlpTask implements Task {

    private static final long INIT_SALT = 0x5DEECE66DL;

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
     * The same input by feature (column-major): feature i's non-zeros are {@code colValue[k]} in
     * row {@code colRow[k]} for k in {@code [colStart[i], colStart[i + 1])}; used for the weight
     * gradient of the input layer.
     */
    private final int[] colRow;

    private final double[] colValue;
    private final int[] colStart;

    /** Upstream gradients, {@code delta[l]} is {@code batch x sizes[l]} (for l >= 1). */
    private final double[][] delta;

    private final int[] rows;

    /** Draws each step's minibatch rows. */
    private final MinibatchSampler sampler;

    private long cachedStep = Long.MIN_VALUE;
    private boolean columnsReady;

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
        this.colStart = new int[sizes[0] + 2];
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
        Task.checkLength("theta", theta, dimension);
        Task.checkLength("gradOut", gradOut, dimension);
        loadBatch(t);
        forward(theta);
        double loss = softmaxCrossEntropy(true);
        java.util.Arrays.fill(gradOut, 0.0);
        backward(theta, gradOut);
        return loss;
    }

    /** {@inheritDoc} Forward pass only. */
    @Override
    public double loss(double[] theta, long t) {
        Task.checkLength("theta", theta, dimension);
        loadBatch(t);
        forward(theta);
        return softmaxCrossEntropy(false);
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
            probe.forward(theta);
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
        columnsReady = false;
        cachedStep = Long.MIN_VALUE;
    }

    /** Builds the column-major copy of the input (only the gradient needs it). */
    private void buildColumns() {
        // counting sort of the non-zeros by feature: column-major copy
        int features = sizes[0];
        int scale = sizes[1];
        int n = inStart[batch];
        java.util.Arrays.fill(colStart, 0);
        for (int k = 0; k < n; k++) {
            colStart[inWeight[k] / scale + 2]++;
        }
        for (int i = 2; i < features + 2; i++) {
            colStart[i] += colStart[i - 1];
        }
        for (int r = 0; r < batch; r++) {
            for (int k = inStart[r], end = inStart[r + 1]; k < end; k++) {
                int pos = colStart[inWeight[k] / scale + 1]++;
                colRow[pos] = r;
                colValue[pos] = inValue[k];
            }
        }
        columnsReady = true;
    }

    private void forward(double[] theta) {
        // input layer on the sparse rows: z = b + sum over non-zero x_i of x_i * W[i, :]
        int out0 = sizes[1];
        double[] z0 = act[1];
        int b0 = biasOffset[0];
        int w0 = weightOffset[0];
        for (int r = 0; r < batch; r++) {
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
            activate(z0);
        }
        for (int l = 1; l < layers; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            double[] a = act[l];
            double[] z = act[l + 1];
            int w = weightOffset[l];
            int b = biasOffset[l];
            for (int r = 0; r < batch; r++) {
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
                activate(z);
            }
        }
    }

    private void activate(double[] z) {
        switch (activation) {
            case SIGMOID -> {
                for (int k = 0; k < z.length; k++) {
                    z[k] = Activation.sigmoid(z[k]);
                }
            }
            case RELU -> {
                for (int k = 0; k < z.length; k++) {
                    z[k] = Math.max(0.0, z[k]);
                }
            }
            case TANH -> {
                for (int k = 0; k < z.length; k++) {
                    z[k] = Math.tanh(z[k]);
                }
            }
        }
    }

    /**
     * Mean softmax cross-entropy of the logits in {@code act[layers]}; with {@code withGrad}, also
     * writes d loss / d logits into {@code delta[layers]}.
     */
    private double softmaxCrossEntropy(boolean withGrad) {
        int classes = sizes[layers];
        double[] z = act[layers];
        double[] d = delta[layers];
        double total = 0;
        double invBatch = 1.0 / batch;
        for (int r = 0; r < batch; r++) {
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
        return total * invBatch;
    }

    private void backward(double[] theta, double[] grad) {
        for (int l = layers - 1; l >= 1; l--) {
            int in = sizes[l];
            int out = sizes[l + 1];
            double[] a = act[l];
            double[] dz = delta[l + 1];
            int w = weightOffset[l];
            int b = biasOffset[l];
            for (int r = 0; r < batch; r++) {
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
            for (int r = 0; r < batch; r++) {
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
        for (int r = 0; r < batch; r++) {
            int zr = r * out0;
            for (int o = 0; o < out0; o++) {
                grad[b0 + o] += dz0[zr + o];
            }
        }
        // dW[i, :] = sum over rows r with x_ri != 0 of x_ri * dz[r, :], four rows per pass
        if (!columnsReady) {
            buildColumns();
        }
        int features = sizes[0];
        for (int i = 0; i < features; i++) {
            int wi = w0 + i * out0;
            int k = colStart[i];
            int end = colStart[i + 1];
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
