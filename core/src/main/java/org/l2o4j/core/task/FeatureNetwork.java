package org.l2o4j.core.task;

/**
 * A fixed (not trained) convolutional feature extractor for the {@code style} task: the content and
 * style losses compare its feature maps and their Gram matrices (Gatys et al. 2016). The task needs
 * features and the gradient of a loss on the features with respect to the input pixels, so any
 * differentiable network fits: l2o4j ships {@link RandomFeatureNetwork} (random filters, as no
 * pretrained VGG can be fetched here); a user with VGG weights implements this interface and passes
 * it to {@link StyleTaskFamily.Builder#network}.
 *
 * <p>Input: an RGB image, channels first ({@link RgbImage}'s layout), values nominally in [0, 1].
 * Layers are numbered from the input; a layer's features are channels first, {@code channels(l) x
 * height(l) x width(l)}.
 */
public interface FeatureNetwork {

    /** A short description for task names and reports, e.g. {@code random(16,32,32;seed=...)}. */
    String name();

    /** Number of feature layers. */
    int layers();

    /** Channels of layer {@code l}. */
    int channels(int l);

    /** The layers whose Gram matrices make the style loss (default of the task family). */
    int[] defaultStyleLayers();

    /** The layer whose features make the content loss (default of the task family). */
    int defaultContentLayer();

    /**
     * A forward/backward evaluator for images of {@code height x width}: holds the work buffers, so
     * one per thread (tasks create their own).
     *
     * @throws IllegalArgumentException if the network cannot take that size
     */
    Pass pass(int height, int width);

    /** Work buffers for one image size; not thread-safe. */
    interface Pass {

        /** Height of layer {@code l}'s feature maps. */
        int height(int l);

        /** Width of layer {@code l}'s feature maps. */
        int width(int l);

        /** Runs the network on {@code image} (channels first, {@code 3 x height x width}). */
        void forward(double[] image);

        /**
         * Layer {@code l}'s features from the last {@link #forward}: a view, valid until the next
         * call, not to be modified.
         */
        double[] features(int l);

        /**
         * Backpropagates to the pixels: given the gradient of a loss with respect to each layer's
         * features (from the last {@link #forward}; {@code dFeatures[l]} null for none; the arrays
         * may be overwritten), writes the gradient with respect to the input image into {@code
         * dImage} (overwriting it).
         */
        void backward(double[][] dFeatures, double[] dImage);
    }
}
