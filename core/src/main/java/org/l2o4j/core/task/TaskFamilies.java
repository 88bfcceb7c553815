package org.l2o4j.core.task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.l2o4j.core.data.Split;

/**
 * Builds task families by name and string options, for the command line and configuration files.
 *
 * <p>Registered families (see {@link #names()} and {@link #help()}):
 *
 * <ul>
 *   <li>{@code mnist-mlp}: {@link MlpTaskFamily}; options {@code hidden} [20], {@code layers} [1],
 *       {@code activation} sigmoid|relu|tanh [sigmoid], {@code dataset} mnist|fashion-mnist
 *       [mnist], {@code batch} [128], {@code split} train|test [train], {@code init} normal|glorot
 *       [normal], {@code examples} (only the split's first N) [all], {@code data-dir} [default
 *       places; {@code bundled} for the bundled subsets].
 *   <li>{@code mixed}: {@link MixtureTaskFamily}; option {@code mix}, a comma-separated list of
 *       {@code family[key=value;key=value]:weight} (brackets and weight optional, weight 1 by
 *       default), e.g. {@code mnist-mlp:2,mnist-mlp[activation=relu;layers=2]:1}. Every other
 *       option (e.g. {@code split}, {@code data-dir}) is passed to each component that accepts it;
 *       bracket options override it.
 *   <li>{@code mlp-zoo}: {@link MlpZooTaskFamily}; per task seed an MLP variant (width, depth,
 *       activation, dataset drawn) or a {@code conv} task; options {@code min-width} [10], {@code
 *       max-width} [160], {@code min-depth} [1], {@code max-depth} [3], {@code activations}
 *       [sigmoid,relu,tanh], {@code datasets} [mnist,fashion-mnist], {@code conv} [0.2], {@code
 *       batch}, {@code split}, {@code init}, {@code channels}, {@code blocks}, {@code data-dir}.
 * </ul>
 *
 * <p>A family is also written in one string as {@code name[key=value;...]}, see {@link
 * #parse(String)}. To add a family, call {@link #register} (built-in families are registered in
 * this class's static initializer).
 */
public final class TaskFamilies {

    /** Option: number of hidden units per layer. */
    public static final String HIDDEN = "hidden";

    /** Option: number of hidden layers. */
    public static final String LAYERS = "layers";

    /** Option: hidden activation. */
    public static final String ACTIVATION = "activation";

    /** Option: dataset name. */
    public static final String DATASET = "dataset";

    /** Option: minibatch size. */
    public static final String BATCH = "batch";

    /** Option: data split, train or test. */
    public static final String SPLIT = "split";

    /** Option: data directory, or {@code bundled}. */
    public static final String DATA_DIR = "data-dir";

    /**
     * Option: train on only the split's first N examples [all] (e.g. a validation split the size of
     * the test split).
     */
    public static final String EXAMPLES = "examples";

    /** Option: parameter initialization. */
    public static final String INIT = "init";

    /** Option of {@code mixed}: the components. */
    public static final String MIX = "mix";

    /** A registered family: the options it accepts and how to build it. */
    private record Entry(
            String name,
            Set<String> options,
            String help,
            Function<Map<String, String>, TaskFamily> factory) {}

    private static final Map<String, Entry> REGISTRY =
            Collections.synchronizedMap(new LinkedHashMap<>());

    static {
        register(
                MlpTaskFamily.NAME,
                Set.of(HIDDEN, LAYERS, ACTIVATION, DATASET, BATCH, SPLIT, DATA_DIR, INIT, EXAMPLES),
                "MLP classifier on MNIST/Fashion-MNIST (paper: 784-20 sigmoid-10, batch 128);"
                        + " examples: train on the split's first N only [all]",
                TaskFamilies::mlp);
        register(
                MixtureTaskFamily.NAME,
                Set.of(MIX),
                "weighted mixture of families, mix=family[k=v;...]:weight,...",
                TaskFamilies::mixture);
        register(
                QuadraticTaskFamily.NAME,
                Set.of(QuadraticTaskFamily.DIM, QuadraticTaskFamily.INIT_STD),
                "f = ||W theta - y||^2, W, y ~ N(0,1) (paper: dim 10); options dim [10], init-std [1]",
                QuadraticTaskFamily::fromOptions);
        register(
                ConvTaskFamily.NAME,
                ConvTaskFamily.OPTIONS,
                "small CNN on MNIST/Fashion-MNIST: [conv 3x3 + ReLU + 2x2 max-pool] x blocks,"
                        + " dense softmax; options channels [8], blocks 1|2 [2], dataset, batch"
                        + " [128], split, examples (only the split's first N) [all], data-dir",
                ConvTaskFamily::fromOptions);
        register(
                StyleTaskFamily.NAME,
                StyleTaskFamily.OPTIONS,
                "style transfer (Gatys et al.) on the pixels of an image, features of a fixed random"
                        + " conv net; options size [32], resolution 1|2 [1], content, style"
                        + " train|test|NAME [split], split, content-weight [1], style-weight,"
                        + " init content|noise",
                StyleTaskFamily::fromOptions);
        register(
                ScaledTaskFamily.NAME,
                Set.of(
                        ScaledTaskFamily.OF,
                        ScaledTaskFamily.LOSS_SCALE,
                        ScaledTaskFamily.PARAM_SCALE),
                "another family's tasks with loss times loss-scale and parameters"
                        + " reparameterised by param-scale (f'(x) = a f(s x)); options of (the"
                        + " family's spec), loss-scale [1], param-scale [1]",
                TaskFamilies::scaled);
        register(
                MlpZooTaskFamily.NAME,
                MlpZooTaskFamily.OPTIONS,
                "broad classifier distribution for general optimizers: per task seed an MLP of"
                        + " width log-uniform in min-width..max-width [10..160], depth"
                        + " min-depth..max-depth [1..3], one of activations [sigmoid,relu,tanh]"
                        + " and datasets [mnist,fashion-mnist], or with probability conv [0.2] a"
                        + " conv task (channels, blocks); batch, split, init, data-dir",
                MlpZooTaskFamily::fromOptions);
        // Further built-in families: register them here.
    }

    private TaskFamilies() {}

    /**
     * Registers a family (replacing one of the same name).
     *
     * @param name the family name used on the command line
     * @param options the option keys it accepts; others are rejected with a clear message
     * @param help a one-line description for {@link #help()}
     * @param factory builds the family from its options (only accepted keys are passed)
     */
    public static void register(
            String name,
            Set<String> options,
            String help,
            Function<Map<String, String>, TaskFamily> factory) {
        REGISTRY.put(name, new Entry(name, Set.copyOf(options), help, factory));
    }

    /** The registered family names, in registration order. */
    public static List<String> names() {
        synchronized (REGISTRY) {
            return List.copyOf(REGISTRY.keySet());
        }
    }

    /** The option keys family {@code name} accepts. */
    public static Set<String> options(String name) {
        Entry e = entry(name);
        // the wrappers pass other options on to their families
        return e.name.equals(MixtureTaskFamily.NAME) || e.name.equals(ScaledTaskFamily.NAME)
                ? mixtureKeys()
                : e.options;
    }

    /** One line per registered family: its name, description and options. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        synchronized (REGISTRY) {
            for (Entry e : REGISTRY.values()) {
                sb.append(e.name)
                        .append(": ")
                        .append(e.help)
                        .append("; options ")
                        .append(new TreeSet<>(e.options))
                        .append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Builds family {@code task} with {@code options}.
     *
     * @throws IllegalArgumentException for an unknown family (listing the known ones), an unknown
     *     option (listing the accepted ones) or an invalid value
     */
    public static TaskFamily create(String task, Map<String, String> options) {
        Entry e = entry(task);
        Set<String> accepted = options(task);
        for (String key : options.keySet()) {
            if (!accepted.contains(key)) {
                throw new IllegalArgumentException(
                        "task family "
                                + e.name
                                + " has no option '"
                                + key
                                + "'; its options are "
                                + new TreeSet<>(accepted));
            }
        }
        return e.factory.apply(Map.copyOf(options));
    }

    /**
     * Builds a family from one string {@code name} or {@code name[key=value;key=value]} (commas
     * also separate options when the name is not {@code mixed} and the brackets hold no {@code ;};
     * then a comma-separated part without {@code =} continues the previous option's value, so
     * {@code mlp-zoo[activations=relu,tanh,conv=0]} gives {@code activations} the list {@code
     * relu,tanh}).
     *
     * @throws IllegalArgumentException if the string is malformed or names an unknown family
     */
    public static TaskFamily parse(String spec) {
        Map<String, String> options = new LinkedHashMap<>();
        String name = parseSpec(spec, options);
        return create(name, options);
    }

    // --- built-in factories ----------------------------------------------------------------

    private static TaskFamily mlp(Map<String, String> o) {
        MlpTaskFamily.Builder b = MlpTaskFamily.builder();
        if (o.containsKey(HIDDEN)) {
            b.hiddenUnits(integer(o, HIDDEN));
        }
        if (o.containsKey(LAYERS)) {
            b.hiddenLayers(integer(o, LAYERS));
        }
        if (o.containsKey(ACTIVATION)) {
            b.activation(Activation.parse(o.get(ACTIVATION)));
        }
        if (o.containsKey(DATASET)) {
            b.dataset(o.get(DATASET));
        }
        if (o.containsKey(BATCH)) {
            b.batchSize(integer(o, BATCH));
        }
        if (o.containsKey(SPLIT)) {
            b.split(Split.parse(o.get(SPLIT)));
        }
        if (o.containsKey(INIT)) {
            b.init(MlpTaskFamily.Init.parse(o.get(INIT)));
        }
        b.examples(TaskOptions.integer(o, EXAMPLES, 0, 1, Integer.MAX_VALUE));
        if (o.containsKey(DATA_DIR) && !o.get(DATA_DIR).isBlank()) {
            b.dataDir(Path.of(o.get(DATA_DIR)));
        }
        return b.build();
    }

    private static TaskFamily mixture(Map<String, String> o) {
        String mix = o.get(MIX);
        if (mix == null || mix.isBlank()) {
            throw new IllegalArgumentException(
                    "task family mixed needs option mix, e.g."
                            + " mix=mnist-mlp:1,mnist-mlp[activation=relu]:1");
        }
        List<TaskFamily> families = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (String part : splitTopLevel(mix, ',')) {
            String item = part.trim();
            double weight = 1.0;
            int colon = item.lastIndexOf(':');
            if (colon > item.lastIndexOf(']')) {
                String w = item.substring(colon + 1).trim();
                try {
                    weight = Double.parseDouble(w);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException(
                            "mixture weight '" + w + "' in '" + item + "' is not a number");
                }
                item = item.substring(0, colon).trim();
            }
            Map<String, String> own = new LinkedHashMap<>();
            String name = parseSpec(item, own);
            if (name.equals(MixtureTaskFamily.NAME)) {
                throw new IllegalArgumentException("a mixture cannot contain another mixture");
            }
            families.add(createPassingOn(name, own, o, Set.of(MIX)));
            weights.add(weight);
        }
        return MixtureTaskFamily.of(families, weights);
    }

    private static TaskFamily scaled(Map<String, String> o) {
        String of = o.get(ScaledTaskFamily.OF);
        if (of == null || of.isBlank()) {
            throw new IllegalArgumentException(
                    "task family scaled needs option of, the family to scale, e.g."
                            + " scaled[of=quadratic;loss-scale=100]");
        }
        Map<String, String> own = new LinkedHashMap<>();
        String name = parseSpec(of, own);
        if (name.equals(ScaledTaskFamily.NAME)) {
            throw new IllegalArgumentException("scaled cannot scale another scaled family");
        }
        TaskFamily base =
                createPassingOn(
                        name,
                        own,
                        o,
                        Set.of(
                                ScaledTaskFamily.OF,
                                ScaledTaskFamily.LOSS_SCALE,
                                ScaledTaskFamily.PARAM_SCALE));
        return ScaledTaskFamily.of(
                base,
                ScaledTaskFamily.scale(o, ScaledTaskFamily.LOSS_SCALE),
                ScaledTaskFamily.scale(o, ScaledTaskFamily.PARAM_SCALE));
    }

    /**
     * Builds family {@code name} of a wrapper ({@code mixed}, {@code scaled}): its own options
     * {@code own} over the wrapper's options {@code outer} that it accepts, less the wrapper's own
     * keys.
     */
    private static TaskFamily createPassingOn(
            String name,
            Map<String, String> own,
            Map<String, String> outer,
            Set<String> wrapperKeys) {
        Set<String> accepted = options(name);
        Map<String, String> merged = new LinkedHashMap<>();
        for (Map.Entry<String, String> kv : outer.entrySet()) {
            if (!wrapperKeys.contains(kv.getKey()) && accepted.contains(kv.getKey())) {
                merged.put(kv.getKey(), kv.getValue());
            }
        }
        merged.putAll(own);
        return create(name, merged);
    }

    // --- parsing helpers ---------------------------------------------------------------------

    private static Entry entry(String task) {
        String name = task == null ? "" : task.trim().toLowerCase(Locale.ROOT);
        Entry e = REGISTRY.get(name);
        if (e == null) {
            throw new IllegalArgumentException(
                    "unknown task family '" + task + "'; known families: " + names());
        }
        return e;
    }

    private static Set<String> mixtureKeys() {
        Set<String> keys = new LinkedHashSet<>();
        synchronized (REGISTRY) {
            for (Entry e : REGISTRY.values()) {
                keys.addAll(e.options);
            }
        }
        return keys;
    }

    /**
     * Checks that the brackets of a task spec balance.
     *
     * @throws IllegalArgumentException {@code task spec 'mnist-mlp[hidden=40' has an unbalanced
     *     '[': expected NAME or NAME[key=value,...]} (or an unmatched {@code ']'})
     */
    public static void checkBrackets(String spec) {
        int depth = 0;
        for (int i = 0; i < spec.length(); i++) {
            char c = spec.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']' && --depth < 0) {
                break;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException(
                    "task spec '"
                            + spec
                            + "' has an unbalanced '"
                            + (depth > 0 ? '[' : ']')
                            + "': expected NAME or NAME[key=value,...]");
        }
    }

    /** Parses {@code name[k=v;k=v]} into {@code options}; returns the name. */
    private static String parseSpec(String spec, Map<String, String> options) {
        checkBrackets(spec);
        String s = spec.trim();
        int open = s.indexOf('[');
        if (open < 0) {
            return s.toLowerCase(Locale.ROOT);
        }
        if (!s.endsWith("]")) {
            throw new IllegalArgumentException(
                    "task '" + spec + "' must look like name[key=value;key=value]");
        }
        String name = s.substring(0, open).trim().toLowerCase(Locale.ROOT);
        String body = s.substring(open + 1, s.length() - 1);
        char sep = name.equals(MixtureTaskFamily.NAME) || body.indexOf(';') >= 0 ? ';' : ',';
        String lastKey = null;
        for (String kv : splitTopLevel(body, sep)) {
            if (kv.isBlank()) {
                continue;
            }
            int eq = kv.indexOf('=');
            if (eq < 0 && sep == ',' && lastKey != null) {
                // a comma list value written with comma separators: hidden=20,activations=a,b
                options.put(lastKey, options.get(lastKey) + "," + kv.trim());
                continue;
            }
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "option '" + kv.trim() + "' in task '" + spec + "' must be key=value");
            }
            lastKey = kv.substring(0, eq).trim();
            options.put(lastKey, kv.substring(eq + 1).trim());
        }
        return name;
    }

    private static List<String> splitTopLevel(String s, char sep) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == sep && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }

    private static int integer(Map<String, String> o, String key) {
        String v = o.get(key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "option " + key + " must be an integer but was '" + v + "'");
        }
    }
}
