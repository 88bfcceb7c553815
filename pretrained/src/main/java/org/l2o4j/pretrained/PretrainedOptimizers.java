package org.l2o4j.pretrained;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.l2o4j.core.io.WeightManifest;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * The meta-trained optimizer weights shipped in this artifact, listed in the classpath resource
 * {@value #MANIFEST_RESOURCE} with their SHA-256 (verified on first load; weights are cached).
 *
 * <pre>{@code
 * UpdateRule rule = LstmOptimizer.of(PretrainedOptimizers.load(PretrainedOptimizers.DEFAULT_ID));
 * }</pre>
 *
 * <p>Every shipped file comes from l2o4j's own meta-trainer; its provenance (task family, horizon,
 * seed, iterations, wall time, command) is in {@link LstmWeights#metadata()} and in {@link
 * #describe(String)}. How a file is added: see {@code pretrained/README.md} and {@link
 * ManifestTool}.
 */
public final class PretrainedOptimizers {
    private PretrainedOptimizers() {}

    /** The id of the general-purpose optimizer (available once its weights are shipped). */
    public static final String DEFAULT_ID = "general-v1";

    /** The classpath resource of the manifest. */
    public static final String MANIFEST_RESOURCE = "/org/l2o4j/pretrained/manifest.json";

    private static final class Holder {
        static final PretrainedRegistry REGISTRY =
                PretrainedRegistry.fromClasspath(
                        PretrainedOptimizers.class.getClassLoader(), MANIFEST_RESOURCE);
    }

    /** The registry behind the static methods. */
    public static PretrainedRegistry registry() {
        return Holder.REGISTRY;
    }

    /** The ids of the shipped weights, in manifest order (empty until weights are shipped). */
    public static List<String> ids() {
        return registry().ids();
    }

    /**
     * The weights of {@code id}, verified against the manifest's SHA-256 and cached.
     *
     * @throws IllegalArgumentException if {@code id} is unknown; the message lists the ids
     * @throws java.io.UncheckedIOException if the shipped file is missing, corrupt or does not
     *     match its hash (a packaging error)
     */
    public static LstmWeights load(String id) {
        return registry().load(id);
    }

    /**
     * The weights an optimizer reference names: a weight file path, or a shipped id (see {@link
     * PretrainedRegistry#resolve}). The one place where "id or path" is resolved.
     *
     * @throws java.nio.file.NoSuchFileException ({@code REF: no such file}) if {@code ref} looks
     *     like a path and does not exist
     * @throws org.l2o4j.core.io.WeightFileException if the file is not a valid weight file
     * @throws IllegalArgumentException if {@code ref} is neither a file nor a shipped id; the
     *     message lists the ids
     */
    public static LstmWeights resolve(String ref) throws IOException {
        return registry().resolve(ref);
    }

    /**
     * The SHA-256 recorded for {@code id}.
     *
     * @throws IllegalArgumentException if {@code id} is unknown; the message lists the ids
     */
    public static String sha256(String id) {
        return registry().sha256(id);
    }

    /** The manifest entry of {@code id}: file, sha256, description and provenance. */
    public static Optional<WeightManifest.Entry> describe(String id) {
        return registry().describe(id);
    }
}
