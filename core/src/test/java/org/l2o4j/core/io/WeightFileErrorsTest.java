package org.l2o4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/** Every way a weight file can be bad maps to one typed exception naming the source. */
class WeightFileErrorsTest {
    private static final String SRC = "test-file.safetensors";
    private static final LstmConfig CONFIG = LstmConfig.builder().layers(2).hidden(3).build();
    private static final LstmWeights WEIGHTS =
            WeightFilesTest.randomWeights(CONFIG, 11, Map.of("seed", "11"));
    private static final byte[] VALID = WeightFiles.toBytes(WEIGHTS);

    @TempDir Path dir;

    private static int headerLength() {
        return (int) ByteBuffer.wrap(VALID).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static JsonObject header() {
        return JsonParser.parseString(new String(VALID, 8, headerLength(), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    private static byte[] data() {
        return Arrays.copyOfRange(VALID, 8 + headerLength(), VALID.length);
    }

    private static byte[] assemble(byte[] json, byte[] data) {
        ByteBuffer b =
                ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(data);
        return b.array();
    }

    private static byte[] withHeader(Consumer<JsonObject> edit) {
        JsonObject h = header();
        edit.accept(h);
        return assemble(h.toString().getBytes(StandardCharsets.UTF_8), data());
    }

    private static JsonObject meta(JsonObject h) {
        return h.getAsJsonObject(WeightFiles.METADATA_KEY);
    }

    private static <T extends WeightFileException> T fails(
            Class<T> type, byte[] bytes, String... fragments) {
        T e = assertThrows(type, () -> WeightFiles.read(bytes, SRC));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(SRC + ": "), "message names the source: " + msg);
        assertEquals(SRC, e.source());
        for (String f : fragments) {
            assertTrue(msg.contains(f), "message should contain '" + f + "': " + msg);
        }
        // the stream entry point (size unknown) fails with the same type
        assertThrows(type, () -> WeightFiles.read(new ByteArrayInputStream(bytes), SRC));
        return e;
    }

    @Test
    void validFileReads() throws Exception {
        assertEquals(CONFIG, WeightFiles.read(VALID, SRC).config());
        // header re-serialized by these helpers without edits is still valid
        assertEquals(CONFIG, WeightFiles.read(withHeader(h -> {}), SRC).config());
    }

    @Test
    void tensorsStoredInAnotherOrderReadTheSame() throws Exception {
        // the safetensors library writes tensors sorted by name; any tiling order is valid
        JsonObject h = header();
        byte[] src = data();
        ByteArrayOutputStream reordered = new ByteArrayOutputStream();
        List<LstmWeights.TensorSpec> specs = new ArrayList<>(LstmWeights.tensorSpecs(CONFIG));
        Collections.reverse(specs);
        for (LstmWeights.TensorSpec s : specs) {
            int begin = reordered.size();
            reordered.write(src, 4 * s.offset, 4 * s.size());
            tensor(h, s.name).add("data_offsets", longs(begin, begin + 4L * s.size()));
        }
        LstmWeights back =
                WeightFiles.read(
                        assemble(
                                h.toString().getBytes(StandardCharsets.UTF_8),
                                reordered.toByteArray()),
                        SRC);
        assertArrayEquals(WEIGHTS.parameters(), back.parameters());
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFile() throws Exception {
        // the target is a non-empty directory: the final rename fails
        Path target = dir.resolve("taken");
        Files.createDirectories(target.resolve("child"));
        assertThrows(IOException.class, () -> WeightFiles.write(target, WEIGHTS));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the directory remains");
        }
    }

    @Test
    void shorterThanTheLengthPrefixIsTruncated() {
        fails(TruncatedWeightFileException.class, new byte[0], "at least 8 bytes", "found 0");
        fails(TruncatedWeightFileException.class, new byte[5], "found 5");
    }

    @Test
    void headerLengthBeyondTheFileIsTruncated() {
        fails(
                TruncatedWeightFileException.class,
                Arrays.copyOf(VALID, 8 + headerLength() - 1),
                "header length " + headerLength());
    }

    @Test
    void dataShorterThanOffsetsIsTruncated() {
        fails(
                TruncatedWeightFileException.class,
                Arrays.copyOf(VALID, VALID.length - 4),
                "need " + 4 * CONFIG.numParameters() + " bytes");
    }

    @Test
    void hugeOrNegativeHeaderLengthIsRejectedBeforeAllocating() {
        byte[] b = VALID.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        fails(MalformedHeaderException.class, b, "at most " + WeightFiles.MAX_HEADER_BYTES);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        fails(MalformedHeaderException.class, b, "18446744073709551615");
        // the "magic" of other formats (zip, numpy .npy) is read as an absurd header length
        byte[] npy =
                Arrays.copyOf("\u0093NUMPY\u0001\u0000".getBytes(StandardCharsets.ISO_8859_1), 64);
        fails(MalformedHeaderException.class, npy, "not a safetensors file");
    }

    @Test
    void badJsonIsMalformed() {
        fails(MalformedHeaderException.class, assemble("{\"a\": ".getBytes(), data()), "parse");
        fails(MalformedHeaderException.class, assemble("[1, 2]".getBytes(), data()), "an array");
        fails(
                MalformedHeaderException.class,
                assemble("{} {}".getBytes(), data()),
                "malformed JSON");
        fails(
                MalformedHeaderException.class,
                assemble(new byte[] {'{', '"', (byte) 0xC3, '"', '}'}, data()),
                "UTF-8");
        // duplicate keys (Gson's tree parser would keep the last one silently)
        String h = new String(VALID, 8, headerLength(), StandardCharsets.UTF_8).trim();
        String dup = "{\"__metadata__\": {}, " + h.substring(1);
        fails(MalformedHeaderException.class, assemble(dup.getBytes(), data()), "appears twice");
        // lenient JSON (unquoted keys, single quotes) is not accepted
        fails(MalformedHeaderException.class, assemble("{a: 'b'}".getBytes(), data()));
    }

    @Test
    void missingOrIllTypedMetadataIsMalformed() {
        fails(
                MalformedHeaderException.class,
                withHeader(h -> h.remove(WeightFiles.METADATA_KEY)),
                "__metadata__",
                "not an l2o4j weight file");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).addProperty("seed", 11)),
                "__metadata__.seed",
                "string");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).remove(WeightMetadata.HIDDEN)),
                "'hidden'",
                "missing");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.FORMAT, "pytorch")),
                "l2o4j-lstm-optimizer",
                "pytorch");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.LAYERS, "two")),
                "'layers' = 'two'");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.HIDDEN, "0")),
                "hidden must be in 1..1024");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.PREPROCESSING, "log")),
                "log-sign");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.SIGN_CONVENTION, "subtract")),
                "add: theta <- theta + update",
                "subtract");
    }

    /** Finite but absurd architecture values: a typed error naming key, value and range. */
    @Test
    void architectureValuesOutsideTheirRangeAreRejected() {
        String[][] cases = {
            {WeightMetadata.OUTPUT_SCALE, "1e30", "[1e-8, 100]"},
            {WeightMetadata.OUTPUT_SCALE, "-0.1", "[1e-8, 100]"},
            {WeightMetadata.OUTPUT_SCALE, "0.0", "[1e-8, 100]"},
            {WeightMetadata.OUTPUT_SCALE, "NaN", "[1e-8, 100]"},
            {WeightMetadata.LOG_SIGN_P, "-3", "(0, 80]"},
            {WeightMetadata.LOG_SIGN_P, "1e9", "(0, 80]"},
        };
        for (String[] c : cases) {
            MetadataRangeException e =
                    fails(
                            MetadataRangeException.class,
                            withHeader(h -> meta(h).addProperty(c[0], c[1])),
                            "'" + c[0] + "' = '" + c[1] + "'",
                            "allowed range " + c[2]);
            assertEquals(c[0], e.key());
            assertEquals(c[1], e.value());
        }
    }

    /**
     * Values that load but that our meta-trainer never produces: one warning per file and value.
     */
    @Test
    void farOutValuesLoadWithOneWarning() throws Exception {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("org.l2o4j.core.io");
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler h =
                new java.util.logging.Handler() {
                    @Override
                    public void publish(java.util.logging.LogRecord r) {
                        warnings.add(r.getMessage());
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };
        log.addHandler(h);
        try {
            byte[] odd = withHeader(x -> meta(x).addProperty(WeightMetadata.OUTPUT_SCALE, "50"));
            String src = "odd-" + System.nanoTime() + ".safetensors";
            assertEquals(50.0, WeightFiles.read(odd, src).config().outputScale());
            WeightFiles.read(odd, src);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains(src), warnings.get(0));
            assertTrue(warnings.get(0).contains("output_scale = 50.0"), warnings.get(0));
            assertTrue(warnings.get(0).contains("[1e-4, 10]"), warnings.get(0));
            // usual values: no warning
            WeightFiles.read(VALID, "usual-" + System.nanoTime());
            assertEquals(1, warnings.size(), warnings.toString());
            assertEquals(List.of(), WeightFiles.unusualValues(LstmConfig.paperDefaults()));
            assertEquals(
                    1, WeightFiles.unusualValues(LstmConfig.builder().logSignP(40).build()).size());
        } finally {
            log.removeHandler(h);
        }
    }

    @Test
    void aDirectoryIsNamedAsSuch() throws Exception {
        WeightFileException e =
                assertThrows(WeightFileException.class, () -> WeightFiles.read(dir));
        assertEquals(dir + ": is a directory, not a weight file (.safetensors)", e.getMessage());
        e = assertThrows(WeightFileException.class, () -> WeightFiles.read(dir, "00"));
        assertTrue(e.getMessage().startsWith(dir + ": is a directory"), e.getMessage());
    }

    @Test
    void otherFormatVersionIsUnsupported() {
        fails(
                UnsupportedFormatVersionException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.FORMAT_VERSION, "3")),
                "expected format_version 1 or 2",
                "'3'");
    }

    private static JsonObject tensor(JsonObject h, String name) {
        return h.getAsJsonObject(name);
    }

    private static JsonArray longs(long... v) {
        JsonArray a = new JsonArray();
        for (long x : v) {
            a.add(x);
        }
        return a;
    }

    @Test
    void badTensorEntriesAreMalformed() {
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "lstm.0.bias").addProperty("dtype", "F16")),
                "expected dtype F32",
                "F16");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "lstm.0.bias").remove("dtype")),
                "dtype");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "lstm.0.bias").remove("data_offsets")),
                "data_offsets of tensor 'lstm.0.bias'");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "lstm.0.bias").add("shape", longs(-1))),
                "integers in [0, 2^53]");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "output.bias").add("data_offsets", longs(8, 4))),
                "begin <= end");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "output.bias").add("data_offsets", longs(0, 8))),
                "span 4 * 1 bytes");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> tensor(h, "output.bias").addProperty("extra", 1)),
                "'extra'");
        fails(
                MalformedHeaderException.class,
                withHeader(h -> h.addProperty("output.bias", "x")),
                "an object");
        fails(
                MalformedHeaderException.class,
                withHeader(
                        h ->
                                tensor(h, "output.bias")
                                        .add("data_offsets", longs(1L << 40, (1L << 40) + 4))),
                "no holes");
        fails(
                MalformedHeaderException.class,
                withHeader(
                        h ->
                                tensor(h, "output.bias")
                                        .add(
                                                "data_offsets",
                                                JsonParser.parseString("[1e300, 1e300]"))),
                "integers in [0, 2^53]");
    }

    @Test
    void overlappingOffsetsAreMalformed() {
        // output.bias moved onto the first float of output.weight: overlap, and a hole at the end
        fails(
                MalformedHeaderException.class,
                withHeader(
                        h -> {
                            JsonArray w = tensor(h, "output.weight").getAsJsonArray("data_offsets");
                            long b = w.get(0).getAsLong();
                            tensor(h, "output.bias").add("data_offsets", longs(b, b + 4));
                        }),
                "overlap");
    }

    @Test
    void bytesNotCoveredByAnyTensorAreMalformed() {
        byte[] longer = Arrays.copyOf(VALID, VALID.length + 4);
        fails(MalformedHeaderException.class, longer, "not covered by any tensor");
    }

    @Test
    void tensorsNotMatchingTheArchitectureAreAShapeMismatch() {
        fails(
                ShapeMismatchException.class,
                withHeader(h -> h.remove("output.bias")),
                "missing: [output.bias]");
        fails(
                ShapeMismatchException.class,
                withHeader(
                        h -> {
                            JsonObject t = new JsonObject();
                            t.addProperty("dtype", "F32");
                            t.add("shape", longs(0));
                            t.add("data_offsets", longs(0, 0));
                            h.add("extra.weight", t);
                        }),
                "unexpected: [extra.weight]");
        // metadata says 4 hidden units, tensors are for 3
        fails(
                ShapeMismatchException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.HIDDEN, "4")),
                "lstm.0.weight_ih",
                "[16, 2]",
                "[12, 2]");
        fails(
                ShapeMismatchException.class,
                withHeader(h -> meta(h).addProperty(WeightMetadata.LAYERS, "1")),
                "unexpected: [lstm.1.bias, lstm.1.weight_hh, lstm.1.weight_ih]");
        // a shape with the right element count but the wrong dimensions
        fails(
                ShapeMismatchException.class,
                withHeader(h -> tensor(h, "lstm.0.weight_ih").add("shape", longs(2, 12))),
                "[12, 2]",
                "[2, 12]");
    }

    @Test
    void nonFiniteParametersAreRejected() {
        for (float bad :
                new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            byte[] b = VALID.clone();
            int spec = 2; // lstm.0.bias
            LstmWeights.TensorSpec s = LstmWeights.tensorSpecs(CONFIG).get(spec);
            int pos = 8 + headerLength() + 4 * (s.offset + 5);
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(pos, bad);
            fails(NonFiniteWeightException.class, b, "lstm.0.bias element 5", "" + bad);
        }
    }

    @Test
    void checksumIsVerifiedWhenGiven() throws Exception {
        Path f = dir.resolve("w.safetensors");
        Files.write(f, VALID);
        String good = Sha256.hex(VALID);
        assertEquals(CONFIG, WeightFiles.read(f, good).config());
        assertEquals(CONFIG, WeightFiles.read(f, good.toUpperCase()).config());
        String wrong = "0".repeat(64);
        ChecksumMismatchException e =
                assertThrows(ChecksumMismatchException.class, () -> WeightFiles.read(f, wrong));
        assertTrue(e.getMessage().contains(good), e.getMessage());
        assertTrue(e.getMessage().contains(wrong), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void pathReaderNamesTheFile() throws Exception {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[3]);
        WeightFileException e =
                assertThrows(TruncatedWeightFileException.class, () -> WeightFiles.read(f));
        assertEquals(f.toString(), e.source());
    }

    /**
     * Random corruption of a valid file (bit flips, byte overwrites, truncation) only ever yields a
     * {@link WeightFileException} or a successful read of finite weights.
     */
    @Test
    void fuzzedFilesOnlyEverThrowWeightFileException() {
        Random r = new Random(20261129L);
        int header = headerLength();
        int[] outcomes = new int[2];
        for (int iter = 0; iter < 1000; iter++) {
            byte[] b = VALID.clone();
            int mode = r.nextInt(4);
            if (mode != 3) {
                int flips = 1 + r.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    // most flips hit the length prefix or the header, where parsing happens
                    int pos =
                            r.nextInt(4) == 0
                                    ? r.nextInt(b.length)
                                    : r.nextInt(Math.min(b.length, 8 + header));
                    if (mode == 0) {
                        b[pos] ^= (byte) (1 << r.nextInt(8));
                    } else {
                        b[pos] = (byte) r.nextInt(256);
                    }
                }
            }
            if (mode >= 2) {
                b = Arrays.copyOf(b, r.nextInt(b.length + 1));
            }
            for (int entry = 0; entry < 2; entry++) {
                try {
                    LstmWeights w =
                            entry == 0
                                    ? WeightFiles.read(b, SRC)
                                    : WeightFiles.read(new ByteArrayInputStream(b), SRC);
                    for (float p : w.parameters()) {
                        assertTrue(Float.isFinite(p));
                    }
                    outcomes[0]++;
                } catch (WeightFileException e) {
                    assertTrue(e.getMessage().startsWith(SRC + ": "), e.getMessage());
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail(
                            "iteration "
                                    + iter
                                    + " (mode "
                                    + mode
                                    + ", entry "
                                    + entry
                                    + ") threw "
                                    + t,
                            t);
                }
            }
        }
        assertTrue(outcomes[1] > 500, "most corruptions are detected: " + outcomes[1]);
        // flips inside the tensor data that leave finite values cannot be detected by the format
        // itself (there is no checksum in safetensors): that is what the manifest's sha256 is for
        assertTrue(outcomes[0] > 0, "some corruptions read successfully: " + outcomes[0]);
    }
}
