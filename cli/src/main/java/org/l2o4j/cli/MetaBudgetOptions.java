package org.l2o4j.cli;

import picocli.CommandLine.Option;

/**
 * Meta-training settings shared by {@code meta-train} and {@code study} (a picocli mixin): the
 * horizon and unroll, tasks per iteration, validation tasks, threads, seed and CPU budget. Every
 * option is unset (null) unless given; each command supplies its own default ({@code meta-train}
 * keeps its documented ones, {@code study} those of its size, {@code --toy} or default).
 */
public final class MetaBudgetOptions {

    @Option(
            names = "--horizon",
            description = "Meta-training horizon H: optimizee steps per run [100].")
    Integer horizon;

    @Option(names = "--unroll", description = "Steps per BPTT truncation [20].")
    Integer unroll;

    @Option(names = "--tasks-per-iteration", description = "Tasks per meta-iteration [1].")
    Integer tasksPerIteration;

    @Option(
            names = "--validation-tasks",
            description = "Meta-training validation tasks [meta-train 20, study 4].")
    Integer validationTasks;

    @Option(names = "--threads", description = "Worker threads [available processors].")
    Integer threads;

    @Option(names = "--seed", description = "Meta-training seed [0].")
    Long seed;

    @Option(
            names = "--cpu-budget",
            paramLabel = "SECONDS",
            description =
                    "Stop meta-training once the process CPU time spent in meta-iterations"
                            + " (validation and checkpoint writes excluded) reaches SECONDS; the"
                            + " best validated weights are kept, and the weight file records the"
                            + " CPU-s used and the iterations done. meta-train: --iterations"
                            + " stays the upper limit (then 1000000 unless given) [none];"
                            + " study: the budget of each variant of the cells section [60].")
    Double cpuBudget;

    static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }
}
