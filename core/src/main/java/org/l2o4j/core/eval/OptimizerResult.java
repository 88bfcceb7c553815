package org.l2o4j.core.eval;

import java.util.List;
import java.util.Objects;

/**
 * All runs of one optimizer in an evaluation.
 *
 * <p>Diverged runs are kept and counted: {@link #finalLoss()} summarises the runs that did not
 * diverge and {@link #divergedCount()} says how many did.
 *
 * @param name the name in the report ({@code learned}, {@code adam}, ...)
 * @param learningRate the learning rate used (chosen by {@link #tuning()} for a baseline), or NaN
 * @param runs one run per evaluation seed, in seed order
 * @param tuning the grid search that chose the rate, or {@code null} (learned optimizers, fixed
 *     rates)
 */
public record OptimizerResult(
        String name, double learningRate, List<RunResult> runs, TuningResult tuning) {

    /** Validates and copies. */
    public OptimizerResult {
        Objects.requireNonNull(name, "name");
        runs = List.copyOf(runs);
    }

    /** Number of runs that diverged. */
    public int divergedCount() {
        int k = 0;
        for (RunResult r : runs) {
            if (r.diverged()) {
                k++;
            }
        }
        return k;
    }

    /** Summary of the final losses of the runs that did not diverge. */
    public Statistics.Summary finalLoss() {
        return lossAt(steps());
    }

    /** Summary of the losses after {@code t} steps over the runs that had not diverged by then. */
    public Statistics.Summary lossAt(int t) {
        return Statistics.summarize(
                runs.stream().mapToDouble(r -> r.lossAt(t)).filter(Double::isFinite).toArray());
    }

    /** Summary of each run's mean loss over steps 0..T (the paper's uniform meta-loss). */
    public Statistics.Summary meanLossOverRun() {
        return Statistics.summarize(
                runs.stream()
                        .filter(r -> !r.diverged())
                        .mapToDouble(r -> Statistics.mean(r.losses()))
                        .toArray());
    }

    /** The horizon of the runs (0 if there are none). */
    public int steps() {
        return runs.isEmpty() ? 0 : runs.get(0).steps();
    }

    /** Summary of the optimizer's own time per step in seconds, over runs that did not diverge. */
    public Statistics.Summary optimizerSecondsPerStep() {
        return Statistics.summarize(
                runs.stream()
                        .filter(r -> !r.diverged() && r.steps() > 0)
                        .mapToDouble(r -> r.optimizerNanos() * 1e-9 / r.steps())
                        .toArray());
    }
}
