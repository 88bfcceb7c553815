package org.l2o4j.core.eval;

import java.util.Objects;

/**
 * One optimizer run on one task: the loss at every step and whether the run diverged.
 *
 * <p>{@code losses[t]} is the loss at the parameters after {@code t} updates, on step {@code t}'s
 * minibatch ({@code losses[0]} is the initial loss, {@code losses[steps]} the final one). A run
 * that diverges at step {@code d} stops there: {@code losses[d]} holds the offending value (NaN,
 * Inf or a huge loss) and later entries are NaN.
 *
 * @param optimizer the optimizer's name in the report
 * @param seed the task seed
 * @param losses {@code steps + 1} losses
 * @param divergedAtStep the first diverged step, or -1
 * @param optimizerNanos wall time spent inside {@code UpdateRule.step}
 * @param totalNanos wall time of the whole run (task and optimizer)
 */
public record RunResult(
        String optimizer,
        long seed,
        double[] losses,
        int divergedAtStep,
        long optimizerNanos,
        long totalNanos) {

    /** Validates the fields. */
    public RunResult {
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(losses, "losses");
        if (losses.length == 0) {
            throw new IllegalArgumentException("losses must hold at least the initial loss");
        }
        if (divergedAtStep < -1 || divergedAtStep >= losses.length) {
            throw new IllegalArgumentException(
                    "divergedAtStep must be -1 or in [0, "
                            + losses.length
                            + ") but was "
                            + divergedAtStep);
        }
    }

    /** Number of optimizer steps of the run. */
    public int steps() {
        return losses.length - 1;
    }

    /** Whether the run diverged (NaN/Inf, non-finite gradient or a loss far above the start). */
    public boolean diverged() {
        return divergedAtStep >= 0;
    }

    /** The final loss, or {@code +Inf} for a diverged run. */
    public double finalLoss() {
        return diverged() ? Double.POSITIVE_INFINITY : losses[losses.length - 1];
    }

    /** The loss after {@code t} steps, or {@code +Inf} if the run had diverged by then. */
    public double lossAt(int t) {
        return diverged() && t >= divergedAtStep ? Double.POSITIVE_INFINITY : losses[t];
    }

    /** The initial loss. */
    public double initialLoss() {
        return losses[0];
    }
}
