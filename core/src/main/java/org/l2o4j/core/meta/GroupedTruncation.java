package org.l2o4j.core.meta;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.l2o4j.core.task.Task;

/**
 * The truncations of one run of a task under a per-group optimizer ({@link GroupedMetaTrainer}):
 * the task padded group by group ({@link GroupPaddedTask}) so that every block of {@value
 * DoubleBptt#BLOCK} positions belongs to one group, each block stepped by the double training
 * kernel with its group's weights, and the backward of the tracked blocks accumulated per group.
 */
final class GroupedTruncation {
    private final DoubleBptt kernel;
    private final Workers workers;
    final GroupPaddedTask task;
    final Rollout r;
    private final double[] weights;
    private final int unroll;
    private double[] gradCur;
    private final double[][] gradNext;
    private final double[] update;
    private final double[] wNext;
    private final int[] blockGroup;
    private final List<DoubleBptt.Storage> pool = new ArrayList<>();

    /** Evaluates the task at its initial point (minibatch 0). */
    GroupedTruncation(DoubleBptt kernel, Workers workers, Task task, double[] weights, int unroll) {
        this.kernel = kernel;
        this.workers = workers;
        this.task = new GroupPaddedTask(task);
        this.r = new Rollout(kernel, new Task[] {this.task}, null, null, true);
        this.weights = weights;
        this.unroll = unroll;
        this.gradCur = new double[r.size];
        this.gradNext = new double[unroll][r.size];
        this.update = new double[r.size];
        this.wNext = new double[unroll];
        this.blockGroup = new int[r.numBlocks];
        for (int b = 0; b < blockGroup.length; b++) {
            blockGroup[b] = this.task.groupOfBlock(b);
        }
        r.evaluate(workers, 0, gradCur);
    }

    int numBlocks() {
        return r.numBlocks;
    }

    /** Blocks {@code [groupBlocks[g], groupBlocks[g+1])} belong to group {@code g}. */
    int[] groupBlocks() {
        return task.groupBlocks.clone();
    }

    /**
     * Runs steps {@code s0 .. s0+len-1}, group {@code g}'s blocks with {@code phi[g]}, adds {@code
     * w_t f_t} to {@code meta[0]}, and returns the concatenated per-group meta-gradients (group
     * {@code g}'s at {@code [g * P, (g+1) * P)}): the block-order sum over the group's tracked
     * blocks, scaled by (group's blocks / group's tracked blocks); null if all weights of the
     * truncation are zero.
     *
     * @param tracked ascending indices of the blocks to backpropagate
     * @throws Rollout.NonFiniteLossException if the task's loss or gradient is not finite
     */
    double[] run(double[][] phi, int s0, int len, int[] tracked, double[] meta) {
        if (len > unroll) {
            throw new IllegalArgumentException("len " + len + " > unroll " + unroll);
        }
        int nb = r.numBlocks;
        boolean[] isTracked = new boolean[nb];
        while (pool.size() < tracked.length) {
            pool.add(kernel.newStorage(unroll));
        }
        for (int j = 0; j < tracked.length; j++) {
            isTracked[tracked[j]] = true;
            r.blocks[tracked[j]].attach(pool.get(j));
        }
        for (int u = 0; u < len; u++) {
            final int uu = u;
            final double[] in = gradCur;
            final double[] th = r.thetaPositions();
            workers.forEach(
                    nb,
                    b ->
                            kernel.forward(
                                    phi[blockGroup[b]],
                                    r.blocks[b],
                                    in,
                                    th,
                                    update,
                                    uu,
                                    isTracked[b]));
            r.apply(update);
            r.evaluate(workers, s0 + u + 1, gradNext[u]);
            wNext[u] = weights[s0 + u + 1];
            meta[0] += wNext[u] * r.losses[0];
            gradCur = gradNext[u];
        }
        gradCur = gradCur.clone();
        boolean any = false;
        for (int u = 0; u < len; u++) {
            any |= wNext[u] != 0;
        }
        double[] out = null;
        if (any) {
            workers.forEach(
                    tracked.length,
                    j -> {
                        DoubleBptt.Block blk = r.blocks[tracked[j]];
                        Arrays.fill(blk.acc, 0.0);
                        kernel.backward(phi[blockGroup[tracked[j]]], blk, gradNext, wNext, len);
                    });
            int p = kernel.numParams;
            int groups = task.numGroups();
            out = new double[groups * p];
            int[] count = new int[groups];
            for (int b : tracked) {
                int g = blockGroup[b];
                count[g]++;
                double[] acc = r.blocks[b].acc;
                for (int i = 0; i < p; i++) {
                    out[g * p + i] += acc[i];
                }
            }
            for (int g = 0; g < groups; g++) {
                int inGroup = task.groupBlocks[g + 1] - task.groupBlocks[g];
                if (count[g] > 0 && count[g] != inGroup) {
                    double f = (double) inGroup / count[g];
                    for (int i = 0; i < p; i++) {
                        out[g * p + i] *= f;
                    }
                }
            }
        }
        for (int b : tracked) {
            r.blocks[b].commitTrackedState(len - 1);
            r.blocks[b].detach();
        }
        return out;
    }
}
