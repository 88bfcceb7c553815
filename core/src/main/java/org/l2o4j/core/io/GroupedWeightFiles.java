package org.l2o4j.core.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * Reads and writes per-group optimizer weights ({@link GroupedWeights}) as one safetensors file.
 *
 * <p>Format: a {@link WeightFiles} file whose {@code __metadata__} has, besides the format,
 * architecture and provenance keys, the key {@value WeightMetadata#GROUPS}: the group names in
 * order, comma-separated. Group {@code g}'s tensors are named {@code g + "."} + the names of {@link
 * LstmWeights#tensorSpecs} (e.g. {@code conv-kernels.lstm.0.weight_ih}), laid out group after group
 * in canonical order. All groups share the architecture and the provenance. A file without {@value
 * WeightMetadata#GROUPS} is one shared weight set ({@link GroupedWeights#shared}): {@link #read}
 * reads both kinds, so every existing weight file loads unchanged, and {@link #write} of a shared
 * set writes exactly the bytes of {@link WeightFiles#toBytes}.
 *
 * <p>Reading checks the whole file (header length, JSON, tensor offsets tiling the data, tensor
 * names belonging to a listed group) and then each group exactly as {@link WeightFiles} checks a
 * file (architecture, shapes, finite values), with errors naming the file and the group.
 */
public final class GroupedWeightFiles {
    private GroupedWeightFiles() {}

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /**
     * Writes {@code w} to {@code file} atomically (see {@link WeightFiles#write(Path,
     * LstmWeights)}).
     */
    public static void write(Path file, GroupedWeights w) throws IOException {
        AtomicFiles.write(file, toBytes(w));
    }

    /** The file's bytes for {@code w}. */
    public static byte[] toBytes(GroupedWeights w) {
        LstmConfig c = w.config();
        if (w.isShared()) {
            return WeightFiles.toBytes(w.weights(0).withMetadata(w.metadata()));
        }
        Map<String, String> meta =
                WeightFiles.fileMetadata(
                        new LstmWeights(c, w.weights(0).parameters(), w.metadata()));
        meta.put(WeightMetadata.GROUPS, String.join(",", w.groups()));
        JsonObject header = new JsonObject();
        JsonObject m = new JsonObject();
        meta.forEach(m::addProperty);
        header.add(WeightFiles.METADATA_KEY, m);
        int p = c.numParameters();
        for (int g = 0; g < w.groups().size(); g++) {
            for (LstmWeights.TensorSpec spec : LstmWeights.tensorSpecs(c)) {
                JsonObject t = new JsonObject();
                t.addProperty("dtype", WeightFiles.DTYPE);
                JsonArray shape = new JsonArray();
                for (int d : spec.shape) {
                    shape.add(d);
                }
                t.add("shape", shape);
                JsonArray offsets = new JsonArray();
                offsets.add(4L * ((long) g * p + spec.offset));
                offsets.add(4L * ((long) g * p + spec.offset + spec.size()));
                t.add("data_offsets", offsets);
                header.add(w.groups().get(g) + "." + spec.name, t);
            }
        }
        return assemble(header, w.concatenatedParameters());
    }

    private static byte[] assemble(JsonObject header, float[] params) {
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buf =
                ByteBuffer.allocate(8 + padded + 4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded);
        buf.put(json);
        for (int i = json.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (float v : params) {
            buf.putFloat(v);
        }
        return buf.array();
    }

    /**
     * Reads a shared or per-group weight file.
     *
     * @throws WeightFileException (a subtype) naming the file, and the group where one is at fault
     * @throws IOException if the file cannot be read
     */
    public static GroupedWeights read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new WeightFileException(
                    file.toString(), "is a directory, not a weight file (.safetensors)");
        }
        long size = Files.size(file);
        long max =
                8
                        + WeightFiles.MAX_HEADER_BYTES
                        + 4L * WeightFiles.maxParameters() * GroupedWeights.MAX_GROUPS;
        if (size > max) {
            throw new MalformedHeaderException(
                    file.toString(),
                    "expected a weight file of at most " + max + " bytes but it has " + size);
        }
        return read(Files.readAllBytes(file), file.toString());
    }

    /** Whether the file's metadata has {@value WeightMetadata#GROUPS} (a per-group file). */
    public static boolean isGrouped(byte[] bytes, String src) throws WeightFileException {
        return parse(bytes, src).meta.has(WeightMetadata.GROUPS);
    }

    /**
     * Reads a shared or per-group weight file from its bytes.
     *
     * @param src names the bytes in error messages
     */
    public static GroupedWeights read(byte[] bytes, String src) throws WeightFileException {
        Parsed parsed = parse(bytes, src);
        JsonElement groupsEl = parsed.meta.get(WeightMetadata.GROUPS);
        if (groupsEl == null) {
            return GroupedWeights.shared(WeightFiles.read(bytes, src));
        }
        if (!groupsEl.isJsonPrimitive() || !groupsEl.getAsJsonPrimitive().isString()) {
            throw new MalformedHeaderException(
                    src,
                    "expected metadata '"
                            + WeightMetadata.GROUPS
                            + "' to be a comma-separated string of group names but found "
                            + StrictJson.kind(groupsEl));
        }
        List<String> groups = Arrays.asList(groupsEl.getAsString().split(",", -1));
        try {
            GroupedWeights.checkNames(groups);
        } catch (IllegalArgumentException e) {
            throw new MalformedHeaderException(
                    src, "bad metadata '" + WeightMetadata.GROUPS + "': " + e.getMessage(), e);
        }
        // Check the tensors tile the data and belong to a group, then hand each group to
        // WeightFiles as a file of its own (so it is validated exactly like a shared file).
        long dataLen = bytes.length - 8L - parsed.headerLen;
        List<long[]> spans = new ArrayList<>();
        Map<String, List<Map.Entry<String, JsonElement>>> byGroup = new LinkedHashMap<>();
        for (String g : groups) {
            byGroup.put(g, new ArrayList<>());
        }
        for (Map.Entry<String, JsonElement> e : parsed.header.entrySet()) {
            String name = e.getKey();
            if (name.equals(WeightFiles.METADATA_KEY)) {
                continue;
            }
            int dot = name.indexOf('.');
            String g = dot < 0 ? null : name.substring(0, dot);
            if (g == null || !byGroup.containsKey(g)) {
                throw new ShapeMismatchException(
                        src,
                        "expected every tensor to be named '<group>.<tensor>' with a group of "
                                + groups
                                + " but found tensor '"
                                + name
                                + "'");
            }
            long[] span = offsets(e.getValue(), name, src);
            spans.add(span);
            byGroup.get(g).add(e);
        }
        spans.sort((a, b) -> Long.compare(a[0], b[0]));
        long pos = 0;
        for (long[] s : spans) {
            if (s[0] != pos || s[1] < s[0]) {
                throw new MalformedHeaderException(
                        src,
                        "expected the tensors' data_offsets to tile the data without holes or"
                                + " overlaps but one spans ["
                                + s[0]
                                + ", "
                                + s[1]
                                + "] where byte "
                                + pos
                                + " was expected");
            }
            pos = s[1];
        }
        if (pos != dataLen) {
            throw (pos > dataLen)
                    ? new TruncatedWeightFileException(
                            src,
                            "the data offsets need "
                                    + pos
                                    + " bytes of tensor data but only "
                                    + dataLen
                                    + " follow the header")
                    : new MalformedHeaderException(
                            src,
                            "expected "
                                    + pos
                                    + " bytes of tensor data after the header but found "
                                    + dataLen);
        }
        JsonObject meta = parsed.meta.deepCopy();
        meta.remove(WeightMetadata.GROUPS);
        int dataStart = 8 + (int) parsed.headerLen;
        List<LstmWeights> ws = new ArrayList<>();
        for (String g : groups) {
            JsonObject sub = new JsonObject();
            sub.add(WeightFiles.METADATA_KEY, meta);
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            for (Map.Entry<String, JsonElement> e : byGroup.get(g)) {
                JsonObject t = e.getValue().getAsJsonObject().deepCopy();
                long[] span = offsets(t, e.getKey(), src);
                JsonArray o = new JsonArray();
                o.add((long) data.size());
                o.add((long) data.size() + span[1] - span[0]);
                t.add("data_offsets", o);
                data.write(bytes, dataStart + (int) span[0], (int) (span[1] - span[0]));
                sub.add(e.getKey().substring(g.length() + 1), t);
            }
            byte[] json = GSON.toJson(sub).getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf =
                    ByteBuffer.allocate(8 + json.length + data.size())
                            .order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(json.length);
            buf.put(json);
            buf.put(data.toByteArray());
            ws.add(WeightFiles.read(buf.array(), src + " (group '" + g + "')"));
        }
        return GroupedWeights.of(groups, ws, ws.get(0).metadata());
    }

    /** A header, structurally valid as far as the group split needs. */
    private static final class Parsed {
        long headerLen;
        JsonObject header;
        JsonObject meta;
    }

    private static Parsed parse(byte[] bytes, String src) throws WeightFileException {
        if (bytes.length < 8) {
            throw new TruncatedWeightFileException(
                    src,
                    "expected at least 8 bytes (the little-endian header length of a safetensors"
                            + " file) but found "
                            + bytes.length);
        }
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen < 2
                || headerLen > WeightFiles.MAX_HEADER_BYTES
                || headerLen > bytes.length - 8) {
            throw new MalformedHeaderException(
                    src,
                    "expected a header length of 2 to "
                            + Math.min(WeightFiles.MAX_HEADER_BYTES, bytes.length - 8)
                            + " bytes but found "
                            + Long.toUnsignedString(headerLen)
                            + " (truncated, or not a safetensors file?)");
        }
        JsonElement root;
        try {
            root = StrictJson.parse(Arrays.copyOfRange(bytes, 8, 8 + (int) headerLen));
        } catch (StrictJson.SyntaxError e) {
            throw new MalformedHeaderException(
                    src, "expected a JSON object header but " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new MalformedHeaderException(
                    src, "expected a JSON object header but found " + StrictJson.kind(root));
        }
        JsonElement m = root.getAsJsonObject().get(WeightFiles.METADATA_KEY);
        if (m == null || !m.isJsonObject()) {
            throw new MalformedHeaderException(
                    src,
                    "expected a "
                            + WeightFiles.METADATA_KEY
                            + " map but found "
                            + StrictJson.kind(m)
                            + " (not an l2o4j weight file?)");
        }
        Parsed p = new Parsed();
        p.headerLen = headerLen;
        p.header = root.getAsJsonObject();
        p.meta = m.getAsJsonObject();
        return p;
    }

    private static long[] offsets(JsonElement t, String name, String src)
            throws MalformedHeaderException {
        JsonElement o = t.isJsonObject() ? t.getAsJsonObject().get("data_offsets") : null;
        if (o == null || !o.isJsonArray() || o.getAsJsonArray().size() != 2) {
            throw new MalformedHeaderException(
                    src, "expected tensor '" + name + "' to have data_offsets [begin, end]");
        }
        long[] out = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonElement x = o.getAsJsonArray().get(i);
            long v = -1;
            try {
                v = x.getAsBigDecimal().longValueExact();
            } catch (RuntimeException e) {
                v = -1;
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new MalformedHeaderException(
                        src,
                        "expected data_offsets of tensor '"
                                + name
                                + "' to hold integers in [0, 2^31) but found "
                                + x);
            }
            out[i] = v;
        }
        return out;
    }
}
