package org.l2o4j.core.task;

import java.util.Arrays;
import java.util.List;

/**
 * One task of a {@link StyleTaskFamily}: the pixels of a {@code 3 x side x side} image (channels
 * first, {@link RgbImage}'s layout; {@link #dimension()} = {@code 3 * side^2}) optimized for the
 * content of one image and the style of another. Loss and gradient in double precision; the
 * gradient is backpropagated through the family's {@link FeatureNetwork}.
 *
 * <p>The seed picks the content image, the style image (uniformly from the family's sets) and the
 * initial image. The objective does not depend on the step index. One parameter group, {@code
 * pixels}. Not thread-safe (work buffers); distinct instances can run concurrently.
 */
public final class StyleTask implements Task {

    private static final long SALT = 0x7F4A7C159E3779B9L;
    private static final List<String> GROUPS = List.of("pixels");

    private final StyleTaskFamily family;
    private final long seed;
    private final String contentName;
    private final String styleName;
    private final int side;
    private final int dimension;
    private final FeatureNetwork.Pass pass;
    private final int[] styleLayers;
    private final int contentLayer;
    private final double[] contentTarget;
    private final double[][] styleTarget; // per style layer: C x C Gram matrix
    private final double[][] gram; // per style layer: work buffer
    private final double[][] dFeatures; // per network layer (null where unused)
    private final double[][] grads; // per network layer: the buffers behind dFeatures
    private final double[] initial;
    private final RgbImage content;
    private final RgbImage style;

    StyleTask(StyleTaskFamily family, long seed) {
        this.family = family;
        this.seed = seed;
        MlpTask.SplitMix64 rng = new MlpTask.SplitMix64(MlpTask.SplitMix64.mix(seed ^ SALT));
        List<String> contents = family.contents();
        List<String> styles = family.styles();
        this.contentName = contents.get(rng.nextInt(contents.size()));
        this.styleName = styles.get(rng.nextInt(styles.size()));
        this.side = family.side();
        this.dimension = family.dimension();
        this.content = StyleImages.content(contentName).resize(side, side);
        this.style = StyleImages.style(styleName).resize(side, side);
        FeatureNetwork net = family.network();
        this.pass = net.pass(side, side);
        this.styleLayers = family.styleLayersShared();
        this.contentLayer = family.contentLayer();
        this.gram = new double[styleLayers.length][];
        this.styleTarget = new double[styleLayers.length][];
        this.dFeatures = new double[net.layers()][];
        this.grads = new double[net.layers()][];
        for (int l = 0; l < grads.length; l++) {
            grads[l] = new double[net.channels(l) * pass.height(l) * pass.width(l)];
        }
        pass.forward(content.data());
        this.contentTarget = pass.features(contentLayer).clone();
        pass.forward(style.data());
        for (int j = 0; j < styleLayers.length; j++) {
            int l = styleLayers[j];
            int c = net.channels(l);
            gram[j] = new double[c * c];
            styleTarget[j] = new double[c * c];
            gram(pass.features(l), c, pass.height(l) * pass.width(l), styleTarget[j]);
        }
        this.initial = new double[dimension];
        if (family.init() == StyleTaskFamily.Init.CONTENT) {
            double[] c = content.data();
            for (int i = 0; i < dimension; i++) {
                initial[i] = c[i] + StyleTaskFamily.INIT_NOISE * rng.nextGaussian();
            }
        } else {
            for (int i = 0; i < dimension; i++) {
                initial[i] = rng.nextDouble();
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return family.name()
                + "[seed="
                + seed
                + ",content="
                + contentName
                + ",style="
                + styleName
                + "]";
    }

    /** {@inheritDoc} */
    @Override
    public int dimension() {
        return dimension;
    }

    /** Image side in pixels. */
    public int side() {
        return side;
    }

    /** The name of the content image this seed picked. */
    public String contentName() {
        return contentName;
    }

    /** The name of the style image this seed picked. */
    public String styleName() {
        return styleName;
    }

    /** The content image at the task's size. */
    public RgbImage contentImage() {
        return content;
    }

    /** The style image at the task's size. */
    public RgbImage styleImage() {
        return style;
    }

    /** The image of parameters {@code theta}. */
    public RgbImage image(double[] theta) {
        return new RgbImage(side, side, theta);
    }

    /** {@inheritDoc} One group, {@code pixels}. */
    @Override
    public List<String> parameterGroups() {
        return GROUPS;
    }

    /** {@inheritDoc} */
    @Override
    public double[] initialParameters() {
        return initial.clone();
    }

    /** {@inheritDoc} The step index is ignored: the objective is deterministic. */
    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut) {
        Task.checkLength("theta", theta, dimension);
        Task.checkLength("gradOut", gradOut, dimension);
        double loss = evaluate(theta, true);
        pass.backward(dFeatures, gradOut);
        return loss + totalVariation(theta, gradOut);
    }

    /** {@inheritDoc} Forward pass only. */
    @Override
    public double loss(double[] theta, long t) {
        Task.checkLength("theta", theta, dimension);
        return evaluate(theta, false) + totalVariation(theta, null);
    }

    /** The loss; with {@code withGrad}, fills {@link #dFeatures}. */
    private double evaluate(double[] theta, boolean withGrad) {
        pass.forward(theta);
        FeatureNetwork net = family.network();
        if (withGrad) {
            for (int l = 0; l < dFeatures.length; l++) {
                dFeatures[l] = null;
            }
        }
        double loss = 0;
        double cw = family.contentWeight();
        if (cw != 0) {
            double[] f = pass.features(contentLayer);
            double coef = cw / f.length;
            double[] d = withGrad ? buffer(contentLayer) : null;
            double s = 0;
            for (int i = 0; i < f.length; i++) {
                double diff = f[i] - contentTarget[i];
                s += diff * diff;
                if (withGrad) {
                    d[i] += 2 * coef * diff;
                }
            }
            loss += coef * s;
        }
        double sw = family.styleWeight();
        if (sw != 0) {
            for (int j = 0; j < styleLayers.length; j++) {
                int l = styleLayers[j];
                int c = net.channels(l);
                int m = pass.height(l) * pass.width(l);
                double[] f = pass.features(l);
                double[] g = gram[j];
                gram(f, c, m, g);
                double[] a = styleTarget[j];
                double coef = sw / (styleLayers.length * (double) c * c);
                double s = 0;
                for (int i = 0; i < g.length; i++) {
                    double diff = g[i] - a[i];
                    g[i] = diff;
                    s += diff * diff;
                }
                loss += coef * s;
                if (withGrad) {
                    // d/dF of coef |F F^T / m - A|^2 = (4 coef / m) (G - A) F
                    double[] d = buffer(l);
                    double k = 4 * coef / m;
                    for (int r = 0; r < c; r++) {
                        int dr = r * m;
                        for (int b = 0; b < c; b++) {
                            double w = k * g[r * c + b];
                            int fb = b * m;
                            for (int p = 0; p < m; p++) {
                                d[dr + p] += w * f[fb + p];
                            }
                        }
                    }
                }
            }
        }
        return loss;
    }

    /**
     * {@code tv_weight} times the mean over pixels and channels of the squared differences to the
     * right and lower neighbours; adds its gradient to {@code grad} unless null.
     */
    private double totalVariation(double[] x, double[] grad) {
        double tw = family.tvWeight();
        if (tw == 0) {
            return 0;
        }
        double coef = tw / dimension;
        double s = 0;
        for (int c = 0; c < RgbImage.CHANNELS; c++) {
            for (int y = 0; y < side; y++) {
                int row = (c * side + y) * side;
                for (int x0 = 0; x0 < side; x0++) {
                    int i = row + x0;
                    if (x0 + 1 < side) {
                        double d = x[i + 1] - x[i];
                        s += d * d;
                        if (grad != null) {
                            grad[i + 1] += 2 * coef * d;
                            grad[i] -= 2 * coef * d;
                        }
                    }
                    if (y + 1 < side) {
                        double d = x[i + side] - x[i];
                        s += d * d;
                        if (grad != null) {
                            grad[i + side] += 2 * coef * d;
                            grad[i] -= 2 * coef * d;
                        }
                    }
                }
            }
        }
        return coef * s;
    }

    /** The zeroed gradient buffer of layer {@code l} (shared by its content and style terms). */
    private double[] buffer(int l) {
        if (dFeatures[l] == null) {
            dFeatures[l] = grads[l];
            Arrays.fill(dFeatures[l], 0.0);
        }
        return dFeatures[l];
    }

    /** {@code g = F F^T / m} for {@code F} of {@code c x m} (symmetric, both halves written). */
    static void gram(double[] f, int c, int m, double[] g) {
        double inv = 1.0 / m;
        for (int a = 0; a < c; a++) {
            int fa = a * m;
            for (int b = a; b < c; b++) {
                int fb = b * m;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int p = 0;
                for (; p + 3 < m; p += 4) {
                    s0 += f[fa + p] * f[fb + p];
                    s1 += f[fa + p + 1] * f[fb + p + 1];
                    s2 += f[fa + p + 2] * f[fb + p + 2];
                    s3 += f[fa + p + 3] * f[fb + p + 3];
                }
                for (; p < m; p++) {
                    s0 += f[fa + p] * f[fb + p];
                }
                double v = ((s0 + s1) + (s2 + s3)) * inv;
                g[a * c + b] = v;
                g[b * c + a] = v;
            }
        }
    }
}
