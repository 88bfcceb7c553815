package org.l2o4j.core.task;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The paper's neural-art experiment (Andrychowicz et al. 2016, section 3.4): optimize the pixels of
 * an image to minimize a content loss plus a style loss, as in Gatys, Ecker and Bethge (2016).
 *
 * <p>Loss at image {@code x} (pixels channels first, {@link RgbImage}'s layout), with {@code F_l}
 * the features of layer {@code l} of a fixed {@link FeatureNetwork} ({@code C_l} channels, {@code
 * M_l} positions) and {@code G_l = F_l F_l^T / M_l} their Gram matrix:
 *
 * <pre>
 * f(x) = content_weight * |F_c(x) - F_c(content)|^2 / (C_c M_c)
 *      + style_weight / |S| * sum over l in S of |G_l(x) - G_l(style)|^2 / C_l^2
 *      + tv_weight * sum of squared differences of neighbouring pixels / (3 side^2)
 * </pre>
 *
 * The last term, a smoothness penalty (total variation, as Mahendran and Vedaldi 2015 and Johnson
 * et al. 2016 use), keeps the shallow random features from filling the image with high-frequency
 * colour noise. All terms are means, so the loss has about the same scale at every resolution. The
 * default network is {@link RandomFeatureNetwork}: random, untrained filters at three scales, which
 * Ustyuzhaninov et al. (2016) showed to work for texture synthesis and style transfer; no
 * pretrained VGG can be fetched here. The network is pluggable ({@link Builder#network}).
 *
 * <p>Images: the shipped content and style images ({@link StyleImages}), each split into training
 * and held-out test images; a task's seed picks a content image and a style image from the chosen
 * sets, and its initial image. The generalization tests of the paper are specs: new styles {@code
 * style[style=test]}, new content {@code style[content=test]}, double resolution {@code
 * style[resolution=2]} (64x64 instead of 32x32: 4x the parameters).
 *
 * <p>Spec options (see {@link TaskFamilies}): {@code size} [32] (image side at resolution 1, a
 * multiple of 4 from 8 to 256), {@code resolution} 1|2 [1] (the image side is {@code size *
 * resolution}), {@code split} train|test [train] (the default of both image sets), {@code content}
 * train|test|NAME and {@code style} train|test|NAME [the split] (a set, or one shipped image by
 * name), {@code content-weight} [1], {@code style-weight} [{@value #DEFAULT_STYLE_WEIGHT}], {@code
 * tv-weight} [{@value #DEFAULT_TV_WEIGHT}], {@code init} content|noise [content] (the content image
 * plus Gaussian noise of standard deviation {@value #INIT_NOISE}, or uniform noise in [0, 1]).
 *
 * <p>The objective is deterministic: the step index {@code t} is ignored. Tasks share the family's
 * read-only network and images; each has its own work buffers.
 */
public final class StyleTaskFamily implements TaskFamily {

    /** The family name used by {@link TaskFamilies}. */
    public static final String NAME = "style";

    /** Option: image side at resolution 1. */
    public static final String SIZE = "size";

    /** Option: resolution multiplier, 1 or 2. */
    public static final String RESOLUTION = "resolution";

    /** Option: the content images: train, test or a name. */
    public static final String CONTENT = "content";

    /** Option: the style images: train, test or a name. */
    public static final String STYLE = "style";

    /** Option: weight of the content loss. */
    public static final String CONTENT_WEIGHT = "content-weight";

    /** Option: weight of the style loss. */
    public static final String STYLE_WEIGHT = "style-weight";

    /** Option: weight of the total-variation (smoothness) penalty. */
    public static final String TV_WEIGHT = "tv-weight";

    /** Option: the initial image, content or noise. */
    public static final String INIT = "init";

    /** The options {@link #fromOptions} accepts. */
    public static final Set<String> OPTIONS =
            Set.of(
                    SIZE,
                    RESOLUTION,
                    CONTENT,
                    STYLE,
                    CONTENT_WEIGHT,
                    STYLE_WEIGHT,
                    TV_WEIGHT,
                    INIT,
                    TaskFamilies.SPLIT);

    /** Default image side at resolution 1. */
    public static final int DEFAULT_SIZE = 32;

    /** Default weight of the style loss. */
    public static final double DEFAULT_STYLE_WEIGHT = 100.0;

    /** Default weight of the total-variation penalty. */
    public static final double DEFAULT_TV_WEIGHT = 0.1;

    /** Standard deviation of the noise added to the content image by {@code init=content}. */
    public static final double INIT_NOISE = 0.1;

    /** How a task's initial image is drawn. */
    public enum Init {
        /**
         * The content image plus i.i.d. Gaussian noise (standard deviation {@value #INIT_NOISE}).
         */
        CONTENT,
        /** I.i.d. uniform noise in [0, 1] (Gatys et al.'s white-noise start). */
        NOISE;

        /** The lower-case name used in options. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final int size;
    private final int resolution;
    private final String contentSpec;
    private final String styleSpec;
    private final List<String> contents;
    private final List<String> styles;
    private final double contentWeight;
    private final double styleWeight;
    private final double tvWeight;
    private final Init init;
    private final FeatureNetwork network;
    private final int[] styleLayers;
    private final int contentLayer;

    private StyleTaskFamily(Builder b) {
        this.size = b.size;
        this.resolution = b.resolution;
        this.contentSpec = b.content;
        this.styleSpec = b.style;
        this.contents = resolve(CONTENT, b.content, true);
        this.styles = resolve(STYLE, b.style, false);
        this.contentWeight = b.contentWeight;
        this.styleWeight = b.styleWeight;
        this.tvWeight = b.tvWeight;
        this.init = b.init;
        this.network = b.network;
        this.styleLayers = network.defaultStyleLayers().clone();
        this.contentLayer = network.defaultContentLayer();
        // fail now, not at the first sample, if the network cannot take the size
        network.pass(side(), side());
    }

    private static List<String> resolve(String option, String spec, boolean content) {
        switch (spec) {
            case "train":
                return content ? StyleImages.CONTENT_TRAIN : StyleImages.STYLE_TRAIN;
            case "test":
                return content ? StyleImages.CONTENT_TEST : StyleImages.STYLE_TEST;
            default:
                if (content ? StyleImages.isContent(spec) : StyleImages.isStyle(spec)) {
                    return List.of(spec);
                }
                throw new IllegalArgumentException(
                        "option "
                                + option
                                + " must be train, test or one of "
                                + (content
                                        ? concat(
                                                StyleImages.CONTENT_TRAIN, StyleImages.CONTENT_TEST)
                                        : concat(StyleImages.STYLE_TRAIN, StyleImages.STYLE_TEST))
                                + " but was '"
                                + spec
                                + "'");
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new java.util.ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the family from spec options (the keys of {@link #OPTIONS}).
     *
     * @throws IllegalArgumentException naming the option, what it accepts and the value found
     */
    public static StyleTaskFamily fromOptions(Map<String, String> o) {
        Builder b = builder();
        int size = TaskOptions.integer(o, SIZE, DEFAULT_SIZE, 8, 256);
        if (size % 4 != 0) {
            throw new IllegalArgumentException(
                    "option size must be a multiple of 4 (two 2x2 poolings) but was " + size);
        }
        b.size(size);
        b.resolution(TaskOptions.integer(o, RESOLUTION, 1, 1, 2));
        String split = TaskOptions.choice(o, TaskFamilies.SPLIT, "train", List.of("train", "test"));
        b.content(o.containsKey(CONTENT) ? o.get(CONTENT).trim().toLowerCase(Locale.ROOT) : split);
        b.style(o.containsKey(STYLE) ? o.get(STYLE).trim().toLowerCase(Locale.ROOT) : split);
        b.contentWeight(TaskOptions.number(o, CONTENT_WEIGHT, 1.0, 0.0));
        b.styleWeight(TaskOptions.number(o, STYLE_WEIGHT, DEFAULT_STYLE_WEIGHT, 0.0));
        b.tvWeight(TaskOptions.number(o, TV_WEIGHT, DEFAULT_TV_WEIGHT, 0.0));
        b.init(
                Init.valueOf(
                        TaskOptions.choice(o, INIT, "content", List.of("content", "noise"))
                                .toUpperCase(Locale.ROOT)));
        return b.build();
    }

    /**
     * {@inheritDoc}
     *
     * <p>E.g. {@code style(side=32,content=train,style=train,content-weight=1,style-weight=100,
     * init=content,net=random(16,32,32;seed=20160523))}.
     */
    @Override
    public String name() {
        return NAME
                + "(side="
                + side()
                + ",content="
                + contentSpec
                + ",style="
                + styleSpec
                + ",content-weight="
                + number(contentWeight)
                + ",style-weight="
                + number(styleWeight)
                + ",tv-weight="
                + number(tvWeight)
                + ",init="
                + init.id()
                + ",net="
                + network.name()
                + ")";
    }

    private static String number(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15
                ? Long.toString((long) x)
                : Double.toString(x);
    }

    /** {@inheritDoc} */
    @Override
    public StyleTask sample(long seed) {
        return new StyleTask(this, seed);
    }

    /** Image side in pixels: {@code size * resolution}. */
    public int side() {
        return size * resolution;
    }

    /** Number of parameters: {@code 3 * side * side}. */
    public int dimension() {
        return RgbImage.CHANNELS * side() * side();
    }

    /** Image side at resolution 1. */
    public int size() {
        return size;
    }

    /** The resolution multiplier. */
    public int resolution() {
        return resolution;
    }

    /** The content images a seed picks from. */
    public List<String> contents() {
        return contents;
    }

    /** The style images a seed picks from. */
    public List<String> styles() {
        return styles;
    }

    /** Weight of the content loss. */
    public double contentWeight() {
        return contentWeight;
    }

    /** Weight of the style loss. */
    public double styleWeight() {
        return styleWeight;
    }

    /** Weight of the total-variation penalty. */
    public double tvWeight() {
        return tvWeight;
    }

    /** How initial images are drawn. */
    public Init init() {
        return init;
    }

    /** The feature network. */
    public FeatureNetwork network() {
        return network;
    }

    int[] styleLayersShared() {
        return styleLayers;
    }

    int contentLayer() {
        return contentLayer;
    }

    /** Builder for {@link StyleTaskFamily}. */
    public static final class Builder {
        private int size = DEFAULT_SIZE;
        private int resolution = 1;
        private String content = "train";
        private String style = "train";
        private double contentWeight = 1.0;
        private double styleWeight = DEFAULT_STYLE_WEIGHT;
        private double tvWeight = DEFAULT_TV_WEIGHT;
        private Init init = Init.CONTENT;
        private FeatureNetwork network;

        private Builder() {}

        /** Image side at resolution 1, a multiple of the network's total pooling [32]. */
        public Builder size(int size) {
            this.size = size;
            return this;
        }

        /** Resolution multiplier, 1 or 2 [1]. */
        public Builder resolution(int resolution) {
            this.resolution = resolution;
            return this;
        }

        /** Content images: {@code train}, {@code test} or one shipped name [train]. */
        public Builder content(String content) {
            this.content = Objects.requireNonNull(content, "content");
            return this;
        }

        /** Style images: {@code train}, {@code test} or one shipped name [train]. */
        public Builder style(String style) {
            this.style = Objects.requireNonNull(style, "style");
            return this;
        }

        /** Weight of the content loss [1]. */
        public Builder contentWeight(double w) {
            this.contentWeight = w;
            return this;
        }

        /** Weight of the style loss [{@value #DEFAULT_STYLE_WEIGHT}]. */
        public Builder styleWeight(double w) {
            this.styleWeight = w;
            return this;
        }

        /** Weight of the total-variation penalty [{@value #DEFAULT_TV_WEIGHT}]. */
        public Builder tvWeight(double w) {
            this.tvWeight = w;
            return this;
        }

        /** The initial image [content]. */
        public Builder init(Init init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /** The feature network [{@link RandomFeatureNetwork#standard()}]. */
        public Builder network(FeatureNetwork network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /**
         * Builds the family.
         *
         * @throws IllegalArgumentException for an invalid setting, naming it and its value
         */
        public StyleTaskFamily build() {
            TaskOptions.checkRange(SIZE, size, 4, 256);
            TaskOptions.checkRange(RESOLUTION, resolution, 1, 2);
            if (!(contentWeight >= 0) || !(styleWeight >= 0) || !(tvWeight >= 0)) {
                throw new IllegalArgumentException(
                        "the content, style and total-variation weights must be >= 0 but were "
                                + contentWeight
                                + ", "
                                + styleWeight
                                + " and "
                                + tvWeight);
            }
            if (network == null) {
                network = RandomFeatureNetwork.standard();
            }
            return new StyleTaskFamily(this);
        }
    }
}
