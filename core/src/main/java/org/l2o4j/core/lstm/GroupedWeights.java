package org.l2o4j.core.lstm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The weights of a learned optimizer with one weight set per parameter group (the paper's
 * "LSTM-sep"), or one weight set shared by every group (today's optimizers): group names in order,
 * one {@link LstmWeights} per group, all of the same architecture, plus file-level provenance
 * metadata.
 *
 * <p>A <em>shared</em> set ({@link #shared}, {@link #isShared()}) comes from a weight file without
 * the {@code groups} metadata key; it applies to every group of every task. A <em>grouped</em> set
 * names its groups (e.g. {@code conv-kernels}, {@code conv-biases}, {@code dense-weights}, {@code
 * dense-biases}, the names of {@code org.l2o4j.core.task.Task#parameterGroups()}).
 *
 * <p><b>Mapping to a model's groups</b> ({@link #resolve}): for each of the model's (task's) group
 * names, in order,
 *
 * <ol>
 *   <li>a shared set gives its one weight set;
 *   <li>otherwise an explicit mapping entry {@code modelGroup -> fileGroup} picks the file's group
 *       {@code fileGroup} (which must exist);
 *   <li>otherwise the file's group of the same name;
 *   <li>otherwise it is an error naming the model's groups, the file's groups and the unmatched
 *       ones: a grouped file is never applied to groups it was not trained for unless a mapping
 *       says so.
 * </ol>
 *
 * File groups that no model group uses are ignored (an MLP, with only {@code dense-weights} and
 * {@code dense-biases}, can use a {@code conv} file's dense groups).
 *
 * <p>Immutable.
 */
public final class GroupedWeights {
    /** The group name of a shared weight set (equal to {@code Task.ALL_PARAMETERS}). */
    public static final String SHARED_GROUP = "all";

    /** Valid group names: they become tensor-name prefixes and a comma-separated list. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** The most groups a weight set may have. */
    public static final int MAX_GROUPS = 64;

    private final List<String> groups;
    private final List<LstmWeights> weights;
    private final Map<String, String> metadata;
    private final boolean shared;

    private GroupedWeights(
            List<String> groups,
            List<LstmWeights> weights,
            Map<String, String> metadata,
            boolean shared) {
        this.groups = List.copyOf(groups);
        this.weights = List.copyOf(weights);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.shared = shared;
    }

    /** One weight set for every group; the metadata is the weights' own. */
    public static GroupedWeights shared(LstmWeights w) {
        Objects.requireNonNull(w, "weights");
        return new GroupedWeights(List.of(SHARED_GROUP), List.of(w), w.metadata(), true);
    }

    /**
     * One weight set per named group.
     *
     * @param groups distinct names matching {@code [A-Za-z0-9_-]{1,64}}, at most {@value
     *     #MAX_GROUPS}
     * @param weights one per group, all of the same {@link LstmConfig}
     * @param metadata file-level provenance (the groups' own metadata is not written to files)
     * @throws IllegalArgumentException on an invalid or repeated name, a count mismatch or
     *     differing architectures
     */
    public static GroupedWeights of(
            List<String> groups, List<LstmWeights> weights, Map<String, String> metadata) {
        checkNames(groups);
        if (groups.size() != weights.size()) {
            throw new IllegalArgumentException(
                    groups.size() + " group names " + groups + " but " + weights.size() + " sets");
        }
        LstmConfig c = weights.get(0).config();
        for (int g = 1; g < weights.size(); g++) {
            if (!weights.get(g).config().equals(c)) {
                throw new IllegalArgumentException(
                        "every group must have the same architecture, but group '"
                                + groups.get(0)
                                + "' has "
                                + c
                                + " and group '"
                                + groups.get(g)
                                + "' has "
                                + weights.get(g).config());
            }
        }
        return new GroupedWeights(groups, weights, metadata, false);
    }

    /**
     * Per-group weights initialised from one set: every group gets a copy of {@code w} (the start
     * of a per-group meta-training from a shared optimizer).
     */
    public static GroupedWeights replicate(LstmWeights w, List<String> groups) {
        List<LstmWeights> ws = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            ws.add(w);
        }
        return of(groups, ws, w.metadata());
    }

    /**
     * Per-group weights from the concatenation of the groups' flat parameters in group order
     * ({@link #concatenatedParameters()}'s layout).
     */
    public static GroupedWeights fromConcatenated(
            LstmConfig c, List<String> groups, float[] phi, Map<String, String> metadata) {
        int p = c.numParameters();
        if (phi.length != (long) p * groups.size()) {
            throw new IllegalArgumentException(
                    groups.size()
                            + " groups of "
                            + p
                            + " parameters need "
                            + (long) p * groups.size()
                            + " values but "
                            + phi.length
                            + " were given");
        }
        List<LstmWeights> ws = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            ws.add(new LstmWeights(c, java.util.Arrays.copyOfRange(phi, g * p, (g + 1) * p)));
        }
        return of(groups, ws, metadata);
    }

    /**
     * Checks a list of group names: 1 to {@value #MAX_GROUPS} distinct names of {@code
     * [A-Za-z0-9_-]{1,64}}.
     *
     * @throws IllegalArgumentException naming the offending name
     */
    public static void checkNames(List<String> groups) {
        if (groups.isEmpty() || groups.size() > MAX_GROUPS) {
            throw new IllegalArgumentException(
                    "expected 1 to " + MAX_GROUPS + " groups but found " + groups.size());
        }
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (String g : groups) {
            if (g == null || !NAME.matcher(g).matches()) {
                throw new IllegalArgumentException(
                        "group name '"
                                + g
                                + "' must be 1 to 64 characters of [A-Za-z0-9_-] (no '.' or ',')");
            }
            if (!seen.add(g)) {
                throw new IllegalArgumentException("group '" + g + "' appears twice in " + groups);
            }
        }
    }

    /** Whether this is one shared set (a file without {@code groups}). */
    public boolean isShared() {
        return shared;
    }

    /** The group names in order ({@code [all]} for a shared set). */
    public List<String> groups() {
        return groups;
    }

    /** The weights of group {@code g} (index into {@link #groups()}). */
    public LstmWeights weights(int g) {
        return weights.get(g);
    }

    /**
     * The weights of the named group.
     *
     * @throws IllegalArgumentException naming the known groups if there is none of that name
     */
    public LstmWeights weights(String group) {
        int g = groups.indexOf(group);
        if (g < 0) {
            throw new IllegalArgumentException(
                    "no group '" + group + "' in these weights; their groups are " + groups);
        }
        return weights.get(g);
    }

    /** The architecture (the same for every group). */
    public LstmConfig config() {
        return weights.get(0).config();
    }

    /** File-level provenance metadata (unmodifiable). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** A copy with other file-level metadata. */
    public GroupedWeights withMetadata(Map<String, String> m) {
        return new GroupedWeights(groups, weights, m, shared);
    }

    /** The groups' flat parameters concatenated in group order. */
    public float[] concatenatedParameters() {
        int p = config().numParameters();
        float[] out = new float[p * weights.size()];
        for (int g = 0; g < weights.size(); g++) {
            System.arraycopy(weights.get(g).parameters(), 0, out, g * p, p);
        }
        return out;
    }

    /**
     * The weight set for each of a model's groups, by the rules of the class comment.
     *
     * @param modelGroups the model's (task's) group names, in order
     * @param mapping {@code modelGroup -> fileGroup} overrides (may be empty)
     * @return one weight set per model group, in order
     * @throws IllegalArgumentException naming the expected and found groups if a model group has no
     *     weights, or a mapping names a group the file lacks
     */
    public List<LstmWeights> resolve(List<String> modelGroups, Map<String, String> mapping) {
        List<LstmWeights> out = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (String mg : modelGroups) {
            if (shared) {
                out.add(weights.get(0));
                continue;
            }
            String fg = mapping.getOrDefault(mg, mg);
            int g = groups.indexOf(fg);
            if (g < 0 && mapping.containsKey(mg)) {
                throw new IllegalArgumentException(
                        "the mapping "
                                + mg
                                + "="
                                + fg
                                + " names a group the weights lack; their groups are "
                                + groups);
            }
            if (g < 0) {
                unmatched.add(mg);
                out.add(null);
            } else {
                out.add(weights.get(g));
            }
        }
        if (!unmatched.isEmpty()) {
            throw new IllegalArgumentException(
                    "the per-group weights have groups "
                            + groups
                            + " but the model has groups "
                            + modelGroups
                            + "; no weights for "
                            + unmatched
                            + " (give a mapping modelGroup=fileGroup, or use a shared optimizer)");
        }
        return out;
    }

    @Override
    public String toString() {
        return shared
                ? "GroupedWeights{shared, " + config() + "}"
                : "GroupedWeights{" + groups + ", " + config() + "}";
    }
}
