package org.l2o4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.l2o4j.core.task.TaskFamilies;
import picocli.CommandLine.Option;

/**
 * The task variant and its data, shared by {@code meta-train}, {@code evaluate} and {@code study}
 * (a picocli mixin): MLP hidden units, layers and activation, and the dataset, minibatch size and
 * data directory of {@code mnist-mlp} and {@code conv}. Unset unless given; {@link #toOptions()}
 * gives the family options that were given.
 */
public final class TaskVariantOptions {

    @Option(names = "--hidden", description = "mnist-mlp: hidden units per layer [20].")
    Integer hidden;

    @Option(names = "--layers", description = "mnist-mlp: hidden layers [1].")
    Integer layers;

    @Option(names = "--activation", description = "mnist-mlp: sigmoid|relu|tanh [sigmoid].")
    String activation;

    @Option(names = "--dataset", description = "mnist-mlp, conv: mnist|fashion-mnist [mnist].")
    String dataset;

    @Option(names = "--batch", description = "mnist-mlp, conv: minibatch size [128].")
    Integer batch;

    @Option(
            names = "--data-dir",
            description = "mnist-mlp, conv: data directory, or 'bundled' for the bundled subsets.")
    String dataDir;

    /** The family options given, in a fixed order (hidden, layers, activation, dataset, ...). */
    Map<String, String> toOptions() {
        Map<String, String> o = new LinkedHashMap<>();
        put(o, TaskFamilies.HIDDEN, hidden);
        put(o, TaskFamilies.LAYERS, layers);
        put(o, TaskFamilies.ACTIVATION, activation);
        put(o, TaskFamilies.DATASET, dataset);
        put(o, TaskFamilies.BATCH, batch);
        put(o, TaskFamilies.DATA_DIR, dataDir);
        return o;
    }

    private static void put(Map<String, String> m, String key, Object value) {
        if (value != null) {
            m.put(key, value.toString());
        }
    }
}
