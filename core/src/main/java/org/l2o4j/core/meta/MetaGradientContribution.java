package org.l2o4j.core.meta;

import java.io.Serializable;

/**
 * One task's part of one truncation's meta-gradient: the sum over its backpropagated blocks (block
 * order, in double) of {@code dL_k/dphi}, scaled by {@code blocks/backpropagated} of the task. The
 * driver adds the contributions in task order and divides by the number of tasks ({@link #sum}).
 */
public final class MetaGradientContribution implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The task's index in the iteration. */
    public final int task;

    /** The contribution, or null if the truncation has no weight or the task diverged. */
    public final double[] gradient;

    /** Whether the task's loss or gradient became non-finite (the iteration is abandoned). */
    public final boolean diverged;

    /** The task's weighted meta-loss so far. */
    public final double meta;

    /** The task's latest loss. */
    public final double loss;

    /** The state to carry to the next truncation, or null when the executor keeps it. */
    public final TaskState carried;

    public MetaGradientContribution(
            int task,
            double[] gradient,
            boolean diverged,
            double meta,
            double loss,
            TaskState carried) {
        this.task = task;
        this.gradient = gradient;
        this.diverged = diverged;
        this.meta = meta;
        this.loss = loss;
        this.carried = carried;
    }

    /** This contribution without its carried state. */
    public MetaGradientContribution withoutState() {
        return new MetaGradientContribution(task, gradient, diverged, meta, loss, null);
    }

    /**
     * The truncation's meta-gradient: the contributions (which must be in task order {@code
     * 0..P-1}) added in that order in double, then divided by {@code P}; null if none has a
     * gradient.
     */
    public static double[] sum(MetaGradientContribution[] cs, int numParams) {
        double[] g = null;
        for (int m = 0; m < cs.length; m++) {
            if (cs[m].task != m) {
                throw new IllegalArgumentException(
                        "contribution " + m + " is of task " + cs[m].task);
            }
            if (cs[m].gradient == null) {
                continue;
            }
            if (g == null) {
                g = new double[numParams];
            }
            double[] c = cs[m].gradient;
            for (int p = 0; p < numParams; p++) {
                g[p] += c[p];
            }
        }
        if (g != null) {
            for (int p = 0; p < numParams; p++) {
                g[p] /= cs.length;
            }
        }
        return g;
    }
}
