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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

class GroupedWeightFilesTest {
    @TempDir Path dir;

    static final List<String> GROUPS =
            List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases");

    static GroupedWeights grouped(LstmConfig c) {
        List<LstmWeights> ws = new ArrayList<>();
        for (int g = 0; g < GROUPS.size(); g++) {
            ws.add(WeightFilesTest.randomWeights(c, 100 + g, Map.of()));
        }
        return GroupedWeights.of(GROUPS, ws, WeightFilesTest.provenance());
    }

    @Test
    void perGroupWeightsRoundTrip() throws Exception {
        for (LstmConfig c :
                new LstmConfig[] {
                    LstmConfig.paperDefaults(), LstmConfig.builder().layers(1).hidden(3).build()
                }) {
            GroupedWeights w = grouped(c);
            Path f = dir.resolve("g" + c.hidden() + ".safetensors");
            GroupedWeightFiles.write(f, w);
            GroupedWeights back = GroupedWeightFiles.read(f);
            assertFalse(back.isShared());
            assertEquals(GROUPS, back.groups());
            assertEquals(c, back.config());
            assertEquals(w.metadata(), back.metadata());
            for (int g = 0; g < GROUPS.size(); g++) {
                assertArrayEquals(w.weights(g).parameters(), back.weights(g).parameters());
            }
            // bytes are stable
            assertArrayEquals(Files.readAllBytes(f), GroupedWeightFiles.toBytes(back));
        }
    }

    @Test
    void headerHasGroupsKeyAndPrefixedTensorNames() throws Exception {
        byte[] b = GroupedWeightFiles.toBytes(grouped(LstmConfig.paperDefaults()));
        long len = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject h =
                JsonParser.parseString(new String(b, 8, (int) len, StandardCharsets.UTF_8))
                        .getAsJsonObject();
        assertEquals(
                String.join(",", GROUPS),
                h.getAsJsonObject("__metadata__").get(WeightMetadata.GROUPS).getAsString());
        assertTrue(h.has("conv-biases.lstm.0.weight_ih"));
        assertTrue(h.has("dense-biases.output.bias"));
        assertFalse(h.has("lstm.0.weight_ih"));
    }

    @Test
    void sharedFilesReadAsSharedAndWriteTodaysBytes() throws Exception {
        LstmWeights one =
                WeightFilesTest.randomWeights(
                        LstmConfig.paperDefaults(), 7, WeightFilesTest.provenance());
        Path f = dir.resolve("shared.safetensors");
        WeightFiles.write(f, one);
        GroupedWeights g = GroupedWeightFiles.read(f);
        assertTrue(g.isShared());
        assertArrayEquals(one.parameters(), g.weights(0).parameters());
        assertArrayEquals(Files.readAllBytes(f), GroupedWeightFiles.toBytes(g));
    }

    @Test
    void sharedReaderRefusesAPerGroupFileNamingTheGroups() throws Exception {
        Path f = dir.resolve("g.safetensors");
        GroupedWeightFiles.write(f, grouped(LstmConfig.paperDefaults()));
        WeightFileException e = assertThrows(WeightFileException.class, () -> WeightFiles.read(f));
        assertTrue(e.getMessage().contains("conv-kernels,conv-biases"), e.getMessage());
        assertTrue(e.getMessage().contains("GroupedWeightFiles"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        WeightFiles.toBytes(
                                new LstmWeights(
                                        LstmConfig.paperDefaults(),
                                        new float[LstmConfig.paperDefaults().numParameters()],
                                        Map.of(WeightMetadata.GROUPS, "a,b"))));
    }

    /** The bytes with the header replaced by {@code edit(header)} (data unchanged). */
    private static byte[] editHeader(byte[] b, java.util.function.Consumer<JsonObject> edit) {
        long len = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject h =
                JsonParser.parseString(new String(b, 8, (int) len, StandardCharsets.UTF_8))
                        .getAsJsonObject();
        edit.accept(h);
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(b, 8 + (int) len, b.length);
        ByteBuffer out =
                ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(data);
        return out.array();
    }

    @Test
    void malformedGroupedFilesNameTheProblem() {
        byte[] b =
                GroupedWeightFiles.toBytes(
                        grouped(LstmConfig.builder().layers(1).hidden(3).build()));
        // a group listed without tensors: the group's check names it and the missing tensors
        byte[] extraGroup =
                editHeader(
                        b,
                        h ->
                                h.getAsJsonObject("__metadata__")
                                        .addProperty(
                                                WeightMetadata.GROUPS,
                                                String.join(",", GROUPS) + ",pixels"));
        WeightFileException e =
                assertThrows(
                        WeightFileException.class,
                        () -> GroupedWeightFiles.read(extraGroup, "x.safetensors"));
        assertTrue(e.getMessage().contains("group 'pixels'"), e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        // a tensor of an unlisted group
        byte[] unlisted =
                editHeader(
                        b,
                        h ->
                                h.getAsJsonObject("__metadata__")
                                        .addProperty(
                                                WeightMetadata.GROUPS,
                                                "conv-kernels,conv-biases,dense-weights"));
        e =
                assertThrows(
                        WeightFileException.class,
                        () -> GroupedWeightFiles.read(unlisted, "x.safetensors"));
        assertTrue(e.getMessage().contains("dense-biases."), e.getMessage());
        // a bad group name
        byte[] badName =
                editHeader(
                        b,
                        h ->
                                h.getAsJsonObject("__metadata__")
                                        .addProperty(WeightMetadata.GROUPS, "a,,b"));
        assertThrows(
                MalformedHeaderException.class,
                () -> GroupedWeightFiles.read(badName, "x.safetensors"));
        // truncated data
        byte[] cut = Arrays.copyOf(b, b.length - 4);
        assertThrows(
                TruncatedWeightFileException.class,
                () -> GroupedWeightFiles.read(cut, "x.safetensors"));
        // a non-finite value, reported with its group
        byte[] nan = b.clone();
        ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(nan.length - 4, Float.NaN);
        e =
                assertThrows(
                        NonFiniteWeightException.class,
                        () -> GroupedWeightFiles.read(nan, "x.safetensors"));
        assertTrue(e.getMessage().contains("group 'dense-biases'"), e.getMessage());
    }
}
