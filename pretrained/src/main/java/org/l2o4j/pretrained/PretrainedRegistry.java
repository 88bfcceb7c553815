package org.l2o4j.pretrained;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.l2o4j.core.io.MalformedHeaderException;
import org.l2o4j.core.io.WeightFileException;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightManifest;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * Weight files listed in a {@link WeightManifest}, found on the classpath or in a directory; every
 * file's SHA-256 is verified when it is first loaded, and the parsed weights are cached.
 *
 * <p>{@link PretrainedOptimizers} is the registry of the files shipped in this artifact; other
 * registries (a directory of your own meta-trained files, a test fixture) work the same way.
 * Thread-safe.
 */
public final class PretrainedRegistry {
    /** Opens a file named relative to the manifest. */
    @FunctionalInterface
    interface Opener {
        /** Returns the stream, or null if there is no such file. */
        InputStream open(String relative) throws IOException;
    }

    private final String location;
    private final String manifestName;
    private final Opener opener;
    private volatile WeightManifest manifest;
    private final Map<String, LstmWeights> cache = new ConcurrentHashMap<>();

    private PretrainedRegistry(String location, String manifestName, Opener opener) {
        this.location = location;
        this.manifestName = manifestName;
        this.opener = opener;
    }

    /**
     * A registry whose manifest is the classpath resource {@code manifestResource} (e.g. {@code
     * org/l2o4j/pretrained/manifest.json}); listed files are resources beside it.
     */
    public static PretrainedRegistry fromClasspath(ClassLoader loader, String manifestResource) {
        Objects.requireNonNull(loader, "loader");
        String res =
                manifestResource.startsWith("/") ? manifestResource.substring(1) : manifestResource;
        int slash = res.lastIndexOf('/');
        String base = slash < 0 ? "" : res.substring(0, slash + 1);
        String name = res.substring(slash + 1);
        return new PretrainedRegistry(
                "classpath:/" + base, name, rel -> loader.getResourceAsStream(base + rel));
    }

    /** A registry whose manifest is the file {@code manifestFile}; listed files are beside it. */
    public static PretrainedRegistry fromDirectory(Path manifestFile) {
        Path dir = manifestFile.toAbsolutePath().getParent();
        return new PretrainedRegistry(
                dir + "/",
                manifestFile.getFileName().toString(),
                rel -> {
                    Path p = dir.resolve(rel);
                    return Files.isRegularFile(p) ? Files.newInputStream(p) : null;
                });
    }

    /**
     * The manifest (read once).
     *
     * @throws UncheckedIOException if the manifest is missing or invalid (a packaging error)
     */
    public WeightManifest manifest() {
        WeightManifest m = manifest;
        if (m == null) {
            synchronized (this) {
                m = manifest;
                if (m == null) {
                    String src = location + manifestName;
                    try (InputStream in = opener.open(manifestName)) {
                        if (in == null) {
                            throw new FileNotFoundException("No weight manifest at " + src);
                        }
                        m = WeightManifest.read(in, src);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    manifest = m;
                }
            }
        }
        return m;
    }

    /** The ids of the listed weights, in manifest order. */
    public List<String> ids() {
        return manifest().ids();
    }

    /** The manifest entry of {@code id} (file, sha256, description, provenance), if listed. */
    public Optional<WeightManifest.Entry> describe(String id) {
        return manifest().find(id);
    }

    private WeightManifest.Entry entry(String id) {
        return describe(id)
                .orElseThrow(() -> new IllegalArgumentException(unknownIdMessage(id, ids())));
    }

    /**
     * The one message for an unknown pretrained id, used wherever ids are resolved (the CLI, the
     * DL4J and DJL adapters): {@code unknown pretrained optimizer 'ID'; available ids: A, B (a
     * weight file of your own is given by its path)}.
     */
    public static String unknownIdMessage(String id, List<String> available) {
        return "unknown pretrained optimizer '"
                + id
                + "'; available ids: "
                + (available.isEmpty()
                        ? "none (no meta-trained weights are shipped; see pretrained/README.md)"
                        : String.join(", ", available))
                + " (a weight file of your own is given by its path)";
    }

    /**
     * Whether an optimizer reference is meant as a file path rather than an id: it contains a
     * {@code /} or a backslash, or ends in {@code .safetensors}.
     */
    public static boolean looksLikePath(String ref) {
        return ref.contains("/") || ref.contains("\\") || ref.endsWith(".safetensors");
    }

    /**
     * The weights an optimizer reference names: the weight file {@code ref} if such a file exists,
     * otherwise the listed id {@code ref}.
     *
     * @throws NoSuchFileException ({@code REF: no such file}) if {@code ref} looks like a path
     *     ({@link #looksLikePath}) and does not exist
     * @throws WeightFileException if {@code ref} is a directory or not a valid weight file
     * @throws IllegalArgumentException if {@code ref} is neither a file nor a listed id ({@link
     *     #unknownIdMessage})
     * @throws UncheckedIOException as {@link #load} for a listed id whose file is damaged
     */
    public LstmWeights resolve(String ref) throws IOException {
        Objects.requireNonNull(ref, "ref");
        Path p;
        try {
            p = Path.of(ref);
        } catch (InvalidPathException e) {
            p = null;
        }
        if (p != null
                && (Files.isRegularFile(p) || (Files.isDirectory(p) && !ids().contains(ref)))) {
            return WeightFiles.read(p); // a directory: "is a directory, not a weight file"
        }
        if (looksLikePath(ref)) {
            throw new NoSuchFileException(ref, null, "no such file");
        }
        return load(ref);
    }

    /**
     * The SHA-256 the manifest records for {@code id}.
     *
     * @throws IllegalArgumentException if {@code id} is not listed (the message lists the ids)
     */
    public String sha256(String id) {
        return entry(id).sha256();
    }

    /**
     * Loads (once, then from the cache) the weights of {@code id}, verifying the file's SHA-256.
     *
     * @throws IllegalArgumentException if {@code id} is not listed (the message lists the ids)
     * @throws UncheckedIOException wrapping a {@link WeightFileException} (e.g. {@link
     *     org.l2o4j.core.io.ChecksumMismatchException}) if the file is missing, corrupt or does not
     *     match its hash
     */
    public LstmWeights load(String id) {
        WeightManifest.Entry e = entry(id);
        LstmWeights cached = cache.get(id);
        if (cached != null) {
            return cached;
        }
        String src = location + e.file();
        try {
            byte[] bytes;
            try (InputStream in = opener.open(e.file())) {
                if (in == null) {
                    throw new FileNotFoundException(
                            "Manifest entry '" + id + "' lists " + src + " but it does not exist");
                }
                long max = maxFileBytes();
                bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
                if (bytes.length > max) {
                    throw new MalformedHeaderException(
                            src, "expected a weight file of at most " + max + " bytes");
                }
            }
            LstmWeights w = e.verifyAndRead(bytes, src);
            cache.putIfAbsent(id, w);
            return cache.get(id);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static long maxFileBytes() {
        return 8
                + WeightFiles.MAX_HEADER_BYTES
                + 4L * LstmConfig.builder().layers(8).hidden(1024).build().numParameters();
    }

    @Override
    public String toString() {
        return "PretrainedRegistry(" + location + manifestName + ")";
    }
}
