package org.l2o4j.core.meta;

import java.util.List;
import org.l2o4j.core.task.Task;

/**
 * A task's coordinates reordered group by group, each group padded with dummy coordinates to a
 * multiple of {@link DoubleBptt#BLOCK}, so that every block of the training kernel holds the
 * coordinates of one group only (per-group meta-training, {@link GroupedMetaTrainer}).
 *
 * <p>A dummy coordinate does not enter the loss and always has gradient 0, so its meta-gradient
 * contribution is exactly 0 (its upstream gradient, a sum of its future gradients, is 0): padding
 * changes no meta-gradient and no real coordinate's trajectory.
 */
final class GroupPaddedTask implements Task {
    private final Task inner;
    private final List<String> groups;

    /** Original coordinate of each padded position, or -1 for a dummy. */
    final int[] source;

    /** First block of each group, and one past the last group's last block at the end. */
    final int[] groupBlocks;

    private final double[] innerTheta;
    private final double[] innerGrad;

    GroupPaddedTask(Task inner) {
        this.inner = inner;
        this.groups = inner.parameterGroups();
        int[] labels = inner.parameterGroupLabels();
        int g = groups.size();
        int[] counts = new int[g];
        for (int l : labels) {
            counts[l]++;
        }
        groupBlocks = new int[g + 1];
        for (int k = 0; k < g; k++) {
            groupBlocks[k + 1] =
                    groupBlocks[k] + (counts[k] + DoubleBptt.BLOCK - 1) / DoubleBptt.BLOCK;
        }
        source = new int[groupBlocks[g] * DoubleBptt.BLOCK];
        java.util.Arrays.fill(source, -1);
        int[] fill = new int[g];
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            source[groupBlocks[l] * DoubleBptt.BLOCK + fill[l]++] = i;
        }
        innerTheta = new double[inner.dimension()];
        innerGrad = new double[inner.dimension()];
    }

    /** The group of block {@code b}. */
    int groupOfBlock(int b) {
        int g = 0;
        while (groupBlocks[g + 1] <= b) {
            g++;
        }
        return g;
    }

    int numGroups() {
        return groups.size();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public int dimension() {
        return source.length;
    }

    @Override
    public double[] initialParameters() {
        double[] t = inner.initialParameters();
        double[] out = new double[source.length];
        for (int p = 0; p < source.length; p++) {
            if (source[p] >= 0) {
                out[p] = t[source[p]];
            }
        }
        return out;
    }

    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut) {
        return lossAndGradient(theta, t, gradOut, 1);
    }

    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut, int threads) {
        Task.checkLength("theta", theta, source.length);
        Task.checkLength("gradOut", gradOut, source.length);
        for (int p = 0; p < source.length; p++) {
            if (source[p] >= 0) {
                innerTheta[source[p]] = theta[p];
            }
        }
        double loss = inner.lossAndGradient(innerTheta, t, innerGrad, threads);
        for (int p = 0; p < source.length; p++) {
            gradOut[p] = source[p] >= 0 ? innerGrad[source[p]] : 0.0;
        }
        return loss;
    }
}
