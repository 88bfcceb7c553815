package org.l2o4j.core.meta;

/**
 * Runs one truncation of every task of a meta-iteration ({@link MetaTrainer} calls it once per
 * truncation and owns the optimizer weights, the outer optimizer, validation and checkpoints). The
 * local implementation runs the tasks in this JVM; a distributed one (the {@code l2o4j-spark}
 * adapter) runs them on a cluster. Every implementation must return, for the same inputs, the same
 * contributions bit for bit: each is {@link TaskTruncation#run} of the task's carried state.
 */
public interface TruncationExecutor extends AutoCloseable {

    /** Starts meta-iteration {@code iteration}: its tasks start from their initial points. */
    void beginIteration(int iteration);

    /**
     * Runs truncation {@code k} of every task of the current iteration with optimizer weights
     * {@code phi} (not modified).
     *
     * @return the contributions in task order {@code 0..P-1}
     */
    MetaGradientContribution[] runTruncation(int k, double[] phi);

    /** A short description for progress lines (e.g. executors in use and phase times), or null. */
    default String describe() {
        return null;
    }

    @Override
    void close();
}
