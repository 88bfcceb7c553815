package org.l2o4j.core.meta;

import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

/**
 * One task of a meta-iteration, advanced one truncation at a time: the unit of the meta-gradient's
 * decomposition by task (docs/design.md section 2).
 *
 * <p>Task {@code m} of iteration {@code it} is sampled with {@link TruncationContext#taskSeed}, its
 * coordinates are shuffled with its own stream and cut into blocks of {@value DoubleBptt#BLOCK},
 * and truncation {@code k} backpropagates its own choice of blocks ({@link
 * TruncationContext#blocksPerTask}); the contribution is the block-order sum of the blocks'
 * meta-gradients, scaled by {@code blocks/backpropagated}. It depends only on (phi, the task's
 * seed, the iteration, the truncation index, the task's carried {@link TaskState}), never on the
 * lane, its thread count, or the other tasks.
 */
public final class TaskTruncation {
    private final TruncationLane lane;
    private final int iteration;
    private final int task;
    private final Rollout r;
    private final Truncator tr;
    private final double[] meta = new double[1];
    private boolean diverged;
    private int next;

    private TaskTruncation(TruncationLane lane, TaskFamily family, int it, int m, TaskState s) {
        TruncationContext ctx = lane.ctx;
        this.lane = lane;
        this.iteration = it;
        this.task = m;
        Task t = ctx.trainingTask(family, it, m);
        this.r =
                new Rollout(
                        lane.kernel,
                        new Task[] {t},
                        ctx.shuffle(it, m),
                        null,
                        lane.floatKernel == null);
        Truncator made = null;
        if (s == null) {
            try {
                made = truncator(null);
            } catch (Rollout.NonFiniteLossException e) {
                diverged = true;
            }
        } else {
            if (s.iteration != it || s.task != m) {
                throw new IllegalArgumentException("state of another task");
            }
            next = s.nextTruncation;
            meta[0] = s.meta;
            diverged = s.diverged;
            if (!diverged) {
                r.restore(s.theta, s.floatState, s.blockState, s.loss);
                made = truncator(s.grad);
            }
        }
        this.tr = made;
    }

    private Truncator truncator(double[] grad) {
        TruncationContext ctx = lane.ctx;
        Truncator t =
                new Truncator(
                        lane.kernel,
                        lane.floatKernel,
                        lane.workers,
                        r,
                        ctx.weights(),
                        ctx.unroll(),
                        lane.storagePool,
                        lane.floatPool,
                        grad);
        t.profile = lane.profile;
        return t;
    }

    /** Task {@code m} of iteration {@code it} at its initial point (evaluated on minibatch 0). */
    public static TaskTruncation start(TruncationLane lane, TaskFamily family, int it, int m) {
        return new TaskTruncation(lane, family, it, m, null);
    }

    /** The task of a carried state, restored exactly. */
    public static TaskTruncation restore(TruncationLane lane, TaskFamily family, TaskState s) {
        return new TaskTruncation(lane, family, s.iteration, s.task, s);
    }

    /**
     * Runs truncation {@code k} (which must be the next one) with optimizer weights {@code phi}.
     *
     * @return the task's contribution (without its carried state; see {@link #state})
     */
    public MetaGradientContribution run(double[] phi, int k) {
        if (k != next) {
            throw new IllegalStateException("truncation " + k + " but the next is " + next);
        }
        next++;
        TruncationContext ctx = lane.ctx;
        if (diverged) {
            return new MetaGradientContribution(task, null, true, meta[0], Double.NaN, null);
        }
        int s0 = k * ctx.unroll();
        int len = Math.min(ctx.unroll(), ctx.horizon() - s0);
        int nb = r.numBlocks;
        int[] tracked = ctx.chooseBlocks(nb, iteration, k, task);
        double[] g = new double[lane.kernel.numParams];
        try {
            boolean any = tr.run(phi, s0, len, tracked, meta, g);
            if (!any) {
                g = null;
            } else if (tracked.length != nb) {
                double f = (double) nb / tracked.length;
                for (int p = 0; p < g.length; p++) {
                    g[p] *= f;
                }
            }
        } catch (Rollout.NonFiniteLossException e) {
            diverged = true;
            g = null;
        }
        return new MetaGradientContribution(
                task, g, diverged, meta[0], diverged ? Double.NaN : r.losses[0], null);
    }

    /** The state to carry to the next truncation (a copy). */
    public TaskState state() {
        if (diverged) {
            return new TaskState(
                    iteration, task, next, null, null, null, null, Double.NaN, meta[0], true);
        }
        return new TaskState(
                iteration,
                task,
                next,
                r.theta[0].clone(),
                r.floatStateCopy(),
                r.blockStateCopy(),
                tr.currentGradient().clone(),
                r.losses[0],
                meta[0],
                false);
    }
}
