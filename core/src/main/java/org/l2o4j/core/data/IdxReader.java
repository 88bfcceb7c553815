package org.l2o4j.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST: unsigned-byte images (3 dimensions: count, rows,
 * columns) and unsigned-byte labels (1 dimension: count), raw or gzip-compressed (detected by the
 * gzip magic bytes {@code 1f 8b}, not by the file name).
 *
 * <p>The format: a big-endian header {@code 0x00 0x00 type ndim}, then {@code ndim} big-endian
 * 32-bit sizes, then the data in row-major order; type {@code 0x08} is unsigned byte (see
 * http://yann.lecun.com/exdb/mnist/). Every error names the source and what was wrong.
 */
public final class IdxReader {

    /** The IDX type code of unsigned bytes. */
    private static final int UBYTE = 0x08;

    private IdxReader() {}

    /** IDX images: {@code count} images of {@code height x width} unsigned bytes, row-major. */
    public record Images(int count, int height, int width, byte[] pixels) {

        /** Pixels per image. */
        public int features() {
            return height * width;
        }
    }

    /**
     * Reads an image file and a label file into a {@link Dataset} with pixels scaled to [0, 1].
     *
     * @param name the dataset's name, e.g. {@code mnist/train}
     * @param classes number of classes; every label must be below it
     * @throws NoSuchFileException if a file is missing
     * @throws IdxFormatException if a file is malformed or the counts differ
     */
    public static Dataset read(String name, Path images, Path labels, int classes)
            throws IOException {
        Images im = readImages(images);
        byte[] lab = readLabels(labels);
        return toDataset(name, images + " + " + labels, im, lab, classes);
    }

    /**
     * Builds a dataset from images and labels already read.
     *
     * @param source where they came from, for messages and {@link Dataset#source()}
     * @throws IdxFormatException if the counts differ or a label is not below {@code classes}
     */
    public static Dataset toDataset(
            String name, String source, Images images, byte[] labels, int classes)
            throws IdxFormatException {
        if (images.count() != labels.length) {
            throw new IdxFormatException(
                    source
                            + ": "
                            + images.count()
                            + " images but "
                            + labels.length
                            + " labels; the image and label files must describe the same"
                            + " examples");
        }
        int[] y = new int[labels.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels[i] & 0xFF;
            if (y[i] >= classes) {
                throw new IdxFormatException(
                        source
                                + ": label "
                                + y[i]
                                + " of example "
                                + i
                                + " is not below the number of classes "
                                + classes);
            }
        }
        byte[] p = images.pixels();
        float[] x = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            x[i] = (p[i] & 0xFF) / 255f;
        }
        return Dataset.wrap(name, source, images.features(), classes, x, y);
    }

    /**
     * Reads an unsigned-byte IDX image file (3 dimensions).
     *
     * @throws NoSuchFileException if the file does not exist
     * @throws IdxFormatException if it is not such a file or is truncated
     */
    public static Images readImages(Path path) throws IOException {
        try (InputStream in = open(path)) {
            return readImages(in, path.toString());
        }
    }

    /**
     * Reads an unsigned-byte IDX label file (1 dimension); labels as unsigned bytes.
     *
     * @throws NoSuchFileException if the file does not exist
     * @throws IdxFormatException if it is not such a file or is truncated
     */
    public static byte[] readLabels(Path path) throws IOException {
        try (InputStream in = open(path)) {
            return readLabels(in, path.toString());
        }
    }

    /**
     * Reads IDX images from a stream (raw or gzip); the stream is not closed.
     *
     * @param source names the stream in error messages
     */
    public static Images readImages(InputStream in, String source) throws IOException {
        try {
            return readImagesUnchecked(in, source);
        } catch (IdxFormatException e) {
            throw e;
        } catch (EOFException | java.util.zip.ZipException e) {
            throw corrupt(source, e);
        }
    }

    private static Images readImagesUnchecked(InputStream in, String source) throws IOException {
        DataInputStream data = new DataInputStream(maybeGunzip(in, source));
        int[] dims = readHeader(data, source, 3, "images (count x rows x columns)");
        long size = (long) dims[0] * dims[1] * dims[2];
        if (size > Integer.MAX_VALUE - 8) {
            throw new IdxFormatException(
                    source + ": " + dims[0] + " x " + dims[1] + " x " + dims[2] + " is too large");
        }
        byte[] pixels = readBody(data, source, (int) size);
        return new Images(dims[0], dims[1], dims[2], pixels);
    }

    /**
     * Reads IDX labels from a stream (raw or gzip); the stream is not closed.
     *
     * @param source names the stream in error messages
     */
    public static byte[] readLabels(InputStream in, String source) throws IOException {
        try {
            return readLabelsUnchecked(in, source);
        } catch (IdxFormatException e) {
            throw e;
        } catch (EOFException | java.util.zip.ZipException e) {
            throw corrupt(source, e);
        }
    }

    /** A gzip stream that ends early or is damaged (e.g. in its trailer, after the data). */
    private static IdxFormatException corrupt(String source, IOException e) {
        return new IdxFormatException(
                source
                        + ": truncated or corrupt gzip data ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                        + ")");
    }

    private static byte[] readLabelsUnchecked(InputStream in, String source) throws IOException {
        DataInputStream data = new DataInputStream(maybeGunzip(in, source));
        int[] dims = readHeader(data, source, 1, "labels (count)");
        return readBody(data, source, dims[0]);
    }

    private static InputStream open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "IDX file not found");
        }
        return Files.newInputStream(path);
    }

    private static InputStream maybeGunzip(InputStream in, String source) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
            } catch (IOException e) {
                throw new IdxFormatException(
                        source + ": starts like gzip but is not valid gzip: " + e.getMessage());
            }
        }
        return buffered;
    }

    private static int[] readHeader(
            DataInputStream in, String source, int expectedDims, String what) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new IdxFormatException(source + ": empty or shorter than an IDX header");
        }
        int zeros = magic >>> 16;
        int type = (magic >>> 8) & 0xFF;
        int ndim = magic & 0xFF;
        if (zeros != 0 || type != UBYTE) {
            throw new IdxFormatException(
                    String.format(
                            "%s: bad magic number 0x%08x; expected 0x%08x for unsigned-byte %s"
                                    + " (%s)",
                            source,
                            magic,
                            (UBYTE << 8) | expectedDims,
                            what,
                            source.endsWith(".gz")
                                    ? "named .gz but not gzip-compressed: gzip data starts"
                                            + " with 1f 8b"
                                    : "is this an IDX file?"));
        }
        if (ndim != expectedDims) {
            throw new IdxFormatException(
                    source
                            + ": has "
                            + ndim
                            + " dimensions but "
                            + what
                            + " need "
                            + expectedDims
                            + (ndim == 1
                                    ? " (is this a label file?)"
                                    : ndim == 3 ? " (is this an image file?)" : ""));
        }
        int[] dims = new int[ndim];
        for (int d = 0; d < ndim; d++) {
            try {
                dims[d] = in.readInt();
            } catch (EOFException e) {
                throw new IdxFormatException(
                        source + ": truncated header (dimension " + d + " of " + ndim + ")");
            }
            if (dims[d] < 0) {
                throw new IdxFormatException(
                        source + ": dimension " + d + " is negative: " + dims[d]);
            }
        }
        return dims;
    }

    private static byte[] readBody(DataInputStream in, String source, int size) throws IOException {
        byte[] body = new byte[size];
        int read;
        try {
            read = in.readNBytes(body, 0, size);
        } catch (EOFException e) {
            throw new IdxFormatException(
                    source
                            + ": truncated (compressed data end early): the header announces "
                            + size
                            + " data bytes");
        } catch (java.util.zip.ZipException e) {
            throw new IdxFormatException(source + ": corrupt gzip data: " + e.getMessage());
        }
        if (read < size) {
            throw new IdxFormatException(
                    source
                            + ": truncated: the header announces "
                            + size
                            + " data bytes but only "
                            + read
                            + " are present");
        }
        if (in.read() >= 0) {
            throw new IdxFormatException(
                    source + ": longer than its header announces (" + size + " data bytes)");
        }
        return body;
    }
}
