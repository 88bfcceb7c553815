package org.l2o4j.core.task;

import java.util.Arrays;

/**
 * A fixed random multi-scale convolutional network, the {@code style} task's default {@link
 * FeatureNetwork}. Ustyuzhaninov, Brendel, Gatys and Bethge (2016, "Texture synthesis using shallow
 * convolutional networks with random filters", and "What does it take to generate natural
 * textures?", ICLR 2017) showed that Gram-matrix losses on the features of networks with random,
 * untrained filters synthesize textures and transfer style, given several scales; no pretrained VGG
 * can be fetched here, so l2o4j uses such a network.
 *
 * <p>Architecture: three stages at full, 1/2 and 1/4 resolution. Stage {@code s}: 3x3 convolution
 * with zero padding 1 (no bias) to {@code channels[s]} channels, then ReLU; its output is feature
 * layer {@code s}; the next stage's input is its 2x2 average pooling. The input is the image minus
 * 0.5. Filters are drawn once from a fixed seed: Gaussian with standard deviation {@code sqrt(2 /
 * fanIn)} (He), then each filter's mean over its taps subtracted, so a constant image gives zero
 * features (the network sees structure, not the mean colour). Defaults: 16, 32, 32 channels; style
 * layers 0, 1, 2; content layer 1. Image sides must be multiples of 4.
 *
 * <p>Immutable and shareable; {@link #pass} creates per-thread work buffers. Computation in double:
 * the convolutions use {@link ConvKernel} (Vector API where available, bitwise equal to the scalar
 * path).
 */
public final class RandomFeatureNetwork implements FeatureNetwork {

    /** The seed of the shipped network's filters. */
    public static final long DEFAULT_SEED = 20160523L;

    private static final int[] DEFAULT_CHANNELS = {16, 32, 32};

    private final long seed;
    private final int[] channels;
    private final int[] cin;

    /** Per stage: kernel {@code [C x cin*9]} and its transpose {@code [cin*9 x C]}. */
    private final double[][] kernel;

    private final double[][] kernelT;

    /** The default network: 16, 32, 32 channels, seed {@link #DEFAULT_SEED}. */
    public static RandomFeatureNetwork standard() {
        return new RandomFeatureNetwork(DEFAULT_CHANNELS, DEFAULT_SEED);
    }

    /**
     * A network with {@code channels[s]} channels at stage {@code s} (each halves the resolution of
     * the next) and filters drawn from {@code seed}.
     */
    public RandomFeatureNetwork(int[] channels, long seed) {
        if (channels.length < 1) {
            throw new IllegalArgumentException("a feature network needs at least one stage");
        }
        this.seed = seed;
        this.channels = channels.clone();
        this.cin = new int[channels.length];
        this.kernel = new double[channels.length][];
        this.kernelT = new double[channels.length][];
        MlpTask.SplitMix64 rng = new MlpTask.SplitMix64(MlpTask.SplitMix64.mix(seed));
        int in = RgbImage.CHANNELS;
        for (int s = 0; s < channels.length; s++) {
            int c = channels[s];
            if (c < 1) {
                throw new IllegalArgumentException("stage " + s + " needs channels >= 1: " + c);
            }
            cin[s] = in;
            int n = in * 9;
            double std = Math.sqrt(2.0 / n);
            double[] k = new double[c * n];
            for (int o = 0; o < c; o++) {
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    k[o * n + i] = std * rng.nextGaussian();
                    mean += k[o * n + i];
                }
                mean /= n;
                for (int i = 0; i < n; i++) {
                    k[o * n + i] -= mean;
                }
            }
            double[] kt = new double[n * c];
            for (int o = 0; o < c; o++) {
                for (int i = 0; i < n; i++) {
                    kt[i * c + o] = k[o * n + i];
                }
            }
            kernel[s] = k;
            kernelT[s] = kt;
            in = c;
        }
    }

    @Override
    public String name() {
        StringBuilder sb = new StringBuilder("random(");
        for (int s = 0; s < channels.length; s++) {
            sb.append(s == 0 ? "" : ",").append(channels[s]);
        }
        return sb.append(";seed=").append(seed).append(')').toString();
    }

    @Override
    public int layers() {
        return channels.length;
    }

    @Override
    public int channels(int l) {
        return channels[l];
    }

    @Override
    public int[] defaultStyleLayers() {
        int[] all = new int[channels.length];
        for (int s = 0; s < all.length; s++) {
            all[s] = s;
        }
        return all;
    }

    @Override
    public int defaultContentLayer() {
        return Math.min(1, channels.length - 1);
    }

    @Override
    public FeatureNetwork.Pass pass(int height, int width) {
        int f = 1 << (channels.length - 1);
        if (height < f || width < f || height % f != 0 || width % f != 0) {
            throw new IllegalArgumentException(
                    name()
                            + " needs image sides that are positive multiples of "
                            + f
                            + " but got "
                            + height
                            + "x"
                            + width);
        }
        return new Pass(height, width);
    }

    private final class Pass implements FeatureNetwork.Pass {
        private final int[] h;
        private final int[] w;
        private final double[][] input; // per stage: cin x h x w
        private final double[][] col; // per stage: cin*9 x h*w
        private final double[][] features; // per stage: C x h x w (after ReLU)
        private final double[] dCol;
        private final double[][] dInput;
        private final double[][] unpooled; // per stage but the last: C x h x w
        private final ConvKernel k = ConvKernel.SELECTED;

        Pass(int height, int width) {
            int n = channels.length;
            h = new int[n];
            w = new int[n];
            input = new double[n][];
            col = new double[n][];
            features = new double[n][];
            dInput = new double[n][];
            unpooled = new double[n][];
            int maxCol = 0;
            for (int s = 0; s < n; s++) {
                h[s] = height >> s;
                w[s] = width >> s;
                int hw = h[s] * w[s];
                input[s] = new double[cin[s] * hw];
                col[s] = new double[cin[s] * 9 * hw];
                features[s] = new double[channels[s] * hw];
                dInput[s] = new double[cin[s] * hw];
                unpooled[s] = s + 1 < n ? new double[channels[s] * hw] : null;
                maxCol = Math.max(maxCol, col[s].length);
            }
            dCol = new double[maxCol];
        }

        @Override
        public int height(int l) {
            return h[l];
        }

        @Override
        public int width(int l) {
            return w[l];
        }

        @Override
        public void forward(double[] image) {
            Task.checkLength("image", image, input[0].length);
            for (int i = 0; i < image.length; i++) {
                input[0][i] = image[i] - 0.5;
            }
            for (int s = 0; s < channels.length; s++) {
                int hw = h[s] * w[s];
                ConvKernel.im2col(input[s], cin[s], h[s], w[s], col[s]);
                k.convolve(kernel[s], 0, channels[s], cin[s] * 9, col[s], hw, features[s]);
                double[] f = features[s];
                for (int i = 0; i < f.length; i++) {
                    f[i] = Math.max(0.0, f[i]);
                }
                if (s + 1 < channels.length) {
                    avgPool(f, channels[s], h[s], w[s], input[s + 1]);
                }
            }
        }

        @Override
        public double[] features(int l) {
            return features[l];
        }

        @Override
        public void backward(double[][] dFeatures, double[] dImage) {
            Task.checkLength("dImage", dImage, input[0].length);
            double[] carry = null; // gradient w.r.t. this stage's output from the stage above
            for (int s = channels.length - 1; s >= 0; s--) {
                int hw = h[s] * w[s];
                int c = channels[s];
                double[] d = dFeatures.length > s ? dFeatures[s] : null;
                double[] g;
                if (d == null && carry == null) {
                    g = null;
                } else if (d == null) {
                    g = carry;
                } else {
                    g = d;
                    if (carry != null) {
                        for (int i = 0; i < g.length; i++) {
                            g[i] += carry[i];
                        }
                    }
                }
                double[] dIn = dInput[s];
                if (g == null) {
                    Arrays.fill(dIn, 0.0);
                } else {
                    double[] f = features[s];
                    for (int i = 0; i < g.length; i++) {
                        if (f[i] <= 0.0) {
                            g[i] = 0.0;
                        }
                    }
                    int n = cin[s] * 9;
                    // dCol[i][p] = sum_c K[c][i] g[c][p]: a convolution with the transposed kernel
                    k.convolve(kernelT[s], 0, n, c, g, hw, dCol);
                    ConvKernel.col2im(dCol, cin[s], h[s], w[s], dIn);
                }
                if (s > 0) {
                    carry = unpool(dIn, cin[s], h[s], w[s], s - 1);
                }
            }
            System.arraycopy(dInput[0], 0, dImage, 0, dImage.length);
        }

        /** The adjoint of the 2x2 average pooling, into stage {@code s}'s output shape. */
        private double[] unpool(double[] d, int c, int hh, int ww, int s) {
            double[] out = unpooled[s];
            int w2 = ww * 2;
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < hh; y++) {
                    for (int x = 0; x < ww; x++) {
                        double v = 0.25 * d[(ch * hh + y) * ww + x];
                        int o = (ch * hh * 2 + 2 * y) * w2 + 2 * x;
                        out[o] = v;
                        out[o + 1] = v;
                        out[o + w2] = v;
                        out[o + w2 + 1] = v;
                    }
                }
            }
            return out;
        }
    }

    /** 2x2 average pooling of {@code c x h x w} into {@code c x h/2 x w/2}. */
    static void avgPool(double[] in, int c, int h, int w, double[] out) {
        int h2 = h / 2;
        int w2 = w / 2;
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h2; y++) {
                int r0 = (ch * h + 2 * y) * w;
                int r1 = r0 + w;
                int o = (ch * h2 + y) * w2;
                for (int x = 0; x < w2; x++) {
                    out[o + x] =
                            0.25
                                    * ((in[r0 + 2 * x] + in[r0 + 2 * x + 1])
                                            + (in[r1 + 2 * x] + in[r1 + 2 * x + 1]));
                }
            }
        }
    }
}
