package org.l2o4j.core.meta;

import org.l2o4j.core.task.TaskFamily;

/**
 * Runs the tasks' truncations in this JVM, one task after another, each with all of the lane's
 * threads (over its blocks); the tasks stay in memory between truncations.
 */
public final class LocalTruncationExecutor implements TruncationExecutor {
    private final TruncationLane lane;
    private final TaskFamily family;
    private final boolean ownLane;
    private TaskTruncation[] tasks;
    private int iteration = -1;

    /** An executor running on {@code lane} (not closed by {@link #close}). */
    public LocalTruncationExecutor(TruncationLane lane, TaskFamily family) {
        this(lane, family, false);
    }

    private LocalTruncationExecutor(TruncationLane lane, TaskFamily family, boolean ownLane) {
        this.lane = lane;
        this.family = family;
        this.ownLane = ownLane;
    }

    /** An executor with its own lane of {@code threads} threads. */
    public static LocalTruncationExecutor create(
            TruncationContext ctx, TaskFamily family, int threads) {
        return new LocalTruncationExecutor(ctx.newLane(threads), family, true);
    }

    @Override
    public void beginIteration(int it) {
        iteration = it;
        tasks = null;
    }

    @Override
    public MetaGradientContribution[] runTruncation(int k, double[] phi) {
        int p = lane.ctx.tasksPerIteration();
        if (tasks == null) {
            tasks = new TaskTruncation[p];
            for (int m = 0; m < p; m++) {
                tasks[m] = TaskTruncation.start(lane, family, iteration, m);
            }
        }
        MetaGradientContribution[] out = new MetaGradientContribution[p];
        for (int m = 0; m < p; m++) {
            out[m] = tasks[m].run(phi, k);
        }
        return out;
    }

    @Override
    public void close() {
        tasks = null;
        if (ownLane) {
            lane.close();
        }
    }
}
