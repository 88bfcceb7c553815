package org.l2o4j.core.task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;

/**
 * A broad distribution of classifiers for meta-training general optimizers: each task's seed draws
 * an {@link MlpTaskFamily} variant (hidden width log-uniform in {@code [min-width, max-width]},
 * depth uniform in {@code [min-depth, max-depth]}, an activation and a dataset, each uniform over
 * the listed ones), or, with probability {@code conv}, a {@link ConvTaskFamily} task on one of the
 * listed datasets. The task itself is that family's task for the same seed, so everything about it
 * (initial point, minibatches) is the composed family's, and it is a deterministic function of the
 * seed.
 *
 * <p>Spec (see {@link TaskFamilies}): {@code mlp-zoo[min-width=10;max-width=160;min-depth=1;
 * max-depth=3;activations=sigmoid,relu,tanh;datasets=mnist,fashion-mnist;conv=0.2;split=train;
 * data-dir=bundled]}. Lists are separated by {@code ,} or {@code |}; {@code dataset} is a synonym
 * of {@code datasets}. Also {@code batch} [128] and {@code init} normal|glorot [normal] of the
 * MLPs, and {@code channels} [8] and {@code blocks} [2] of the conv tasks.
 *
 * <p>The draws ({@link #variant(long)}): the choice between MLP and conv reuses {@link
 * MixtureTaskFamily} (weights {@code 1 - conv} and {@code conv}); width, depth, activation and
 * dataset come from a SplitMix64 stream of the seed with a salt of their own. The width is {@code
 * floor(exp(U(ln min, ln(max + 1))))}, so each octave of widths is about equally likely. Families
 * of a variant are built once and cached; all share the loaded datasets.
 */
public final class MlpZooTaskFamily implements TaskFamily {

    /** The family name used by {@link TaskFamilies}. */
    public static final String NAME = "mlp-zoo";

    /** Option: smallest hidden width. */
    public static final String MIN_WIDTH = "min-width";

    /** Option: largest hidden width. */
    public static final String MAX_WIDTH = "max-width";

    /** Option: fewest hidden layers. */
    public static final String MIN_DEPTH = "min-depth";

    /** Option: most hidden layers. */
    public static final String MAX_DEPTH = "max-depth";

    /** Option: the activations to draw from. */
    public static final String ACTIVATIONS = "activations";

    /** Option: the datasets to draw from ({@code dataset} is a synonym). */
    public static final String DATASETS = "datasets";

    /** Option: the probability of a conv task. */
    public static final String CONV = "conv";

    /** The options {@link #fromOptions} accepts. */
    public static final Set<String> OPTIONS =
            Set.of(
                    MIN_WIDTH,
                    MAX_WIDTH,
                    MIN_DEPTH,
                    MAX_DEPTH,
                    ACTIVATIONS,
                    DATASETS,
                    TaskFamilies.DATASET,
                    CONV,
                    TaskFamilies.BATCH,
                    TaskFamilies.SPLIT,
                    TaskFamilies.DATA_DIR,
                    TaskFamilies.INIT,
                    ConvTaskFamily.CHANNELS,
                    ConvTaskFamily.BLOCKS);

    /** Largest width or depth accepted (a 784-4096 layer already has 3.2 M weights). */
    static final int MAX_UNITS = 4096;

    static final int MAX_LAYERS = 8;

    private static final long VARIANT_SALT = 0x6A09E667F3BCC909L;

    /** One drawn variant: a conv task, or an MLP of this width, depth and activation. */
    public record Variant(
            boolean conv, int width, int depth, Activation activation, String dataset) {
        /** E.g. {@code mlp(width=37,depth=2,relu,mnist)} or {@code conv(fashion-mnist)}. */
        @Override
        public String toString() {
            return conv
                    ? "conv(" + dataset + ")"
                    : "mlp(width="
                            + width
                            + ",depth="
                            + depth
                            + ","
                            + activation.id()
                            + ","
                            + dataset
                            + ")";
        }
    }

    private final int minWidth;
    private final int maxWidth;
    private final int minDepth;
    private final int maxDepth;
    private final List<Activation> activations;
    private final List<String> datasets;
    private final double convProbability;
    private final int batch;
    private final Split split;
    private final MlpTaskFamily.Init init;
    private final int channels;
    private final int blocks;
    private final Map<String, Dataset> data;

    /** MLP vs conv, as a weighted mixture of the two parts. */
    private final MixtureTaskFamily pick;

    private final Map<Variant, TaskFamily> families = new ConcurrentHashMap<>();

    /** Refuses option {@code maxKey}'s value below option {@code minKey}'s. */
    private static void requireAtLeast(String maxKey, int max, String minKey, int min) {
        if (max < min) {
            throw new IllegalArgumentException(
                    "option " + maxKey + " must be >= " + minKey + " (" + min + ") but was " + max);
        }
    }

    private MlpZooTaskFamily(Map<String, String> o) {
        minWidth = TaskOptions.integer(o, MIN_WIDTH, 10, 1, MAX_UNITS);
        maxWidth = TaskOptions.integer(o, MAX_WIDTH, 160, 1, MAX_UNITS);
        requireAtLeast(MAX_WIDTH, maxWidth, MIN_WIDTH, minWidth);
        minDepth = TaskOptions.integer(o, MIN_DEPTH, 1, 0, MAX_LAYERS);
        maxDepth = TaskOptions.integer(o, MAX_DEPTH, 3, 0, MAX_LAYERS);
        requireAtLeast(MAX_DEPTH, maxDepth, MIN_DEPTH, minDepth);
        List<Activation> acts = new ArrayList<>();
        for (String a :
                list(o, ACTIVATIONS, "sigmoid,relu,tanh", List.of("sigmoid", "relu", "tanh"))) {
            acts.add(Activation.parse(a));
        }
        activations = List.copyOf(acts);
        if (o.containsKey(DATASETS) && o.containsKey(TaskFamilies.DATASET)) {
            throw new IllegalArgumentException(
                    "give option "
                            + DATASETS
                            + " or its synonym "
                            + TaskFamilies.DATASET
                            + ", not both");
        }
        String dsKey = o.containsKey(TaskFamilies.DATASET) ? TaskFamilies.DATASET : DATASETS;
        datasets = list(o, dsKey, String.join(",", Datasets.names()), Datasets.names());
        String c = o.get(CONV);
        convProbability = TaskOptions.number(o, CONV, 0.2, 0);
        if (convProbability > 1) {
            throw new IllegalArgumentException(
                    "option " + CONV + " must be a probability in [0, 1] but was '" + c + "'");
        }
        batch =
                TaskOptions.integer(
                        o, TaskFamilies.BATCH, ConvTaskFamily.DEFAULT_BATCH, 1, Integer.MAX_VALUE);
        split =
                Split.parse(
                        TaskOptions.choice(
                                o, TaskFamilies.SPLIT, "train", List.of("train", "test")));
        init =
                MlpTaskFamily.Init.parse(
                        TaskOptions.choice(
                                o, TaskFamilies.INIT, "normal", List.of("normal", "glorot")));
        channels =
                TaskOptions.integer(
                        o, ConvTaskFamily.CHANNELS, ConvTaskFamily.DEFAULT_CHANNELS, 1, 256);
        blocks = TaskOptions.integer(o, ConvTaskFamily.BLOCKS, ConvTaskFamily.DEFAULT_BLOCKS, 1, 2);
        String dir = o.get(TaskFamilies.DATA_DIR);
        Path dataDir = dir == null || dir.isBlank() ? null : Path.of(dir);
        Map<String, Dataset> loaded = new LinkedHashMap<>();
        for (String d : datasets) {
            loaded.put(d, Datasets.load(d, split, dataDir));
        }
        data = Map.copyOf(loaded);
        TaskFamily mlpPart = new Part(false);
        TaskFamily convPart = new Part(true);
        pick =
                MixtureTaskFamily.of(
                        List.of(mlpPart, convPart), List.of(1 - convProbability, convProbability));
        // fail now, not at the first conv draw, if a conv task cannot be built on these datasets
        if (convProbability > 0) {
            for (String d : datasets) {
                family(new Variant(true, 0, 0, null, d));
            }
        }
    }

    /**
     * Builds the family from spec options (the keys of {@link #OPTIONS}).
     *
     * @throws IllegalArgumentException naming the option, what it accepts and the value found
     */
    public static MlpZooTaskFamily fromOptions(Map<String, String> options) {
        return new MlpZooTaskFamily(options);
    }

    /**
     * {@inheritDoc}
     *
     * <p>E.g. {@code mlp-zoo(width=10..160,depth=1..3,activations=sigmoid|relu|tanh,
     * datasets=mnist|fashion-mnist,conv=0.2,split=train,batch=128,init=normal,channels=8,
     * blocks=2)}.
     */
    @Override
    public String name() {
        List<String> acts = new ArrayList<>();
        for (Activation a : activations) {
            acts.add(a.id());
        }
        return NAME
                + "(width="
                + minWidth
                + ".."
                + maxWidth
                + ",depth="
                + minDepth
                + ".."
                + maxDepth
                + ",activations="
                + String.join("|", acts)
                + ",datasets="
                + String.join("|", datasets)
                + ",conv="
                + convProbability
                + ",split="
                + split.name().toLowerCase(Locale.ROOT)
                + ",batch="
                + batch
                + ",init="
                + init.id()
                + ",channels="
                + channels
                + ",blocks="
                + blocks
                + ")";
    }

    /** {@inheritDoc} The task of the {@link #variant(long)} family for the same seed. */
    @Override
    public Task sample(long seed) {
        return pick.sample(seed);
    }

    /** The variant {@link #sample(long)} draws for {@code seed}. */
    public Variant variant(long seed) {
        return draw(seed, pick.componentIndex(seed) == 1);
    }

    /** The family of a variant (built once; shared datasets). */
    public TaskFamily family(Variant v) {
        return families.computeIfAbsent(v, this::build);
    }

    /** The split every task draws its minibatches from. */
    public Split split() {
        return split;
    }

    /** The probability of a conv task. */
    public double convProbability() {
        return convProbability;
    }

    private TaskFamily build(Variant v) {
        Dataset d = data.get(v.dataset());
        if (v.conv()) {
            return ConvTaskFamily.builder()
                    .data(d)
                    .split(split)
                    .dataset(v.dataset())
                    .channels(channels)
                    .blocks(blocks)
                    .batchSize(batch)
                    .build();
        }
        return MlpTaskFamily.builder()
                .data(d)
                .split(split)
                .dataset(v.dataset())
                .hiddenUnits(v.width())
                .hiddenLayers(v.depth())
                .activation(v.activation())
                .batchSize(batch)
                .init(init)
                .build();
    }

    private Variant draw(long seed, boolean conv) {
        MlpTask.SplitMix64 rng =
                new MlpTask.SplitMix64(MlpTask.SplitMix64.mix(seed ^ VARIANT_SALT));
        double lo = Math.log(minWidth);
        double hi = Math.log(maxWidth + 1.0);
        int width = (int) Math.floor(Math.exp(lo + (hi - lo) * rng.nextDouble()));
        width = Math.max(minWidth, Math.min(maxWidth, width));
        int depth = minDepth + rng.nextInt(maxDepth - minDepth + 1);
        Activation act = activations.get(rng.nextInt(activations.size()));
        String ds = datasets.get(rng.nextInt(datasets.size()));
        return conv ? new Variant(true, 0, 0, null, ds) : new Variant(false, width, depth, act, ds);
    }

    /** One side of the MLP-or-conv choice: the drawn variant's task. */
    private final class Part implements TaskFamily {
        private final boolean conv;

        Part(boolean conv) {
            this.conv = conv;
        }

        @Override
        public String name() {
            return NAME + (conv ? "/conv" : "/mlp");
        }

        @Override
        public Task sample(long seed) {
            return family(draw(seed, conv)).sample(seed);
        }
    }

    /**
     * The list option {@code key} ({@code ,} or {@code |} separated, each one of {@code allowed},
     * no repeats), or {@code def}.
     */
    private static List<String> list(
            Map<String, String> o, String key, String def, List<String> allowed) {
        String v = o.getOrDefault(key, def);
        Set<String> out = new LinkedHashSet<>();
        for (String part : v.split("[,|]", -1)) {
            String s = part.trim().toLowerCase(Locale.ROOT);
            if (!allowed.contains(s) || !out.add(s)) {
                throw new IllegalArgumentException(
                        "option "
                                + key
                                + " must be a list of distinct values from "
                                + String.join(", ", allowed)
                                + " separated by ',' or '|' but was '"
                                + v
                                + "'");
            }
        }
        return List.copyOf(out);
    }
}
