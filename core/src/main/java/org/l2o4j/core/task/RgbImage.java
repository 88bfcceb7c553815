package org.l2o4j.core.task;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * A small RGB image as doubles, channels first: {@code data[(c * height + y) * width + x]} for
 * channel {@code c} (0 red, 1 green, 2 blue), values nominally in {@code [0, 1]}. The pixel layout
 * of the {@code style} task's parameters (docs/design.md section 3).
 *
 * <p>Also reads and writes PNG files (javax.imageio; values are clamped to {@code [0, 1]} and
 * rounded to 8 bits on writing) and resizes. Immutable: the array is copied in and out.
 */
public final class RgbImage {

    /** Channels of an RGB image. */
    public static final int CHANNELS = 3;

    private final int height;
    private final int width;
    private final double[] data;

    /**
     * An image from channel-first values (copied).
     *
     * @throws IllegalArgumentException if {@code data.length != 3 * height * width}
     */
    public RgbImage(int height, int width, double[] data) {
        if (height < 1 || width < 1 || data.length != (long) CHANNELS * height * width) {
            throw new IllegalArgumentException(
                    "an RGB image of "
                            + height
                            + "x"
                            + width
                            + " needs "
                            + (long) CHANNELS * height * width
                            + " values but got "
                            + data.length);
        }
        this.height = height;
        this.width = width;
        this.data = data.clone();
    }

    /** Height in pixels. */
    public int height() {
        return height;
    }

    /** Width in pixels. */
    public int width() {
        return width;
    }

    /** A copy of the values, channels first. */
    public double[] data() {
        return data.clone();
    }

    /** Value of channel {@code c} at {@code (y, x)}. */
    public double get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }

    /**
     * This image at {@code h x w}: an exact box average when both sides shrink by integer factors,
     * otherwise bilinear interpolation at pixel centres.
     */
    public RgbImage resize(int h, int w) {
        if (h == height && w == width) {
            return this;
        }
        double[] out = new double[CHANNELS * h * w];
        if (height % h == 0 && width % w == 0) {
            int fy = height / h;
            int fx = width / w;
            double inv = 1.0 / (fy * fx);
            for (int c = 0; c < CHANNELS; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double s = 0;
                        for (int dy = 0; dy < fy; dy++) {
                            for (int dx = 0; dx < fx; dx++) {
                                s += get(c, y * fy + dy, x * fx + dx);
                            }
                        }
                        out[(c * h + y) * w + x] = s * inv;
                    }
                }
            }
            return new RgbImage(h, w, out);
        }
        for (int c = 0; c < CHANNELS; c++) {
            for (int y = 0; y < h; y++) {
                double sy = Math.min(Math.max((y + 0.5) * height / h - 0.5, 0), height - 1);
                int y0 = (int) sy;
                int y1 = Math.min(y0 + 1, height - 1);
                double wy = sy - y0;
                for (int x = 0; x < w; x++) {
                    double sx = Math.min(Math.max((x + 0.5) * width / w - 0.5, 0), width - 1);
                    int x0 = (int) sx;
                    int x1 = Math.min(x0 + 1, width - 1);
                    double wx = sx - x0;
                    double top = get(c, y0, x0) * (1 - wx) + get(c, y0, x1) * wx;
                    double bottom = get(c, y1, x0) * (1 - wx) + get(c, y1, x1) * wx;
                    out[(c * h + y) * w + x] = top * (1 - wy) + bottom * wy;
                }
            }
        }
        return new RgbImage(h, w, out);
    }

    /** An 8-bit RGB {@link BufferedImage} (values clamped to [0, 1], rounded). */
    public BufferedImage toBufferedImage() {
        return toBufferedImage(data, height, width);
    }

    /**
     * An 8-bit RGB {@link BufferedImage} of channel-first values (e.g. a {@code style} task's
     * parameters), clamped to [0, 1] and rounded.
     */
    public static BufferedImage toBufferedImage(double[] chw, int height, int width) {
        if (chw.length != (long) CHANNELS * height * width) {
            throw new IllegalArgumentException(
                    "expected " + CHANNELS * height * width + " values but got " + chw.length);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                int r = toByte(chw[i]);
                int g = toByte(chw[plane + i]);
                int b = toByte(chw[2 * plane + i]);
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    private static int toByte(double v) {
        if (!(v > 0)) {
            return 0; // also NaN
        }
        return v >= 1 ? 255 : (int) Math.round(v * 255);
    }

    /** An image from a {@link BufferedImage} (8-bit channels scaled to [0, 1]). */
    public static RgbImage of(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        double[] d = new double[CHANNELS * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int i = y * w + x;
                d[i] = ((rgb >> 16) & 0xFF) / 255.0;
                d[h * w + i] = ((rgb >> 8) & 0xFF) / 255.0;
                d[2 * h * w + i] = (rgb & 0xFF) / 255.0;
            }
        }
        return new RgbImage(h, w, d);
    }

    /**
     * Reads a PNG (or any format javax.imageio reads).
     *
     * @param what names the source in error messages
     * @throws UncheckedIOException if it cannot be read or decoded
     */
    public static RgbImage read(InputStream in, String what) {
        try {
            BufferedImage img = ImageIO.read(Objects.requireNonNull(in, what));
            if (img == null) {
                throw new IOException(what + " is not an image javax.imageio can decode");
            }
            return of(img);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + what + ": " + e.getMessage(), e);
        }
    }

    /** Reads a PNG file. */
    public static RgbImage read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes this image as a PNG file (atomically: a temporary file, then a rename). */
    public void writePng(Path file) throws IOException {
        writePng(toBufferedImage(), file);
    }

    /**
     * Writes channel-first values (e.g. a {@code style} task's parameters) as a PNG file, clamped
     * to [0, 1] and rounded to 8 bits.
     */
    public static void writePng(double[] chw, int height, int width, Path file) throws IOException {
        writePng(toBufferedImage(chw, height, width), file);
    }

    /** Writes a {@link BufferedImage} as a PNG file (a temporary file, then a rename). */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = abs.resolveSibling(abs.getFileName() + "." + System.nanoTime() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IOException("no PNG writer in javax.imageio");
                }
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
