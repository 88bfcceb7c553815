package org.l2o4j.core.meta;

import java.nio.file.Path;

/**
 * Receives meta-training progress. Called on the training thread; keep it cheap. An exception
 * thrown by a listener aborts training (the last periodic checkpoint stays valid).
 */
public interface MetaTrainingListener {

    /** Training starts (or resumes) after {@code completedIterations} of {@code iterations}. */
    default void onStart(int completedIterations, int iterations) {}

    /** A meta-iteration finished. */
    default void onIteration(IterationProgress progress) {}

    /** A validation finished. */
    default void onValidation(ValidationResult result) {}

    /**
     * A curriculum stage begins (also once when training starts or resumes, with the current
     * stage); only runs with a {@link Curriculum} call it.
     */
    default void onStage(StageChange change) {}

    /** A checkpoint was written. */
    default void onCheckpoint(Path path, int completedIterations) {}

    /**
     * The CPU budget ({@link MetaTrainingConfig#cpuBudgetSeconds()}) is spent: training ends after
     * {@code completedIterations} (also when a resumed run finds it already spent).
     *
     * @param cpuSeconds process CPU seconds spent in meta-iterations, all sessions
     * @param budgetSeconds the budget
     */
    default void onCpuBudgetSpent(
            int completedIterations, double cpuSeconds, double budgetSeconds) {}

    /**
     * The JVM is shutting down during training (SIGINT/SIGTERM) and the checkpoint of the last
     * completed meta-iteration is on disk at {@code path}. Called from a shutdown hook thread.
     */
    default void onShutdownCheckpoint(Path path, int completedIterations) {}

    /**
     * Progress after one meta-iteration.
     *
     * @param iteration meta-iterations completed (1-based)
     * @param iterations meta-iterations in total
     * @param metaLoss the weighted meta-loss of this iteration's runs, mean over its tasks
     * @param finalLoss the loss at the end of the horizon, mean over this iteration's tasks
     * @param gradNorm mean meta-gradient norm before clipping over this iteration's truncations
     * @param elapsedSeconds wall time of the training so far (resumed sessions included)
     * @param etaSeconds estimated seconds to the end (NaN before it can be estimated)
     */
    record IterationProgress(
            int iteration,
            int iterations,
            double metaLoss,
            double finalLoss,
            double gradNorm,
            double elapsedSeconds,
            double etaSeconds) {}

    /**
     * A validation on the held-out tasks.
     *
     * @param iteration meta-iterations completed when it ran (0 = the initial weights)
     * @param metaLoss weighted meta-loss, mean over the validation tasks (the selection criterion)
     * @param finalLoss loss at the end of the horizon, mean over the validation tasks
     * @param best whether these weights are the new best
     * @param bestMetaLoss the best validation meta-loss so far
     */
    record ValidationResult(
            int iteration, double metaLoss, double finalLoss, boolean best, double bestMetaLoss) {}

    /**
     * A curriculum stage in effect from an iteration on.
     *
     * @param stage the stage, 0-based
     * @param stages the number of stages
     * @param iteration meta-iterations completed when it took effect
     * @param horizon the stage's horizon
     * @param unroll the stage's unroll
     */
    record StageChange(int stage, int stages, int iteration, int horizon, int unroll) {}
}
