package org.l2o4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;

class WeightFilesTest {
    @TempDir Path dir;

    /** Random weights for tests (a test fixture, never shipped). */
    static LstmWeights randomWeights(LstmConfig c, long seed, Map<String, String> meta) {
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian() * 0.3f;
        }
        return new LstmWeights(c, p, meta);
    }

    static Map<String, String> provenance() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(WeightMetadata.TASK_FAMILY, "quadratic");
        m.put(WeightMetadata.WEIGHTING, "uniform");
        m.put(WeightMetadata.HORIZON, "100");
        m.put(WeightMetadata.UNROLL, "20");
        m.put(WeightMetadata.SEED, "42");
        m.put(WeightMetadata.COMMAND, "bin/l2o meta-train --task quadratic \"<x>\" & 'y'");
        m.put("custom", "ünïcödé ✓");
        return m;
    }

    @Test
    void roundTripsParametersMetadataAndArchitecture() throws Exception {
        for (LstmConfig c :
                new LstmConfig[] {
                    LstmConfig.paperDefaults(),
                    LstmConfig.builder().layers(1).hidden(3).build(),
                    LstmConfig.builder()
                            .layers(3)
                            .hidden(5)
                            .preprocessing(Preprocessing.NONE)
                            .logSignP(7.5)
                            .outputScale(0.037)
                            .build()
                }) {
            LstmWeights w = randomWeights(c, 7, provenance());
            Path f = dir.resolve("sub/dir/w.safetensors");
            WeightFiles.write(f, w);
            LstmWeights back = WeightFiles.read(f);
            assertEquals(c, back.config());
            assertArrayEquals(w.parameters(), back.parameters());
            assertEquals(provenance(), back.metadata());
            // the same through the stream and byte[] entry points
            byte[] bytes = Files.readAllBytes(f);
            assertArrayEquals(bytes, WeightFiles.toBytes(w));
            assertArrayEquals(
                    w.parameters(),
                    WeightFiles.read(new ByteArrayInputStream(bytes), "stream").parameters());
            assertArrayEquals(w.parameters(), WeightFiles.read(bytes, "bytes").parameters());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            WeightFiles.write(out, w);
            assertArrayEquals(bytes, out.toByteArray());
        }
    }

    @Test
    void headerIsSafetensorsWithAlignedDataAndAllMetadata() throws Exception {
        LstmConfig c = LstmConfig.builder().layers(2).hidden(4).build();
        LstmWeights w = randomWeights(c, 1, provenance());
        byte[] bytes = WeightFiles.toBytes(w);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
        assertEquals(8 + n + 4L * c.numParameters(), bytes.length);
        JsonObject h =
                JsonParser.parseString(new String(bytes, 8, (int) n, StandardCharsets.UTF_8))
                        .getAsJsonObject();
        JsonObject meta = h.getAsJsonObject(WeightFiles.METADATA_KEY);
        assertEquals("l2o4j-lstm-optimizer", meta.get(WeightMetadata.FORMAT).getAsString());
        assertEquals("1", meta.get(WeightMetadata.FORMAT_VERSION).getAsString());
        assertEquals("lstm", meta.get(WeightMetadata.CELL).getAsString());
        assertEquals("2", meta.get(WeightMetadata.LAYERS).getAsString());
        assertEquals("4", meta.get(WeightMetadata.HIDDEN).getAsString());
        assertEquals("log-sign", meta.get(WeightMetadata.PREPROCESSING).getAsString());
        assertEquals(10.0, Double.parseDouble(meta.get(WeightMetadata.LOG_SIGN_P).getAsString()));
        assertEquals(0.1, Double.parseDouble(meta.get(WeightMetadata.OUTPUT_SCALE).getAsString()));
        assertEquals(
                "add: theta <- theta + update",
                meta.get(WeightMetadata.SIGN_CONVENTION).getAsString());
        for (Map.Entry<String, String> e : provenance().entrySet()) {
            assertEquals(e.getValue(), meta.get(e.getKey()).getAsString());
        }
        // every tensor of the canonical layout, F32, with its data where the offsets say
        ByteBuffer data =
                ByteBuffer.wrap(bytes, 8 + (int) n, bytes.length - 8 - (int) n)
                        .slice()
                        .order(ByteOrder.LITTLE_ENDIAN);
        float[] p = w.parameters();
        assertEquals(LstmWeights.tensorSpecs(c).size() + 1, h.size());
        for (LstmWeights.TensorSpec s : LstmWeights.tensorSpecs(c)) {
            JsonObject t = h.getAsJsonObject(s.name);
            assertEquals("F32", t.get("dtype").getAsString());
            assertEquals(s.shape.length, t.getAsJsonArray("shape").size());
            for (int d = 0; d < s.shape.length; d++) {
                assertEquals(s.shape[d], t.getAsJsonArray("shape").get(d).getAsInt());
            }
            int begin = t.getAsJsonArray("data_offsets").get(0).getAsInt();
            for (int k = 0; k < s.size(); k++) {
                assertEquals(p[s.offset + k], data.getFloat(begin + 4 * k));
            }
        }
    }

    @Test
    void writeIsAtomicAndLeavesNoTemporaryFiles() throws Exception {
        LstmConfig c = LstmConfig.builder().layers(1).hidden(2).build();
        Path f = dir.resolve("w.safetensors");
        WeightFiles.write(f, randomWeights(c, 1, Map.of()));
        WeightFiles.write(f, randomWeights(c, 2, Map.of("seed", "2")));
        assertEquals("2", WeightFiles.read(f).metadata().get("seed"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the target remains");
        }
    }

    @Test
    void reservedMetadataKeysCannotContradictTheArchitecture() {
        LstmConfig c = LstmConfig.builder().layers(1).hidden(2).build();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                WeightFiles.toBytes(
                                        randomWeights(c, 1, Map.of(WeightMetadata.HIDDEN, "5"))));
        assertTrue(e.getMessage().contains("hidden"), e.getMessage());
        // the same value is accepted and not duplicated
        LstmWeights ok = randomWeights(c, 1, Map.of(WeightMetadata.HIDDEN, "2"));
        assertFalse(
                new String(WeightFiles.toBytes(ok), StandardCharsets.UTF_8)
                        .replaceFirst("\"hidden\"", "")
                        .contains("\"hidden\""));
    }
}
