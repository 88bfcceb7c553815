package org.l2o4j.core.task;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The content and style images shipped for the {@code style} task family: 64x64 RGB PNGs in {@code
 * org/l2o4j/style/} on the class path, made procedurally by l2o4j's own generator (scenes of simple
 * shapes as content; stripes, checkers, blobs, Voronoi cells, waves and other textures as styles).
 * Source, generator and licence: {@code org/l2o4j/style/README.md}.
 *
 * <p>Each set is split into a training part (meta-training) and a held-out test part (the paper's
 * "new content" and "new styles" generalization tests). Loaded images are cached.
 */
public final class StyleImages {

    /** Side of the shipped images. */
    public static final int SIDE = 64;

    /** Content images used in meta-training. */
    public static final List<String> CONTENT_TRAIN =
            List.of("scene-1", "scene-2", "scene-3", "scene-4", "scene-5", "scene-6");

    /** Held-out content images. */
    public static final List<String> CONTENT_TEST = List.of("scene-7", "scene-8");

    /** Style images used in meta-training. */
    public static final List<String> STYLE_TRAIN =
            List.of(
                    "stripes",
                    "checkers",
                    "blobs",
                    "voronoi",
                    "waves",
                    "dots",
                    "crosshatch",
                    "gradient-noise");

    /** Held-out style images (kinds of texture not among the training styles). */
    public static final List<String> STYLE_TEST = List.of("rings", "zigzag", "plaid", "mosaic");

    private static final String ROOT = "/org/l2o4j/style/";
    private static final Map<String, RgbImage> CACHE = new ConcurrentHashMap<>();

    private StyleImages() {}

    /** Whether {@code name} is a shipped content image. */
    public static boolean isContent(String name) {
        return CONTENT_TRAIN.contains(name) || CONTENT_TEST.contains(name);
    }

    /** Whether {@code name} is a shipped style image. */
    public static boolean isStyle(String name) {
        return STYLE_TRAIN.contains(name) || STYLE_TEST.contains(name);
    }

    /**
     * A shipped content image by name.
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones)
     */
    public static RgbImage content(String name) {
        if (!isContent(name)) {
            throw new IllegalArgumentException(
                    "unknown content image '"
                            + name
                            + "'; known: "
                            + CONTENT_TRAIN
                            + " (train), "
                            + CONTENT_TEST
                            + " (test)");
        }
        return load("content/" + name + ".png");
    }

    /**
     * A shipped style image by name.
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones)
     */
    public static RgbImage style(String name) {
        if (!isStyle(name)) {
            throw new IllegalArgumentException(
                    "unknown style image '"
                            + name
                            + "'; known: "
                            + STYLE_TRAIN
                            + " (train), "
                            + STYLE_TEST
                            + " (test)");
        }
        return load("styles/" + name + ".png");
    }

    private static RgbImage load(String path) {
        return CACHE.computeIfAbsent(
                path,
                p -> {
                    String res = ROOT + p;
                    try (InputStream in = StyleImages.class.getResourceAsStream(res)) {
                        if (in == null) {
                            throw new IOException(
                                    "resource "
                                            + res
                                            + " is missing from the class path (is l2o4j-core's"
                                            + " jar complete?)");
                        }
                        return RgbImage.read(in, "classpath:" + res);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }
}
