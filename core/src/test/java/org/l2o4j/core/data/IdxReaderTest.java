package org.l2o4j.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir Path dir;

    static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(body);
        out.flush();
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    /** 3 images of 2 x 2 pixels: image k has pixels 60k, 60k+1, ... */
    static byte[] images() throws IOException {
        byte[] body = new byte[12];
        for (int i = 0; i < 12; i++) {
            body[i] = (byte) (i * 20 + (i == 11 ? 35 : 0)); // last pixel 255
        }
        return idx(0x00000803, new int[] {3, 2, 2}, body);
    }

    static byte[] labels(int... y) throws IOException {
        byte[] body = new byte[y.length];
        for (int i = 0; i < y.length; i++) {
            body[i] = (byte) y[i];
        }
        return idx(0x00000801, new int[] {y.length}, body);
    }

    private Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    @Test
    void readsRawAndGzipToTheSameDataset() throws IOException {
        Path rawImages = write("raw-images", images());
        Path rawLabels = write("raw-labels", labels(7, 0, 9));
        // gzip is detected by its magic bytes, not by the file name
        Path gzImages = write("gz-images", gzip(images()));
        Path gzLabels = write("gz-labels.bin", gzip(labels(7, 0, 9)));

        Dataset raw = IdxReader.read("t/train", rawImages, rawLabels, 10);
        Dataset gz = IdxReader.read("t/train", gzImages, gzLabels, 10);

        for (Dataset d : new Dataset[] {raw, gz}) {
            assertEquals(3, d.rows());
            assertEquals(4, d.features());
            assertEquals(10, d.classes());
            assertArrayEquals(new int[] {7, 0, 9}, d.labels());
            assertEquals(20 / 255f, d.feature(0, 1), 0f);
            assertEquals(1f, d.feature(2, 3), 0f);
            assertEquals(0f, d.feature(0, 0), 0f);
        }
        assertArrayEquals(raw.row(1), gz.row(1));
        assertTrue(raw.source().contains("raw-images"), raw.source());
    }

    @Test
    void missingFileNamesThePath() {
        Path missing = dir.resolve("nope-images-idx3-ubyte.gz");
        NoSuchFileException e =
                assertThrows(NoSuchFileException.class, () -> IdxReader.readImages(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void badMagicIsReported() throws IOException {
        Path p = write("text", "hello world, not idx".getBytes());
        IdxFormatException e =
                assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000803"), e.getMessage());
    }

    @Test
    void labelFileReadAsImagesIsAWrongDimension() throws IOException {
        Path p = write("labels", labels(1, 2));
        IdxFormatException e =
                assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("has 1 dimensions"), e.getMessage());
        assertTrue(e.getMessage().contains("label file"), e.getMessage());
        IdxFormatException e2 =
                assertThrows(
                        IdxFormatException.class,
                        () -> IdxReader.readLabels(write("images", images())));
        assertTrue(e2.getMessage().contains("has 3 dimensions"), e2.getMessage());
    }

    @Test
    void truncatedRawAndGzipFilesAreReported() throws IOException {
        byte[] full = images();
        byte[] cut = Arrays.copyOf(full, full.length - 5);
        Path raw = write("cut", cut);
        IdxFormatException e =
                assertThrows(IdxFormatException.class, () -> IdxReader.readImages(raw));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("12"), e.getMessage());

        byte[] gz = gzip(full);
        Path gzCut = write("cut.gz", Arrays.copyOf(gz, gz.length - 12));
        IdxFormatException e2 =
                assertThrows(IdxFormatException.class, () -> IdxReader.readImages(gzCut));
        assertTrue(e2.getMessage().contains("truncated"), e2.getMessage());
        assertTrue(e2.getMessage().contains(gzCut.toString()), e2.getMessage());

        Path header = write("header", Arrays.copyOf(full, 6));
        IdxFormatException e3 =
                assertThrows(IdxFormatException.class, () -> IdxReader.readImages(header));
        assertTrue(e3.getMessage().contains("truncated header"), e3.getMessage());
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        byte[] full = images();
        Path p = write("long", Arrays.copyOf(full, full.length + 3));
        IdxFormatException e =
                assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("longer than its header"), e.getMessage());
    }

    @Test
    void countMismatchAndBadLabelsAreReported() throws IOException {
        Path im = write("im", images());
        Path two = write("two", labels(1, 2));
        IdxFormatException e =
                assertThrows(IdxFormatException.class, () -> IdxReader.read("x", im, two, 10));
        assertTrue(e.getMessage().contains("3 images but 2 labels"), e.getMessage());

        Path big = write("big", labels(1, 2, 12));
        IdxFormatException e2 =
                assertThrows(IdxFormatException.class, () -> IdxReader.read("x", im, big, 10));
        assertTrue(e2.getMessage().contains("label 12 of example 2"), e2.getMessage());
    }
}
