package org.l2o4j.core.eval;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of a learning-rate grid search for one baseline on validation tasks.
 *
 * <p>Selection rule: the learning rate with the lowest <em>mean final loss</em> over the validation
 * tasks, a diverged run counting as {@code +Inf} (so a rate that diverges on any validation task is
 * only chosen if every rate does). The mean (not the mean of log losses) is used because it is the
 * number the evaluation tables report. Ties go to the fewest diverged runs, then to the lowest mean
 * over the runs that did not diverge, then to the smaller rate.
 *
 * @param baseline the baseline's name
 * @param points one entry per grid value, ascending in learning rate
 * @param bestLearningRate the chosen rate
 * @param validationSeeds the task seeds used (disjoint from the evaluation seeds)
 * @param steps the horizon the rates were tuned for
 */
public record TuningResult(
        String baseline,
        List<GridPoint> points,
        double bestLearningRate,
        long[] validationSeeds,
        int steps) {

    /** Validates and copies. */
    public TuningResult {
        Objects.requireNonNull(baseline, "baseline");
        points = List.copyOf(points);
        validationSeeds = validationSeeds.clone();
    }

    /**
     * One grid value's validation result.
     *
     * @param learningRate the rate
     * @param meanFinalLoss the mean final loss, {@code +Inf} if any run diverged
     * @param finiteFinalLoss summary of the final losses of the runs that did not diverge
     * @param diverged number of diverged validation runs
     */
    public record GridPoint(
            double learningRate,
            double meanFinalLoss,
            Statistics.Summary finiteFinalLoss,
            int diverged) {}

    /** Picks the best point by the rule in the class comment. */
    static double select(List<GridPoint> points) {
        GridPoint best = null;
        for (GridPoint p : points) {
            if (best == null || better(p, best)) {
                best = p;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("No grid points to select from");
        }
        return best.learningRate();
    }

    private static boolean better(GridPoint a, GridPoint b) {
        int c = Double.compare(a.meanFinalLoss(), b.meanFinalLoss());
        if (c != 0) {
            return c < 0;
        }
        if (a.diverged() != b.diverged()) {
            return a.diverged() < b.diverged();
        }
        double am =
                a.finiteFinalLoss().n() == 0
                        ? Double.POSITIVE_INFINITY
                        : a.finiteFinalLoss().mean();
        double bm =
                b.finiteFinalLoss().n() == 0
                        ? Double.POSITIVE_INFINITY
                        : b.finiteFinalLoss().mean();
        c = Double.compare(am, bm);
        if (c != 0) {
            return c < 0;
        }
        return a.learningRate() < b.learningRate();
    }
}
