package org.l2o4j.core.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * The list of shipped weight files, kept as {@code manifest.json} beside them: for each file an id,
 * its path relative to the manifest, its SHA-256 (verified on every load), a description and a copy
 * of its provenance metadata.
 *
 * <pre>{@code
 * {
 *   "format": "l2o4j-weight-manifest",
 *   "format_version": "1",
 *   "entries": [
 *     {"id": "general-v1", "file": "general-v1.safetensors", "sha256": "<64 hex>",
 *      "bytes": 12345, "description": "...", "metadata": {"task_family": "...", ...}}
 *   ]
 * }
 * }</pre>
 *
 * <p>Instances are immutable; {@link #with(Entry)} and {@link #without(String)} return new ones.
 */
public final class WeightManifest {
    /** The manifest's format name. */
    public static final String FORMAT_NAME = "l2o4j-weight-manifest";

    /** The manifest format version written and read. */
    public static final String FORMAT_VERSION = "1";

    /** The largest manifest accepted, in bytes. */
    public static final int MAX_BYTES = 16 * 1024 * 1024;

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    private static final Set<String> ENTRY_KEYS =
            Set.of("id", "file", "sha256", "bytes", "description", "metadata");

    private final List<Entry> entries;

    private WeightManifest(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
    }

    /** A manifest without entries. */
    public static WeightManifest empty() {
        return new WeightManifest(List.of());
    }

    /**
     * A manifest of these entries.
     *
     * @throws IllegalArgumentException if two entries share an id
     */
    public static WeightManifest of(List<Entry> entries) {
        WeightManifest m = empty();
        for (Entry e : entries) {
            if (m.find(e.id()).isPresent()) {
                throw new IllegalArgumentException("Duplicate manifest id '" + e.id() + "'");
            }
            m = m.with(e);
        }
        return m;
    }

    /** One shipped weight file. */
    public static final class Entry {
        private final String id;
        private final String file;
        private final String sha256;
        private final long bytes;
        private final String description;
        private final Map<String, String> metadata;

        /**
         * @param id lower-case id, {@code [a-z0-9][a-z0-9._-]*}, at most 64 characters
         * @param file path relative to the manifest, '/'-separated, no {@code ..}
         * @param sha256 64 hex digits (stored lower-case)
         * @param bytes the file's size, or -1 if not recorded
         * @param description one line for humans
         * @param metadata a copy of the file's provenance (may be empty)
         * @throws IllegalArgumentException naming the bad field
         */
        public Entry(
                String id,
                String file,
                String sha256,
                long bytes,
                String description,
                Map<String, String> metadata) {
            if (id == null || !ID.matcher(id).matches()) {
                throw new IllegalArgumentException(
                        "Manifest id must match " + ID.pattern() + " but was '" + id + "'");
            }
            if (file == null || !FILE.matcher(file).matches() || hasDotSegment(file)) {
                throw new IllegalArgumentException(
                        "Manifest file must be a relative '/'-separated path of [A-Za-z0-9._-]"
                                + " without '.' or '..' segments but was '"
                                + file
                                + "'");
            }
            if (!Sha256.isValid(sha256)) {
                throw new IllegalArgumentException(
                        "Manifest sha256 must be 64 hex digits but was '" + sha256 + "'");
            }
            if (bytes < -1) {
                throw new IllegalArgumentException(
                        "Manifest bytes must be >= 0 (or -1 for unknown) but was " + bytes);
            }
            this.id = id;
            this.file = file;
            this.sha256 = sha256.toLowerCase(Locale.ROOT);
            this.bytes = bytes;
            this.description = Objects.requireNonNull(description, "description");
            this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        private static boolean hasDotSegment(String file) {
            for (String seg : file.split("/", -1)) {
                if (seg.equals(".") || seg.equals("..")) {
                    return true;
                }
            }
            return false;
        }

        /**
         * An entry for a weight file's bytes: checks that they are a valid weight file, hashes them
         * and copies their provenance metadata.
         *
         * @throws WeightFileException if {@code bytes} is not a valid weight file
         */
        public static Entry describe(String id, String file, byte[] bytes, String description)
                throws WeightFileException {
            LstmWeights w = WeightFiles.read(bytes, file);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(WeightMetadata.CELL, w.config().cell().id());
            meta.put(WeightMetadata.LAYERS, Integer.toString(w.config().layers()));
            meta.put(WeightMetadata.HIDDEN, Integer.toString(w.config().hidden()));
            meta.put(WeightMetadata.PREPROCESSING, w.config().preprocessing().id());
            meta.putAll(w.metadata());
            return new Entry(id, file, Sha256.hex(bytes), bytes.length, description, meta);
        }

        /** The id. */
        public String id() {
            return id;
        }

        /** The file, relative to the manifest. */
        public String file() {
            return file;
        }

        /** The expected SHA-256, lower-case hex. */
        public String sha256() {
            return sha256;
        }

        /** The file's size in bytes, or -1 if not recorded. */
        public long bytes() {
            return bytes;
        }

        /** The description. */
        public String description() {
            return description;
        }

        /** Provenance copied from the file (unmodifiable). */
        public Map<String, String> metadata() {
            return metadata;
        }

        /**
         * Verifies {@code content} against this entry's hash, then reads it as a weight file.
         *
         * @param source names the content in messages
         * @throws ChecksumMismatchException naming both hashes if they differ
         * @throws WeightFileException if the content is not a valid weight file
         */
        public LstmWeights verifyAndRead(byte[] content, String source) throws WeightFileException {
            Sha256.verify(sha256, Sha256.hex(content), source);
            return WeightFiles.read(content, source);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Entry)) {
                return false;
            }
            Entry e = (Entry) o;
            return id.equals(e.id)
                    && file.equals(e.file)
                    && sha256.equals(e.sha256)
                    && bytes == e.bytes
                    && description.equals(e.description)
                    && metadata.equals(e.metadata);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, file, sha256, bytes, description, metadata);
        }

        @Override
        public String toString() {
            return id + " (" + file + ", sha256 " + sha256 + ")";
        }
    }

    /** The entries in manifest order (unmodifiable). */
    public List<Entry> entries() {
        return entries;
    }

    /** The ids in manifest order. */
    public List<String> ids() {
        List<String> ids = new ArrayList<>();
        for (Entry e : entries) {
            ids.add(e.id());
        }
        return Collections.unmodifiableList(ids);
    }

    /** The entry with this id, if any. */
    public Optional<Entry> find(String id) {
        for (Entry e : entries) {
            if (e.id().equals(id)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** A manifest with {@code entry} replacing the one of the same id, or appended. */
    public WeightManifest with(Entry entry) {
        List<Entry> out = new ArrayList<>(entries);
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).id().equals(entry.id())) {
                out.set(i, entry);
                return new WeightManifest(out);
            }
        }
        out.add(entry);
        return new WeightManifest(out);
    }

    /** A manifest without the entry of this id (unchanged if absent). */
    public WeightManifest without(String id) {
        List<Entry> out = new ArrayList<>(entries);
        out.removeIf(e -> e.id().equals(id));
        return new WeightManifest(out);
    }

    /** The manifest as pretty-printed JSON. */
    public String toJson() {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT_NAME);
        root.addProperty("format_version", FORMAT_VERSION);
        JsonArray arr = new JsonArray();
        for (Entry e : entries) {
            JsonObject o = new JsonObject();
            o.addProperty("id", e.id());
            o.addProperty("file", e.file());
            o.addProperty("sha256", e.sha256());
            if (e.bytes() >= 0) {
                o.addProperty("bytes", e.bytes());
            }
            o.addProperty("description", e.description());
            JsonObject meta = new JsonObject();
            e.metadata().forEach(meta::addProperty);
            o.add("metadata", meta);
            arr.add(o);
        }
        root.add("entries", arr);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root)
                + "\n";
    }

    /** Writes the manifest atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toJson().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a manifest file. */
    public static WeightManifest read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /** Reads a manifest from a stream (not closed). */
    public static WeightManifest read(InputStream in, String source) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BYTES + 1);
        if (bytes.length > MAX_BYTES) {
            throw new MalformedManifestException(
                    source,
                    "expected a manifest of at most " + MAX_BYTES + " bytes but it is larger");
        }
        return parse(bytes, source);
    }

    /**
     * Parses a manifest's UTF-8 bytes.
     *
     * @throws MalformedManifestException naming the bad field, expected and found
     */
    public static WeightManifest parse(byte[] utf8, String source)
            throws MalformedManifestException {
        JsonElement root;
        try {
            root = StrictJson.parse(utf8);
        } catch (StrictJson.SyntaxError e) {
            throw new MalformedManifestException(source, "expected JSON but " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new MalformedManifestException(
                    source, "expected a JSON object but found " + StrictJson.kind(root));
        }
        JsonObject o = root.getAsJsonObject();
        String format = string(o, "format", source, "the manifest");
        if (!FORMAT_NAME.equals(format)) {
            throw new MalformedManifestException(
                    source, "expected format '" + FORMAT_NAME + "' but found '" + format + "'");
        }
        String version = string(o, "format_version", source, "the manifest");
        if (!FORMAT_VERSION.equals(version)) {
            throw new MalformedManifestException(
                    source,
                    "expected manifest format_version "
                            + FORMAT_VERSION
                            + " but found '"
                            + version
                            + "'");
        }
        JsonElement arr = o.get("entries");
        if (arr == null || !arr.isJsonArray()) {
            throw new MalformedManifestException(
                    source, "expected an 'entries' array but found " + StrictJson.kind(arr));
        }
        List<Entry> entries = new ArrayList<>();
        int i = 0;
        for (JsonElement el : arr.getAsJsonArray()) {
            String where = "entries[" + i++ + "]";
            if (!el.isJsonObject()) {
                throw new MalformedManifestException(
                        source,
                        "expected " + where + " to be an object but found " + StrictJson.kind(el));
            }
            JsonObject e = el.getAsJsonObject();
            for (String k : e.keySet()) {
                if (!ENTRY_KEYS.contains(k)) {
                    throw new MalformedManifestException(
                            source,
                            "expected "
                                    + where
                                    + " to have only "
                                    + ENTRY_KEYS
                                    + " but found '"
                                    + k
                                    + "'");
                }
            }
            long bytes = -1;
            JsonElement b = e.get("bytes");
            if (b != null) {
                try {
                    bytes = b.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
                } catch (RuntimeException ex) {
                    throw new MalformedManifestException(
                            source,
                            "expected "
                                    + where
                                    + ".bytes to be an integer but found "
                                    + StrictJson.kind(b));
                }
            }
            Map<String, String> meta = new LinkedHashMap<>();
            JsonElement m = e.get("metadata");
            if (m != null) {
                if (!m.isJsonObject()) {
                    throw new MalformedManifestException(
                            source,
                            "expected "
                                    + where
                                    + ".metadata to be an object but found "
                                    + StrictJson.kind(m));
                }
                for (Map.Entry<String, JsonElement> me : m.getAsJsonObject().entrySet()) {
                    JsonElement v = me.getValue();
                    if (!(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString())) {
                        throw new MalformedManifestException(
                                source,
                                "expected "
                                        + where
                                        + ".metadata."
                                        + me.getKey()
                                        + " to be a string but found "
                                        + StrictJson.kind(v));
                    }
                    meta.put(me.getKey(), v.getAsString());
                }
            }
            String description =
                    e.has("description") ? string(e, "description", source, where) : "";
            Entry entry;
            try {
                entry =
                        new Entry(
                                string(e, "id", source, where),
                                string(e, "file", source, where),
                                string(e, "sha256", source, where),
                                bytes,
                                description,
                                meta);
            } catch (IllegalArgumentException ex) {
                throw new MalformedManifestException(source, where + ": " + ex.getMessage(), ex);
            }
            for (Entry prev : entries) {
                if (prev.id().equals(entry.id())) {
                    throw new MalformedManifestException(
                            source, "expected unique ids but '" + entry.id() + "' appears twice");
                }
            }
            entries.add(entry);
        }
        return new WeightManifest(entries);
    }

    private static String string(JsonObject o, String key, String source, String where)
            throws MalformedManifestException {
        JsonElement v = o.get(key);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw new MalformedManifestException(
                    source,
                    "expected "
                            + where
                            + " to have a string '"
                            + key
                            + "' but found "
                            + StrictJson.kind(v));
        }
        return v.getAsString();
    }

    /**
     * Loads the weights of entry {@code id} of the manifest file {@code manifestFile}: reads the
     * listed file (relative to the manifest), verifies its SHA-256 and parses it.
     *
     * @throws IllegalArgumentException if the manifest has no such id (the message lists the ids)
     * @throws ChecksumMismatchException naming both hashes if the file's hash differs
     */
    public static LstmWeights load(Path manifestFile, String id) throws IOException {
        WeightManifest m = read(manifestFile);
        Entry e =
                m.find(id)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "No weights '"
                                                        + id
                                                        + "' in "
                                                        + manifestFile
                                                        + "; available: "
                                                        + (m.ids().isEmpty()
                                                                ? "(none)"
                                                                : String.join(", ", m.ids()))));
        Path dir = manifestFile.toAbsolutePath().getParent();
        Path file = dir.resolve(e.file());
        long max = 8 + WeightFiles.MAX_HEADER_BYTES + 4L * WeightFiles.maxParameters();
        long size = Files.size(file);
        if (size > max) {
            throw new MalformedHeaderException(
                    file.toString(),
                    "expected a weight file of at most " + max + " bytes but it has " + size);
        }
        return e.verifyAndRead(Files.readAllBytes(file), file.toString());
    }
}
