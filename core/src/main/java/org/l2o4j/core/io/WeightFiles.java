package org.l2o4j.core.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.OutputHead;
import org.l2o4j.core.lstm.Preprocessing;

/**
 * Reads and writes optimizer weights as <a
 * href="https://huggingface.co/docs/safetensors/index">safetensors</a> files.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of UTF-8
 * JSON (padded with spaces so the data starts at a multiple of 8); then the tensor data, F32
 * little-endian. The JSON maps each tensor name of {@link LstmWeights#tensorSpecs(LstmConfig)} to
 * {@code {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}} (offsets relative to the
 * start of the data) and holds a {@code __metadata__} string-to-string map with the format, the
 * architecture (see {@link WeightMetadata}) and the provenance of {@link LstmWeights#metadata()}.
 * Such a file is readable from Python with numpy alone ({@code tools/safetensors_check.py}) and by
 * the {@code safetensors} package.
 *
 * <p>Reading validates everything before trusting it: the header length is capped at {@link
 * #MAX_HEADER_BYTES} and checked against the file size; nothing is allocated from a size in the
 * file before that size has been checked against the architecture and the bytes actually present.
 * Every failure is a {@link WeightFileException} subtype naming the source, what was expected and
 * what was found.
 */
public final class WeightFiles {
    private WeightFiles() {}

    /** The largest JSON header accepted, in bytes (100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** The only dtype written and accepted. */
    public static final String DTYPE = "F32";

    /** The header key of the metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    // ------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes {@code weights} to {@code file} atomically: the bytes go to a temporary file in the
     * same directory, which is then renamed over {@code file}. Missing parent directories are
     * created.
     *
     * @throws IllegalArgumentException if the metadata redefines a format or architecture key
     *     ({@link WeightMetadata#RESERVED}) with another value
     * @throws IOException if writing fails (the target is then left untouched)
     */
    public static void write(Path file, LstmWeights weights) throws IOException {
        AtomicFiles.write(file, toBytes(weights));
    }

    /** Writes {@code weights} in the file format to {@code out} (not closed). */
    public static void write(OutputStream out, LstmWeights weights) throws IOException {
        out.write(toBytes(weights));
    }

    /** The file's bytes for {@code weights}. */
    public static byte[] toBytes(LstmWeights weights) {
        LstmConfig c = weights.config();
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        fileMetadata(weights).forEach(meta::addProperty);
        header.add(METADATA_KEY, meta);
        for (LstmWeights.TensorSpec spec : LstmWeights.tensorSpecs(c)) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", DTYPE);
            JsonArray shape = new JsonArray();
            for (int d : spec.shape) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(4L * spec.offset);
            offsets.add(4L * (spec.offset + spec.size()));
            t.add("data_offsets", offsets);
            header.add(spec.name, t);
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        float[] params = weights.parameters();
        ByteBuffer buf =
                ByteBuffer.allocate(8 + padded + 4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded);
        buf.put(json);
        for (int i = json.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (float p : params) {
            buf.putFloat(p);
        }
        return buf.array();
    }

    /**
     * The complete {@code __metadata__} map written for {@code weights}: format, version,
     * architecture and sign convention, then every entry of {@link LstmWeights#metadata()} as
     * given.
     *
     * @throws IllegalArgumentException if the metadata has a null value or redefines a reserved key
     *     with another value
     */
    public static Map<String, String> fileMetadata(LstmWeights weights) {
        LstmConfig c = weights.config();
        Map<String, String> m = new LinkedHashMap<>();
        m.put(WeightMetadata.FORMAT, WeightMetadata.FORMAT_NAME);
        // version 1 (exactly today's keys) for the LSTM, version 2 for another cell
        boolean v1 = c.isLstm();
        m.put(
                WeightMetadata.FORMAT_VERSION,
                v1 ? WeightMetadata.CURRENT_FORMAT_VERSION : WeightMetadata.CELLS_FORMAT_VERSION);
        m.put(WeightMetadata.CELL, c.cell().id());
        m.put(WeightMetadata.LAYERS, Integer.toString(c.layers()));
        m.put(WeightMetadata.HIDDEN, Integer.toString(c.hidden()));
        m.put(WeightMetadata.PREPROCESSING, c.preprocessing().id());
        m.put(WeightMetadata.LOG_SIGN_P, Double.toString(c.logSignP()));
        m.put(WeightMetadata.OUTPUT_SCALE, Double.toString(c.outputScale()));
        if (!v1) {
            m.put(WeightMetadata.FEATURES, c.features().id());
            if (c.cell() == CellType.MLP) {
                m.put(WeightMetadata.ACTIVATION, c.activation().id());
            }
            m.put(WeightMetadata.HEAD, c.head().id());
        }
        m.put(WeightMetadata.SIGN_CONVENTION, WeightMetadata.SIGN_CONVENTION_ADD);
        for (Map.Entry<String, String> e : weights.metadata().entrySet()) {
            String k = Objects.requireNonNull(e.getKey(), "metadata key");
            if (k.equals(WeightMetadata.GROUPS)) {
                throw new IllegalArgumentException(
                        "Metadata key '"
                                + k
                                + "' is reserved for per-group weight files (GroupedWeightFiles)");
            }
            String v = e.getValue();
            if (v == null) {
                throw new IllegalArgumentException("Metadata '" + k + "' has a null value");
            }
            if (m.containsKey(k)) {
                if (!m.get(k).equals(v)) {
                    throw new IllegalArgumentException(
                            "Metadata key '"
                                    + k
                                    + "' is written from the architecture/format as '"
                                    + m.get(k)
                                    + "' but the weights' metadata says '"
                                    + v
                                    + "'");
                }
                continue;
            }
            m.put(k, v);
        }
        return m;
    }

    // ------------------------------------------------------------------------------------------
    // Reading

    /**
     * Reads a weight file.
     *
     * @throws WeightFileException (a subtype) if the file is not a valid l2o4j weight file
     * @throws IOException if the file cannot be read
     */
    public static LstmWeights read(Path file) throws IOException {
        checkNotDirectory(file);
        long size = Files.size(file);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), size);
        }
    }

    /**
     * Reads a weight file from a stream (read to its end, not closed).
     *
     * @param sourceName names the stream in error messages
     * @throws WeightFileException (a subtype) if the bytes are not a valid l2o4j weight file
     * @throws IOException if the stream fails
     */
    public static LstmWeights read(InputStream in, String sourceName) throws IOException {
        return read(in, sourceName, -1);
    }

    /**
     * Reads a weight file from its bytes.
     *
     * @param sourceName names the bytes in error messages
     * @throws WeightFileException (a subtype) if the bytes are not a valid l2o4j weight file
     */
    public static LstmWeights read(byte[] bytes, String sourceName) throws WeightFileException {
        try {
            return read(new ByteArrayInputStream(bytes), sourceName, bytes.length);
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(sourceName, "unexpected I/O failure on bytes", e);
        }
    }

    /**
     * Reads a weight file and checks its SHA-256 first.
     *
     * @param expectedSha256 the expected hash, 64 hex digits
     * @throws ChecksumMismatchException naming both hashes if they differ
     */
    public static LstmWeights read(Path file, String expectedSha256) throws IOException {
        checkNotDirectory(file);
        long size = Files.size(file);
        long max = 8 + MAX_HEADER_BYTES + 4L * maxParameters();
        if (size > max) {
            throw new MalformedHeaderException(
                    file.toString(),
                    "expected a weight file of at most " + max + " bytes but it has " + size);
        }
        byte[] bytes = Files.readAllBytes(file);
        Sha256.verify(expectedSha256, Sha256.hex(bytes), file.toString());
        return read(bytes, file.toString());
    }

    private static void checkNotDirectory(Path file) throws WeightFileException {
        if (Files.isDirectory(file)) {
            throw new WeightFileException(
                    file.toString(), "is a directory, not a weight file (.safetensors)");
        }
    }

    /** The most parameters any valid architecture has (8 layers of 1024 units, 2 inputs). */
    static int maxParameters() {
        return LstmConfig.builder().layers(8).hidden(1024).build().numParameters();
    }

    /** One tensor entry of the header, structurally valid. */
    private static final class Entry {
        final String name;
        final long[] shape;
        final long begin;
        final long end;

        Entry(String name, long[] shape, long begin, long end) {
            this.name = name;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    private static LstmWeights read(InputStream in, String src, long knownSize) throws IOException {
        byte[] lenBytes = in.readNBytes(8);
        if (lenBytes.length < 8) {
            throw new TruncatedWeightFileException(
                    src,
                    "expected at least 8 bytes (the little-endian header length of a safetensors"
                            + " file) but found "
                            + lenBytes.length);
        }
        long headerLen = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
            throw new MalformedHeaderException(
                    src,
                    "expected a header length of at most "
                            + MAX_HEADER_BYTES
                            + " bytes but found "
                            + Long.toUnsignedString(headerLen)
                            + " (not a safetensors file?)");
        }
        if (knownSize >= 0 && headerLen > knownSize - 8) {
            throw new TruncatedWeightFileException(
                    src,
                    "header length "
                            + headerLen
                            + " exceeds the "
                            + (knownSize - 8)
                            + " bytes that follow it (truncated, or not a safetensors file?)");
        }
        if (headerLen < 2) {
            throw new MalformedHeaderException(
                    src,
                    "expected a JSON object header (at least 2 bytes) but the header length is "
                            + headerLen);
        }
        byte[] headerBytes = in.readNBytes((int) headerLen);
        if (headerBytes.length < headerLen) {
            throw new TruncatedWeightFileException(
                    src,
                    "expected a "
                            + headerLen
                            + "-byte header but the stream ends after "
                            + headerBytes.length
                            + " bytes");
        }
        JsonObject header = parseJson(headerBytes, src);
        Map<String, String> meta = parseMetadata(header, src);
        if (meta.containsKey(WeightMetadata.GROUPS)) {
            throw new WeightFileException(
                    src,
                    "expected one shared weight set but this is a per-group weight file (groups: "
                            + meta.get(WeightMetadata.GROUPS)
                            + "); load it with GroupedWeightFiles.read (bin/l2o evaluate does)");
        }
        LstmConfig config = configFrom(meta, src);
        List<Entry> entries = parseEntries(header, src);
        List<LstmWeights.TensorSpec> specs = LstmWeights.tensorSpecs(config);
        checkAgainstArchitecture(entries, specs, config, src);
        long dataLen = checkOffsets(entries, src);
        if (knownSize >= 0) {
            long available = knownSize - 8 - headerLen;
            if (available < dataLen) {
                throw new TruncatedWeightFileException(
                        src,
                        "the data offsets need "
                                + dataLen
                                + " bytes of tensor data but only "
                                + available
                                + " follow the header");
            }
            if (available > dataLen) {
                throw new MalformedHeaderException(
                        src,
                        "expected "
                                + dataLen
                                + " bytes of tensor data after the header but found "
                                + available
                                + " (bytes not covered by any tensor)");
            }
        }
        // dataLen == 4 * config.numParameters() here, bounded by the architecture limits.
        byte[] data = in.readNBytes((int) dataLen);
        if (data.length < dataLen) {
            throw new TruncatedWeightFileException(
                    src,
                    "the data offsets need "
                            + dataLen
                            + " bytes of tensor data but the stream ends after "
                            + data.length);
        }
        if (knownSize < 0 && in.read() != -1) {
            throw new MalformedHeaderException(
                    src,
                    "expected the stream to end after "
                            + dataLen
                            + " bytes of tensor data but it continues (bytes not covered by any"
                            + " tensor)");
        }
        float[] params = new float[config.numParameters()];
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : entries) {
            byName.put(e.name, e);
        }
        for (LstmWeights.TensorSpec spec : specs) {
            Entry e = byName.get(spec.name);
            int base = (int) e.begin;
            for (int k = 0; k < spec.size(); k++) {
                float v = buf.getFloat(base + 4 * k);
                if (!Float.isFinite(v)) {
                    throw new NonFiniteWeightException(
                            src,
                            "expected finite parameters but tensor "
                                    + spec.name
                                    + " element "
                                    + k
                                    + " is "
                                    + v);
                }
                params[spec.offset + k] = v;
            }
        }
        Map<String, String> provenance = new LinkedHashMap<>();
        for (Map.Entry<String, String> m : meta.entrySet()) {
            if (!WeightMetadata.isReserved(m.getKey())) {
                provenance.put(m.getKey(), m.getValue());
            }
        }
        warnIfUnusual(config, src);
        return new LstmWeights(config, params, provenance);
    }

    private static JsonObject parseJson(byte[] headerBytes, String src)
            throws MalformedHeaderException {
        JsonElement root;
        try {
            root = StrictJson.parse(headerBytes);
        } catch (StrictJson.SyntaxError e) {
            throw new MalformedHeaderException(
                    src, "expected a JSON object header but " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new MalformedHeaderException(
                    src, "expected a JSON object header but found " + kind(root));
        }
        return root.getAsJsonObject();
    }

    private static Map<String, String> parseMetadata(JsonObject header, String src)
            throws MalformedHeaderException {
        JsonElement m = header.get(METADATA_KEY);
        if (m == null) {
            throw new MalformedHeaderException(
                    src,
                    "expected a "
                            + METADATA_KEY
                            + " map with "
                            + WeightMetadata.FORMAT
                            + " = "
                            + WeightMetadata.FORMAT_NAME
                            + " but the header has none (not an l2o4j weight file?)");
        }
        if (!m.isJsonObject()) {
            throw new MalformedHeaderException(
                    src, "expected " + METADATA_KEY + " to be an object but found " + kind(m));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : m.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString())) {
                throw new MalformedHeaderException(
                        src,
                        "expected "
                                + METADATA_KEY
                                + "."
                                + e.getKey()
                                + " to be a string but found "
                                + kind(v));
            }
            out.put(e.getKey(), v.getAsString());
        }
        return out;
    }

    private static String require(Map<String, String> meta, String key, String src)
            throws MalformedHeaderException {
        String v = meta.get(key);
        if (v == null) {
            throw new MalformedHeaderException(
                    src, "expected metadata key '" + key + "' but it is missing");
        }
        return v;
    }

    private static LstmConfig configFrom(Map<String, String> meta, String src)
            throws WeightFileException {
        String format = require(meta, WeightMetadata.FORMAT, src);
        if (!WeightMetadata.FORMAT_NAME.equals(format)) {
            throw new MalformedHeaderException(
                    src,
                    "expected format '"
                            + WeightMetadata.FORMAT_NAME
                            + "' but found '"
                            + format
                            + "'");
        }
        String version = require(meta, WeightMetadata.FORMAT_VERSION, src);
        if (!WeightMetadata.READABLE_FORMAT_VERSIONS.contains(version)) {
            throw new UnsupportedFormatVersionException(
                    src,
                    "expected format_version "
                            + String.join(" or ", WeightMetadata.READABLE_FORMAT_VERSIONS)
                            + " but found '"
                            + version
                            + "' (written by another l2o4j version?)");
        }
        String sign = require(meta, WeightMetadata.SIGN_CONVENTION, src);
        if (!WeightMetadata.SIGN_CONVENTION_ADD.equals(sign)) {
            throw new MalformedHeaderException(
                    src,
                    "expected sign_convention '"
                            + WeightMetadata.SIGN_CONVENTION_ADD
                            + "' but found '"
                            + sign
                            + "'");
        }
        checkRange(
                meta,
                WeightMetadata.LOG_SIGN_P,
                Double.MIN_VALUE,
                LstmConfig.MAX_LOG_SIGN_P,
                "(0, 80]",
                src);
        checkRange(
                meta,
                WeightMetadata.OUTPUT_SCALE,
                LstmConfig.MIN_OUTPUT_SCALE,
                LstmConfig.MAX_OUTPUT_SCALE,
                "[1e-8, 100]",
                src);
        String key = null;
        try {
            LstmConfig.Builder b = LstmConfig.builder();
            key = WeightMetadata.CELL;
            b.cell(CellType.fromId(require(meta, key, src)));
            key = WeightMetadata.LAYERS;
            b.layers(Integer.parseInt(require(meta, key, src)));
            key = WeightMetadata.HIDDEN;
            b.hidden(Integer.parseInt(require(meta, key, src)));
            key = WeightMetadata.PREPROCESSING;
            b.preprocessing(Preprocessing.fromId(require(meta, key, src)));
            key = WeightMetadata.LOG_SIGN_P;
            b.logSignP(Double.parseDouble(require(meta, key, src)));
            key = WeightMetadata.OUTPUT_SCALE;
            b.outputScale(Double.parseDouble(require(meta, key, src)));
            boolean v2 = WeightMetadata.CELLS_FORMAT_VERSION.equals(version);
            if (!v2 && !"lstm".equals(meta.get(WeightMetadata.CELL))) {
                key = WeightMetadata.CELL;
                throw new IllegalArgumentException(
                        "format_version 1 files hold the lstm cell only; expected format_version "
                                + WeightMetadata.CELLS_FORMAT_VERSION
                                + " for another cell");
            }
            if (v2) {
                key = WeightMetadata.FEATURES;
                b.features(FeatureSet.parse(require(meta, key, src)));
                key = WeightMetadata.ACTIVATION;
                if (meta.containsKey(key)
                        || CellType.MLP.id().equals(meta.get(WeightMetadata.CELL))) {
                    b.activation(CellActivation.fromId(require(meta, key, src)));
                }
                key = WeightMetadata.HEAD;
                b.head(OutputHead.fromId(require(meta, key, src)));
            }
            key = null;
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new MalformedHeaderException(
                    src,
                    "bad architecture metadata"
                            + (key == null ? "" : " '" + key + "' = '" + meta.get(key) + "'")
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** A number outside [min, max] is a {@link MetadataRangeException}; a non-number is left. */
    private static void checkRange(
            Map<String, String> meta, String key, double min, double max, String range, String src)
            throws MetadataRangeException {
        String v = meta.get(key);
        if (v == null) {
            return; // reported as missing by the architecture check
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            return; // reported as malformed by the architecture check
        }
        if (!(x >= min && x <= max)) {
            throw new MetadataRangeException(src, key, v, range);
        }
    }

    /**
     * The output scales the meta-trainer produces in practice (default 0.1); outside: a warning.
     */
    public static final double USUAL_OUTPUT_SCALE_MIN = 1e-4;

    /** See {@link #USUAL_OUTPUT_SCALE_MIN}. */
    public static final double USUAL_OUTPUT_SCALE_MAX = 10;

    /** The log-sign p the meta-trainer produces in practice (default 10); outside: a warning. */
    public static final double USUAL_LOG_SIGN_P_MIN = 2;

    /** See {@link #USUAL_LOG_SIGN_P_MIN}. */
    public static final double USUAL_LOG_SIGN_P_MAX = 20;

    /** (source, key, value) already warned about: each is logged once per process. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /**
     * The architecture values of {@code c} that load but lie far outside anything l2o4j's
     * meta-trainer produces (output scale outside [{@value #USUAL_OUTPUT_SCALE_MIN}, {@value
     * #USUAL_OUTPUT_SCALE_MAX}], log-sign p outside [{@value #USUAL_LOG_SIGN_P_MIN}, {@value
     * #USUAL_LOG_SIGN_P_MAX}]), one sentence each; empty for usual files.
     */
    public static List<String> unusualValues(LstmConfig c) {
        List<String> out = new ArrayList<>();
        if (c.outputScale() < USUAL_OUTPUT_SCALE_MIN || c.outputScale() > USUAL_OUTPUT_SCALE_MAX) {
            out.add(
                    WeightMetadata.OUTPUT_SCALE
                            + " = "
                            + c.outputScale()
                            + " is far outside the usual [1e-4, 10] (the meta-trainer's default is"
                            + " 0.1)");
        }
        if (c.preprocessing() == Preprocessing.LOG_SIGN
                && (c.logSignP() < USUAL_LOG_SIGN_P_MIN || c.logSignP() > USUAL_LOG_SIGN_P_MAX)) {
            out.add(
                    WeightMetadata.LOG_SIGN_P
                            + " = "
                            + c.logSignP()
                            + " is far outside the usual [2, 20] (the meta-trainer's default is"
                            + " 10)");
        }
        return out;
    }

    /** Logs each unusual value of a file once per process (logger {@code org.l2o4j.core.io}). */
    private static void warnIfUnusual(LstmConfig c, String src) {
        for (String w : unusualValues(c)) {
            if (WARNED.add(src + "\n" + w)) {
                System.getLogger("org.l2o4j.core.io")
                        .log(
                                System.Logger.Level.WARNING,
                                "weight file "
                                        + src
                                        + ": "
                                        + w
                                        + "; it loads, but updates may be far too large or too"
                                        + " small");
            }
        }
    }

    private static List<Entry> parseEntries(JsonObject header, String src)
            throws MalformedHeaderException {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                continue;
            }
            JsonElement v = e.getValue();
            if (!v.isJsonObject()) {
                throw new MalformedHeaderException(
                        src, "expected tensor '" + name + "' to be an object but found " + kind(v));
            }
            JsonObject t = v.getAsJsonObject();
            for (String k : t.keySet()) {
                if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                    throw new MalformedHeaderException(
                            src,
                            "expected tensor '"
                                    + name
                                    + "' to have only dtype, shape and data_offsets but found '"
                                    + k
                                    + "'");
                }
            }
            JsonElement dtype = t.get("dtype");
            if (dtype == null
                    || !dtype.isJsonPrimitive()
                    || !dtype.getAsJsonPrimitive().isString()) {
                throw new MalformedHeaderException(
                        src,
                        "expected tensor '"
                                + name
                                + "' to have a string dtype but found "
                                + kind(dtype));
            }
            if (!DTYPE.equals(dtype.getAsString())) {
                throw new MalformedHeaderException(
                        src,
                        "expected dtype "
                                + DTYPE
                                + " for tensor '"
                                + name
                                + "' but found "
                                + dtype.getAsString());
            }
            long[] shape = longArray(t.get("shape"), -1, name, "shape", src);
            long[] offsets = longArray(t.get("data_offsets"), 2, name, "data_offsets", src);
            long elements = 1;
            for (long d : shape) {
                // capped at 2^40 elements so that nothing below can overflow
                if (d == 0) {
                    elements = 0;
                } else if (elements > (1L << 40) / d) {
                    elements = 1L << 40;
                } else {
                    elements *= d;
                }
            }
            if (offsets[0] > offsets[1]) {
                throw new MalformedHeaderException(
                        src,
                        "expected data_offsets [begin, end] with begin <= end for tensor '"
                                + name
                                + "' but found "
                                + Arrays.toString(offsets));
            }
            if (offsets[1] - offsets[0] != 4 * elements) {
                throw new MalformedHeaderException(
                        src,
                        "expected data_offsets of tensor '"
                                + name
                                + "' to span 4 * "
                                + elements
                                + " bytes (F32, shape "
                                + Arrays.toString(shape)
                                + ") but they span "
                                + (offsets[1] - offsets[0]));
            }
            entries.add(new Entry(name, shape, offsets[0], offsets[1]));
        }
        return entries;
    }

    /** Reads a JSON array of non-negative integers; {@code expectedLength < 0} means any. */
    private static long[] longArray(
            JsonElement el, int expectedLength, String tensor, String field, String src)
            throws MalformedHeaderException {
        String what = field + " of tensor '" + tensor + "'";
        if (el == null || !el.isJsonArray()) {
            throw new MalformedHeaderException(
                    src, "expected " + what + " to be an array but found " + kind(el));
        }
        JsonArray a = el.getAsJsonArray();
        if (expectedLength >= 0 && a.size() != expectedLength) {
            throw new MalformedHeaderException(
                    src,
                    "expected "
                            + what
                            + " to have "
                            + expectedLength
                            + " elements but found "
                            + a.size());
        }
        if (a.size() > 16) {
            throw new MalformedHeaderException(
                    src, "expected " + what + " to have at most 16 elements but found " + a.size());
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            long v = -1;
            if (x.isJsonPrimitive() && x.getAsJsonPrimitive().isNumber()) {
                try {
                    v = new BigDecimal(x.getAsString()).longValueExact();
                } catch (ArithmeticException | NumberFormatException e) {
                    v = -1;
                }
            }
            if (v < 0 || v > (1L << 53)) {
                throw new MalformedHeaderException(
                        src,
                        "expected "
                                + what
                                + " to hold integers in [0, 2^53] but element "
                                + i
                                + " is "
                                + x);
            }
            out[i] = v;
        }
        return out;
    }

    private static void checkAgainstArchitecture(
            List<Entry> entries, List<LstmWeights.TensorSpec> specs, LstmConfig c, String src)
            throws ShapeMismatchException {
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : entries) {
            byName.put(e.name, e);
        }
        TreeSet<String> missing = new TreeSet<>();
        TreeSet<String> expectedNames = new TreeSet<>();
        for (LstmWeights.TensorSpec s : specs) {
            expectedNames.add(s.name);
            if (!byName.containsKey(s.name)) {
                missing.add(s.name);
            }
        }
        TreeSet<String> extra = new TreeSet<>(byName.keySet());
        extra.removeAll(expectedNames);
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new ShapeMismatchException(
                    src,
                    "architecture "
                            + c
                            + " expects tensors "
                            + expectedNames
                            + " but "
                            + (missing.isEmpty() ? "" : "these are missing: " + missing)
                            + (!missing.isEmpty() && !extra.isEmpty() ? " and " : "")
                            + (extra.isEmpty() ? "" : "these are unexpected: " + extra));
        }
        for (LstmWeights.TensorSpec s : specs) {
            long[] found = byName.get(s.name).shape;
            long[] expected = Arrays.stream(s.shape).asLongStream().toArray();
            if (!Arrays.equals(found, expected)) {
                throw new ShapeMismatchException(
                        src,
                        "architecture "
                                + c
                                + " expects tensor "
                                + s.name
                                + " of shape "
                                + Arrays.toString(expected)
                                + " but the file has "
                                + Arrays.toString(found));
            }
        }
    }

    /** Checks that the tensors tile [0, total) without gaps or overlaps; returns total. */
    private static long checkOffsets(List<Entry> entries, String src)
            throws MalformedHeaderException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparingLong(e -> e.end));
        long pos = 0;
        String prev = null;
        for (Entry e : sorted) {
            if (e.begin < pos) {
                throw new MalformedHeaderException(
                        src,
                        "tensor '"
                                + e.name
                                + "' data_offsets ["
                                + e.begin
                                + ", "
                                + e.end
                                + "] overlap tensor '"
                                + prev
                                + "' which ends at "
                                + pos);
            }
            if (e.begin > pos) {
                throw new MalformedHeaderException(
                        src,
                        "expected tensor '"
                                + e.name
                                + "' to start at byte "
                                + pos
                                + " of the data (no holes) but its data_offsets start at "
                                + e.begin);
            }
            pos = e.end;
            prev = e.name;
        }
        return pos;
    }

    private static String kind(JsonElement e) {
        return StrictJson.kind(e);
    }
}
