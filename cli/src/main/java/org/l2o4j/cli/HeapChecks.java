package org.l2o4j.cli;

import java.util.Map;
import org.l2o4j.cli.study.StudyConfig;
import org.l2o4j.cli.study.StudyRunner;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.HeapEstimate;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.task.TaskFamily;

/**
 * Up-front heap estimates of {@code evaluate}, {@code study} and {@code bench} (meta-train's is
 * {@link HeapEstimate#metaTraining}): huge sizes are refused with one line giving the estimate and
 * the {@code -Xmx} it would take, instead of an {@link OutOfMemoryError} after minutes.
 *
 * <p>What is counted: every run keeps its loss curve ({@code steps + 1} doubles) until the report
 * is written, a learning-rate search holds all of its runs' curves at once, and each evaluated task
 * seed costs about {@value #PER_RUN_BYTES} bytes of bookkeeping per optimizer (its result, job,
 * seed set entry).
 */
final class HeapChecks {
    private HeapChecks() {}

    /** Bookkeeping per run besides its curve: RunResult, job, future, seed set entry. */
    static final long PER_RUN_BYTES = 200;

    /** The JVM's maximum heap. */
    static long maxHeap() {
        return Runtime.getRuntime().maxMemory();
    }

    /** Throws the refusal if {@code e} does not fit in this JVM's heap. */
    static void require(HeapEstimate e) {
        String refusal = e.check(maxHeap());
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
    }

    /** The larger of {@code --seeds N} and {@code --steps T} drives a curve term. */
    private static String curveOption(long seeds, long steps, String seedsOption) {
        return steps >= seeds ? "--steps" : seedsOption;
    }

    /**
     * {@code evaluate}: {@code optimizers} curves of {@code steps + 1} doubles on each of {@code
     * seeds} tasks, the learning-rate search's {@code gridPoints x tuningSeeds} curves, and the
     * report's summaries.
     */
    static HeapEstimate evaluate(
            long seeds, long steps, long tuningSeeds, long gridPoints, int learned, int baselines) {
        int optimizers = learned + baselines;
        HeapEstimate e = new HeapEstimate();
        long curve = 8 * (steps + 1);
        String opt = curveOption(seeds, steps, "--seeds");
        e.add(
                opt,
                opt.equals("--steps") ? steps : seeds,
                String.format(
                        "loss curves of %d optimizer(s) x %d tasks x %d steps x 8 B",
                        optimizers, seeds, steps + 1),
                (double) optimizers * seeds * curve);
        e.add(
                "--seeds",
                seeds,
                "bookkeeping " + PER_RUN_BYTES + " B/run",
                (double) (optimizers + 1) * seeds * PER_RUN_BYTES);
        if (baselines > 0) {
            String t = curveOption(tuningSeeds, steps, "--tuning-seeds");
            e.add(
                    t,
                    t.equals("--steps") ? steps : tuningSeeds,
                    String.format(
                            "learning-rate search %d rates x %d tasks x %d steps x 8 B",
                            gridPoints, tuningSeeds, steps + 1),
                    (double) gridPoints * tuningSeeds * (curve + PER_RUN_BYTES));
        }
        e.add("--steps", steps, "report curves", 6.0 * optimizers * curve);
        return e;
    }

    /**
     * {@code study}: section 1 keeps the curves of every horizon multiple (the learned optimizer
     * and the baselines at each {@code m x H}, up to the longest), sections 2-4 the curves of each
     * variant at {@code H}, and meta-training {@link HeapEstimate#metaTraining}'s weights.
     */
    static HeapEstimate study(StudyConfig c) {
        long h = c.horizon;
        long seeds = c.seeds;
        long maxMult = 1;
        for (int m : c.horizonMultipliers) {
            maxMult = Math.max(maxMult, m);
        }
        long maxSteps = maxMult * h;
        double curves = 0;
        double search = 0;
        for (int m : c.horizonMultipliers) {
            long steps = (long) m * h;
            int baselines =
                    m <= c.maxTunedMultiplier ? c.baselines.size() : c.longHorizonBaselines.size();
            curves += (1.0 + baselines) * seeds * 8 * (steps + 1);
            if (m <= c.maxTunedMultiplier) {
                search =
                        Math.max(
                                search,
                                (double) c.grid.values().length
                                        * c.tuningSeeds
                                        * (8 * (steps + 1) + PER_RUN_BYTES));
            }
        }
        curves += (1.0 + c.longHorizonBaselines.size()) * seeds * 8 * (maxSteps + 1);
        int variants =
                c.hiddenUnits.length
                        + c.hiddenLayers.length
                        + c.activations.size()
                        + c.datasets.size()
                        + c.weightings.size()
                        + c.lstmHidden.length
                        + c.lstmLayers.length;
        curves += (double) variants * (1 + c.baselines.size()) * seeds * 8 * (h + 1);
        HeapEstimate e = new HeapEstimate();
        String opt = curveOption(seeds, maxSteps, "--seeds");
        e.add(
                opt.equals("--steps") ? "--horizon" : "--seeds",
                opt.equals("--steps") ? h : seeds,
                String.format(
                        "loss curves of %d tasks up to %d steps (%dx --horizon) x 8 B",
                        seeds, maxSteps, maxMult),
                curves);
        e.add(
                "--seeds",
                seeds,
                "bookkeeping " + PER_RUN_BYTES + " B/run",
                60.0 * seeds * PER_RUN_BYTES);
        e.add("--tuning-seeds", c.tuningSeeds, "learning-rate search", search);
        return e;
    }

    /**
     * {@code study}'s meta-training (the main optimizer and the ablations: the base task, the
     * largest LSTM of section 4), as {@link HeapEstimate#metaTraining} counts it.
     */
    static HeapEstimate studyMetaTraining(StudyConfig c) {
        TaskFamily family = StudyRunner.family(c, Map.of(), "train");
        int hidden = c.lstmBaseHidden;
        for (int x : c.lstmHidden) {
            hidden = Math.max(hidden, x);
        }
        int layers = 2;
        for (int x : c.lstmLayers) {
            layers = Math.max(layers, x);
        }
        MetaTrainingConfig mc =
                MetaTrainingConfig.builder()
                        .taskFamily(family)
                        .validationTasks(c.validationTasks)
                        .lstmConfig(
                                LstmConfig.builder()
                                        .layers(layers)
                                        .hidden(hidden)
                                        .preprocessing(Preprocessing.LOG_SIGN)
                                        .build())
                        .horizon(c.horizon)
                        .unroll(Math.min(c.unroll, c.horizon))
                        .tasksPerIteration(c.tasksPerIteration)
                        .coordinateSubsample(c.coordinateSubsample)
                        .iterations(1)
                        .build();
        return HeapEstimate.metaTraining(mc, family.sample(1L << 61).dimension());
    }

    /**
     * {@code bench}: the learned optimizer's state and the gradient and update arrays of {@code
     * coords} coordinates (the largest step measured), and two doubles per repetition.
     */
    static HeapEstimate bench(long coords, int stateBytes, long repetitions) {
        HeapEstimate e = new HeapEstimate();
        e.add(
                "--coords",
                coords,
                "optimizer state " + stateBytes + " B/coordinate",
                (double) stateBytes * coords);
        e.add("--coords", coords, "gradient and update 8 B/coordinate", 8.0 * coords);
        e.add("--repetitions", repetitions, "timings 24 B/repetition", 24.0 * repetitions);
        return e;
    }

    /**
     * The number of rates of a {@code --lr-grid} spec without building it ({@code min:max:points}
     * allocates {@code points} doubles): the points, or the list's length; 0 if unparseable (the
     * parser then says why).
     */
    static long gridPoints(String spec) {
        String[] p = spec.trim().split(":");
        if (p.length == 3) {
            try {
                return Long.parseLong(p[2].trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return spec.split(",").length;
    }

    /**
     * Parsing a {@code --lr-grid} of {@code points} rates (its arrays; the search itself is in
     * {@link #evaluate} and {@link #study}).
     */
    static HeapEstimate grid(String spec) {
        long points = gridPoints(spec);
        return new HeapEstimate().add("--lr-grid", points, "rates 24 B/rate", 24.0 * points);
    }
}
