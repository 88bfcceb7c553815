package org.l2o4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;

/** Weight files of the MLP cell: format version 2 with features, activation and head. */
class MlpWeightFilesTest {
    private static final String SRC = "mlp.safetensors";
    private static final LstmConfig CONFIG =
            LstmConfig.builder()
                    .cell(CellType.MLP)
                    .features(FeatureSet.parse("log-sign,rms,mom:0.5,mom:0.99"))
                    .activation(CellActivation.TANH)
                    .layers(2)
                    .hidden(6)
                    .logSignP(7)
                    .outputScale(0.01)
                    .build();
    private static final LstmWeights WEIGHTS =
            WeightFilesTest.randomWeights(CONFIG, 5, Map.of("seed", "5"));

    @Test
    void roundTripsWithVersionTwoAndTheArchitectureKeys() throws Exception {
        byte[] bytes = WeightFiles.toBytes(WEIGHTS);
        LstmWeights back = WeightFiles.read(bytes, SRC);
        assertEquals(CONFIG, back.config());
        assertArrayEquals(WEIGHTS.parameters(), back.parameters());
        assertEquals(Map.of("seed", "5"), back.metadata());
        Map<String, String> md = WeightFiles.fileMetadata(WEIGHTS);
        assertEquals("2", md.get(WeightMetadata.FORMAT_VERSION));
        assertEquals("mlp", md.get(WeightMetadata.CELL));
        assertEquals("log-sign,rms,mom:0.5,mom:0.99", md.get(WeightMetadata.FEATURES));
        assertEquals("tanh", md.get(WeightMetadata.ACTIVATION));
        assertEquals("linear", md.get(WeightMetadata.HEAD));
        JsonObject h = header(bytes);
        assertTrue(h.has("mlp.0.weight") && h.has("mlp.1.bias") && h.has("output.weight"));
        // the loaded optimizer steps bit-identically to the original one
        float[] g = {1e-3f, -2f, 0.5f, 1e-9f, 3e-5f};
        float[] u1 = new float[g.length];
        float[] u2 = new float[g.length];
        OptimizerState s1 = LstmOptimizer.of(WEIGHTS).newState(g.length);
        OptimizerState s2 = LstmOptimizer.of(back).newState(g.length);
        for (int t = 0; t < 3; t++) {
            LstmOptimizer.of(WEIGHTS).step(s1, g, u1);
            LstmOptimizer.of(back).step(s2, g, u2);
            assertArrayEquals(u1, u2);
        }
    }

    /** The param feature is one more id in the features key: still version 2. */
    @Test
    void paramFeatureRoundTripsForMlpAndGru() throws Exception {
        for (CellType cell : new CellType[] {CellType.MLP, CellType.GRU}) {
            LstmConfig c =
                    LstmConfig.builder()
                            .cell(cell)
                            .features(FeatureSet.parse("rms,mom:0.5,mom:0.9,param"))
                            .layers(2)
                            .hidden(4)
                            .outputScale(0.05)
                            .build();
            LstmWeights w = WeightFilesTest.randomWeights(c, 7, Map.of());
            byte[] bytes = WeightFiles.toBytes(w);
            LstmWeights back = WeightFiles.read(bytes, SRC);
            assertEquals(c, back.config(), cell.id());
            assertTrue(back.config().features().needsParam());
            assertArrayEquals(w.parameters(), back.parameters());
            Map<String, String> md = WeightFiles.fileMetadata(w);
            assertEquals("2", md.get(WeightMetadata.FORMAT_VERSION));
            assertEquals("rms,mom:0.5,mom:0.9,param", md.get(WeightMetadata.FEATURES));
            float[] theta = {0.3f, -1f, 2e-3f, 0f, 7f};
            float[] g = {1e-3f, -2f, 0.5f, 1e-9f, 3e-5f};
            float[] u1 = new float[g.length];
            float[] u2 = new float[g.length];
            LstmOptimizer o1 = LstmOptimizer.of(w);
            LstmOptimizer o2 = LstmOptimizer.of(back);
            OptimizerState s1 = o1.newState(g.length);
            OptimizerState s2 = o2.newState(g.length);
            for (int t = 0; t < 3; t++) {
                o1.step(s1, theta, g, u1);
                o2.step(s2, theta, g, u2);
                assertArrayEquals(u1, u2);
            }
        }
        // the error for an unknown feature lists it
        fails(
                edit(h -> meta(h).addProperty(WeightMetadata.FEATURES, "log-sign,rms,mom:0.5,prm")),
                "'features'",
                "'prm'",
                "mom:B (0 < B < 1), time:TAU (TAU > 0 steps), param");
    }

    @Test
    void gruRoundTripsWithoutAnActivationKey() throws Exception {
        LstmConfig c =
                LstmConfig.builder()
                        .cell(CellType.GRU)
                        .features(FeatureSet.parse("grad,mom:0.9"))
                        .layers(2)
                        .hidden(3)
                        .build();
        LstmWeights w = WeightFilesTest.randomWeights(c, 6, Map.of());
        byte[] bytes = WeightFiles.toBytes(w);
        LstmWeights back = WeightFiles.read(bytes, SRC);
        assertEquals(c, back.config());
        assertArrayEquals(w.parameters(), back.parameters());
        Map<String, String> md = WeightFiles.fileMetadata(w);
        assertEquals("2", md.get(WeightMetadata.FORMAT_VERSION));
        assertEquals("gru", md.get(WeightMetadata.CELL));
        assertFalse(md.containsKey(WeightMetadata.ACTIVATION));
        JsonObject h = header(bytes);
        assertTrue(h.has("gru.1.weight_ih") && h.has("gru.1.bias_hh"));
    }

    @Test
    void lstmFilesStayVersionOneWithTodaysKeys() {
        LstmWeights lstm = WeightFilesTest.randomWeights(LstmConfig.paperDefaults(), 3, Map.of());
        Map<String, String> md = WeightFiles.fileMetadata(lstm);
        assertEquals("1", md.get(WeightMetadata.FORMAT_VERSION));
        assertFalse(md.containsKey(WeightMetadata.FEATURES));
        assertFalse(md.containsKey(WeightMetadata.ACTIVATION));
        assertFalse(md.containsKey(WeightMetadata.HEAD));
    }

    @Test
    void unknownCellFeatureActivationOrHeadNameExpectedAndFound() {
        fails(
                edit(h -> meta(h).addProperty(WeightMetadata.CELL, "rnn")),
                "'rnn'",
                "lstm, mlp, gru");
        fails(
                edit(h -> meta(h).addProperty(WeightMetadata.FEATURES, "rms,adam")),
                "'features'",
                "'adam'",
                "expected one of log-sign, grad, rms, mom:B");
        fails(
                edit(h -> meta(h).addProperty(WeightMetadata.ACTIVATION, "gelu")),
                "'gelu'",
                "relu, tanh");
        fails(
                edit(h -> meta(h).addProperty(WeightMetadata.HEAD, "exp")),
                "'exp'",
                "expected one of linear");
        fails(
                edit(h -> meta(h).remove(WeightMetadata.FEATURES)),
                "expected metadata key 'features'");
        fails(
                edit(h -> meta(h).addProperty(WeightMetadata.FORMAT_VERSION, "1")),
                "format_version 1 files hold the lstm cell only");
        // features that change the input size: the tensors no longer fit
        assertThrows(
                WeightFileException.class,
                () ->
                        WeightFiles.read(
                                edit(h -> meta(h).addProperty(WeightMetadata.FEATURES, "rms")),
                                SRC));
    }

    private static void fails(byte[] bytes, String... fragments) {
        WeightFileException e =
                assertThrows(MalformedHeaderException.class, () -> WeightFiles.read(bytes, SRC));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
        }
    }

    private static JsonObject header(byte[] bytes) {
        int len = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return JsonParser.parseString(new String(bytes, 8, len, StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    private static JsonObject meta(JsonObject h) {
        return h.getAsJsonObject(WeightFiles.METADATA_KEY);
    }

    private static byte[] edit(Consumer<JsonObject> e) {
        byte[] valid = WeightFiles.toBytes(WEIGHTS);
        int len = (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject h = header(valid);
        e.accept(h);
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(valid, 8 + len, valid.length);
        ByteBuffer b =
                ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(data);
        return b.array();
    }
}
