package org.l2o4j.core.meta;

import java.io.Serializable;

/**
 * What one task of a meta-iteration carries from one truncation to the next: the optimizee's point,
 * the LSTM state of its coordinates, the gradient at the current point, its latest loss and its
 * weighted meta-loss so far. Together with the {@link TruncationContext}, the optimizer weights and
 * the truncation index it determines the task's next {@link MetaGradientContribution} exactly, so a
 * distributed executor can keep it on the driver and rerun a lost truncation anywhere.
 */
public final class TaskState implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The meta-iteration. */
    public final int iteration;

    /** The task's index in the iteration (the order of the sum). */
    public final int task;

    /** The next truncation to run. */
    public final int nextTruncation;

    final double[] theta;

    /** Float LSTM state of every position, or null. */
    final float[] floatState;

    /** Double LSTM state of every block (block order), or null. */
    final double[] blockState;

    /** The gradient at the current point (position order), or null if diverged. */
    final double[] grad;

    final double loss;
    final double meta;
    final boolean diverged;

    TaskState(
            int iteration,
            int task,
            int nextTruncation,
            double[] theta,
            float[] floatState,
            double[] blockState,
            double[] grad,
            double loss,
            double meta,
            boolean diverged) {
        this.iteration = iteration;
        this.task = task;
        this.nextTruncation = nextTruncation;
        this.theta = theta;
        this.floatState = floatState;
        this.blockState = blockState;
        this.grad = grad;
        this.loss = loss;
        this.meta = meta;
        this.diverged = diverged;
    }

    /** Approximate size in bytes (for progress and memory estimates). */
    public long bytes() {
        long b = 64;
        b += theta != null ? 8L * theta.length : 0;
        b += floatState != null ? 4L * floatState.length : 0;
        b += blockState != null ? 8L * blockState.length : 0;
        b += grad != null ? 8L * grad.length : 0;
        return b;
    }
}
