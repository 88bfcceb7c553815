package org.l2o4j.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir Path dir;

    private static void checkImages(Dataset d, int rows) {
        assertEquals(rows, d.rows());
        assertEquals(784, d.features());
        assertEquals(10, d.classes());
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int r = 0; r < d.rows(); r += 97) {
            for (float v : d.row(r)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertEquals(0f, min, 0f);
        assertEquals(1f, max, 0f);
        for (int count : d.classCounts()) {
            // every class is present in fair proportion (10% +- 4%)
            assertTrue(count > rows * 0.06 && count < rows * 0.14, "class count " + count);
        }
    }

    @Test
    void bundledMnistHas8000TrainAnd2000TestDigits() {
        checkImages(Datasets.bundled("mnist", Split.TRAIN), 8000);
        checkImages(Datasets.bundled("mnist", Split.TEST), 2000);
        assertEquals("mnist/train", Datasets.bundled("mnist", Split.TRAIN).name());
    }

    @Test
    void headOrAllKeepsTheFirstExamplesOrAll() {
        Dataset d = Datasets.bundled("mnist", Split.TEST);
        assertSame(d, d.headOrAll(0));
        Dataset h = d.headOrAll(300);
        assertEquals(300, h.rows());
        assertArrayEquals(d.row(299), h.row(299));
        assertEquals(d.label(299), h.label(299));
        IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> d.headOrAll(-1));
        assertTrue(negative.getMessage().contains("0 (all)"), negative.getMessage());
        assertTrue(negative.getMessage().contains("but was -1"), negative.getMessage());
        IllegalArgumentException tooMany =
                assertThrows(IllegalArgumentException.class, () -> d.headOrAll(2001));
        assertTrue(tooMany.getMessage().contains("[1, 2000]"), tooMany.getMessage());
    }

    @Test
    void bundledFashionMnistSubset() {
        checkImages(Datasets.bundled("fashion-mnist", Split.TRAIN), 6000);
        checkImages(Datasets.bundled("fashion", Split.TEST), 1000);
        assertNotEquals(
                Datasets.bundled("mnist", Split.TEST).row(0)[400],
                Datasets.bundled("fashion-mnist", Split.TEST).row(0)[400] + 2f);
    }

    @Test
    void bundledSelectorAndCachingShareOneInstance() {
        Dataset a = Datasets.load("mnist", Split.TEST, Path.of(Datasets.BUNDLED));
        assertSame(a, Datasets.bundled("mnist", Split.TEST));
        assertTrue(a.source().startsWith("classpath:"), a.source());
    }

    @Test
    void explicitDirectoryWithoutFilesNamesWhatWasTried() {
        UncheckedIOException e =
                assertThrows(
                        UncheckedIOException.class,
                        () -> Datasets.mnist(Split.TRAIN, dir.resolve("empty")));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
    }

    @Test
    void explicitDirectoryIsReadFromNameSubdirectoryOrDirectly() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("mnist"));
        Files.write(sub.resolve("t10k-images-idx3-ubyte"), IdxReaderTest.images());
        Files.write(
                sub.resolve("t10k-labels-idx1-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.labels(4, 5, 6)));
        Dataset d = Datasets.mnist(Split.TEST, dir);
        assertEquals(3, d.rows());
        assertArrayEquals(new int[] {4, 5, 6}, d.labels());
        assertTrue(d.source().contains(sub.toString()), d.source());

        Path flat = Files.createDirectories(dir.resolve("flat"));
        Files.write(flat.resolve("train-images.idx3-ubyte"), IdxReaderTest.images());
        Files.write(flat.resolve("train-labels.idx1-ubyte"), IdxReaderTest.labels(1, 2, 3));
        assertEquals(3, Datasets.fashionMnist(Split.TRAIN, flat).rows());
    }

    @Test
    void debianFashionMnistIsUsedWhenInstalled() {
        Path debian = Path.of(Datasets.DEBIAN_FASHION_MNIST);
        Assumptions.assumeTrue(
                Files.isDirectory(debian) && System.getenv(Datasets.ENV_DATA_DIR) == null,
                "dataset-fashion-mnist is not installed");
        Dataset test = Datasets.fashionMnist(Split.TEST);
        checkImages(test, 10_000);
        assertTrue(test.source().contains(debian.toString()), test.source());
        // the bundled subset is the first 1,000 test images of the same file
        Dataset bundled = Datasets.bundled("fashion-mnist", Split.TEST);
        assertArrayEquals(bundled.row(999), test.row(999));
        assertEquals(bundled.label(500), test.label(500));
    }

    /** Bad contents of a data directory: each is a typed error naming the file and the problem. */
    @Test
    void badDirectoryContentsAreTypedErrorsNamingTheFile() throws Exception {
        byte[] images = IdxReaderTest.images(); // 3 images
        byte[] labels = IdxReaderTest.labels(1, 2, 3);
        byte[] garbage = "not an IDX file at all".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String[][] cases = {
            // name, file to spoil, expected words in the message
            {"garbage", "train-images-idx3-ubyte", "bad magic number"},
            {"truncated", "train-images-idx3-ubyte", "truncated"},
            {"count", "train-labels-idx1-ubyte", "3 images but 2 labels"},
            {"nongzip", "train-images-idx3-ubyte.gz", "not gzip-compressed"},
            {"badgzip", "train-labels-idx1-ubyte.gz", "truncated"},
        };
        for (String[] c : cases) {
            Path d = Files.createDirectories(dir.resolve(c[0]));
            Path im = d.resolve("train-images-idx3-ubyte" + (c[1].endsWith(".gz") ? ".gz" : ""));
            Path lab = d.resolve("train-labels-idx1-ubyte" + (c[1].endsWith(".gz") ? ".gz" : ""));
            Files.write(im, images);
            Files.write(lab, labels);
            switch (c[0]) {
                case "garbage" -> Files.write(im, garbage);
                case "truncated" -> Files.write(im, java.util.Arrays.copyOf(images, 20));
                case "count" -> Files.write(lab, IdxReaderTest.labels(1, 2));
                case "nongzip" -> Files.write(im, garbage); // neither gzip nor IDX
                default -> {
                    byte[] gz = IdxReaderTest.gzip(labels);
                    Files.write(im, IdxReaderTest.gzip(images));
                    Files.write(lab, java.util.Arrays.copyOf(gz, gz.length - 6));
                }
            }
            DatasetException e =
                    assertThrows(
                            DatasetException.class, () -> Datasets.mnist(Split.TRAIN, d), c[0]);
            assertTrue(
                    String.valueOf(e.getMessage()).contains(d.resolve(c[1]).toString()),
                    c[0] + ": " + e.getMessage() + " " + e.getCause());
            assertTrue(e.getMessage().contains(c[2]), c[0] + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    @Test
    void unknownDatasetListsTheKnownOnes() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Datasets.load("cifar10", Split.TRAIN, null));
        assertTrue(e.getMessage().contains("fashion-mnist"), e.getMessage());
    }

    @Test
    void splitParsing() {
        assertEquals(Split.TEST, Split.parse(" Test "));
        assertThrows(IllegalArgumentException.class, () -> Split.parse("valid"));
    }
}
