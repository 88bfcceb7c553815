package org.l2o4j.core.lstm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.l2o4j.core.optim.Gradients;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.Task;

/**
 * A learned optimizer with one weight set per parameter group (the paper's "LSTM-sep"): the
 * coordinates of a parameter vector carry a group label each, and group {@code g}'s coordinates are
 * stepped by an {@link LstmOptimizer} with group {@code g}'s weights.
 *
 * <p>Built for one coordinate layout: {@link #forTask} takes the groups and labels of a {@link
 * Task} (every task of a family has the same layout), {@link #of} takes them explicitly. Which
 * weight set each group gets is decided by {@link GroupedWeights#resolve} (a shared set applies to
 * every group; a grouped set by name or by an explicit mapping).
 *
 * <p><b>State layout</b> ({@code S} floats per coordinate, as the per-group {@link LstmOptimizer}):
 * group-major. The groups' coordinates are numbered in ascending index order within each group;
 * group {@code g} with {@code n_g} coordinates owns the floats {@code [S * start_g, S * (start_g +
 * n_g))}, {@code start_g = n_0 + ... + n_{g-1}}, holding that group's state in {@link
 * LstmOptimizer}'s own layout for {@code n_g} coordinates (row stride {@code n_g}). With one group
 * the layout is exactly {@link LstmOptimizer}'s and a step is exactly that optimizer's step.
 *
 * <p>A step checks the whole gradient first (under {@link NonFinitePolicy#ERROR} nothing is
 * modified if any value is not finite), then per group gathers its gradients, steps the group's
 * state and scatters the updates. A coordinate's result is that of {@link LstmOptimizer} with the
 * group's weights (bitwise with the scalar kernel; the vector kernel may round a coordinate in the
 * last partial tile of a group differently in the last bits).
 *
 * <p>Immutable and thread-safe; scratch is kept per thread.
 */
public final class GroupedLstmOptimizer implements UpdateRule {
    private final List<String> groups;
    private final LstmOptimizer[] optimizers;
    private final int[] labels;

    /** Coordinates of each group, ascending. */
    private final int[][] members;

    /** First state coordinate of each group. */
    private final int[] starts;

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private GroupedLstmOptimizer(
            List<String> groups, LstmOptimizer[] optimizers, int[] labels, int[][] members) {
        this.groups = List.copyOf(groups);
        this.optimizers = optimizers;
        this.labels = labels;
        this.members = members;
        this.starts = new int[members.length + 1];
        for (int g = 0; g < members.length; g++) {
            starts[g + 1] = starts[g] + members[g].length;
        }
    }

    /**
     * The optimizer for a coordinate layout.
     *
     * @param weights per-group (or shared) weights
     * @param modelGroups the layout's group names
     * @param labels the group index (into {@code modelGroups}) of every coordinate
     * @param mapping {@code modelGroup -> weightGroup} overrides (see {@link
     *     GroupedWeights#resolve})
     * @throws IllegalArgumentException if a label is out of range or a group has no weights
     */
    public static GroupedLstmOptimizer of(
            GroupedWeights weights,
            List<String> modelGroups,
            int[] labels,
            Map<String, String> mapping) {
        List<LstmWeights> ws = weights.resolve(modelGroups, mapping);
        int ng = modelGroups.size();
        int[] counts = new int[ng];
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            if (l < 0 || l >= ng) {
                throw new IllegalArgumentException(
                        "coordinate "
                                + i
                                + " has group label "
                                + l
                                + " but there are "
                                + ng
                                + " groups "
                                + modelGroups);
            }
            counts[l]++;
        }
        int[][] members = new int[ng][];
        for (int g = 0; g < ng; g++) {
            members[g] = new int[counts[g]];
        }
        int[] fill = new int[ng];
        for (int i = 0; i < labels.length; i++) {
            members[labels[i]][fill[labels[i]]++] = i;
        }
        LstmOptimizer[] opts = new LstmOptimizer[ng];
        for (int g = 0; g < ng; g++) {
            // one optimizer (and packed kernel) per distinct weight set
            LstmWeights w = ws.get(g);
            for (int h = 0; h < g; h++) {
                if (ws.get(h) == w) {
                    opts[g] = opts[h];
                }
            }
            if (opts[g] == null) {
                opts[g] = LstmOptimizer.of(w);
            }
        }
        return new GroupedLstmOptimizer(modelGroups, opts, labels.clone(), members);
    }

    /** {@link #of} with the task's groups and labels and no mapping. */
    public static GroupedLstmOptimizer forTask(GroupedWeights weights, Task task) {
        return forTask(weights, task, Map.of());
    }

    /** {@link #of} with the task's groups and labels. */
    public static GroupedLstmOptimizer forTask(
            GroupedWeights weights, Task task, Map<String, String> mapping) {
        return of(weights, task.parameterGroups(), task.parameterGroupLabels(), mapping);
    }

    private GroupedLstmOptimizer with(java.util.function.UnaryOperator<LstmOptimizer> f) {
        LstmOptimizer[] opts = new LstmOptimizer[optimizers.length];
        for (int g = 0; g < opts.length; g++) {
            for (int h = 0; h < g; h++) {
                if (optimizers[h] == optimizers[g]) {
                    opts[g] = opts[h];
                }
            }
            if (opts[g] == null) {
                opts[g] = f.apply(optimizers[g]);
            }
        }
        return new GroupedLstmOptimizer(groups, opts, labels, members);
    }

    /** A copy with another non-finite policy for every group. */
    public GroupedLstmOptimizer withNonFinitePolicy(NonFinitePolicy p) {
        return with(o -> o.withNonFinitePolicy(p));
    }

    /** A copy with another zero-gradient policy for every group. */
    public GroupedLstmOptimizer withZeroGradientPolicy(ZeroGradientPolicy p) {
        return with(o -> o.withZeroGradientPolicy(p));
    }

    /** A copy with another state type for every group. */
    public GroupedLstmOptimizer withStateType(StateType t) {
        return with(o -> o.withStateType(t));
    }

    /** A copy using {@code t} threads for large steps of a group. */
    public GroupedLstmOptimizer withThreads(int t) {
        return with(o -> o.withThreads(t));
    }

    /** A copy using the given kernel. */
    public GroupedLstmOptimizer withKernel(Kernel k) {
        return with(o -> o.withKernel(k));
    }

    /** The model's group names, in label order. */
    public List<String> groups() {
        return groups;
    }

    /** The optimizer that steps group {@code g}. */
    public LstmOptimizer optimizer(int g) {
        return optimizers[g];
    }

    /** The number of coordinates of the layout. */
    public int dimension() {
        return labels.length;
    }

    @Override
    public String name() {
        return "learned";
    }

    @Override
    public int stateSizePerCoordinate() {
        return optimizers[0].stateSizePerCoordinate();
    }

    @Override
    public NonFinitePolicy nonFinitePolicy() {
        return optimizers[0].nonFinitePolicy();
    }

    @Override
    public OptimizerState newState(int n) {
        checkSize(n);
        return UpdateRule.super.newState(n);
    }

    /** The layout's size, or 0 (an empty vector, accepted as by every rule). */
    private void checkSize(int n) {
        if (n != labels.length && n != 0) {
            throw new IllegalArgumentException(
                    "this per-group optimizer was built for "
                            + labels.length
                            + " coordinates (groups "
                            + groups
                            + ") but got "
                            + n);
        }
    }

    /** Whether some group's features include {@code param} (see {@link UpdateRule}). */
    @Override
    public boolean needsParameters() {
        for (LstmOptimizer o : optimizers) {
            if (o.needsParameters()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if a group's features include {@code param}: use the overload
     *     with the parameters
     */
    @Override
    public void step(
            OptimizerState state, float[] grad, int gradOffset, float[] update, int updateOffset) {
        if (needsParameters()) {
            throw new IllegalStateException(
                    "A group of this per-group learned optimizer has the param feature (the"
                            + " parameter's value): step it with the parameters, step(state,"
                            + " params, paramOffset, grad, gradOffset, update, updateOffset)");
        }
        step(state, null, 0, grad, gradOffset, update, updateOffset);
    }

    @Override
    public void step(
            OptimizerState state,
            float[] params,
            int paramOffset,
            float[] grad,
            int gradOffset,
            float[] update,
            int updateOffset) {
        checkSize(state.size());
        boolean anyBad = Gradients.checkStep(this, state, grad, gradOffset, update, updateOffset);
        if (params != null) {
            Gradients.checkParams(state, params, paramOffset);
        }
        if (members.length == 1 || state.size() == 0) {
            optimizers[0].step(state, params, paramOffset, grad, gradOffset, update, updateOffset);
            return;
        }
        Objects.requireNonNull(grad, "grad");
        int s = stateSizePerCoordinate();
        float[] data = state.data();
        Scratch sc = scratch.get();
        long skipped = 0;
        for (int g = 0; g < members.length; g++) {
            int[] idx = members[g];
            int ng = idx.length;
            if (ng == 0) {
                continue;
            }
            float[] gg = sc.grad(ng);
            for (int j = 0; j < ng; j++) {
                gg[j] = grad[gradOffset + idx[j]];
            }
            float[] pg = null;
            if (params != null) {
                pg = sc.params(ng);
                for (int j = 0; j < ng; j++) {
                    pg[j] = params[paramOffset + idx[j]];
                }
            }
            OptimizerState sub = sc.state(g, ng, s);
            float[] sd = sub.data();
            System.arraycopy(data, s * starts[g], sd, 0, s * ng);
            sub.setStepCount(state.stepCount());
            long before = sub.skippedCount();
            float[] ug = sc.update(ng);
            optimizers[g].step(sub, pg, 0, gg, 0, ug, 0);
            skipped += sub.skippedCount() - before;
            System.arraycopy(sd, 0, data, s * starts[g], s * ng);
            for (int j = 0; j < ng; j++) {
                update[updateOffset + idx[j]] = ug[j];
            }
        }
        if (anyBad) {
            state.addSkipped(skipped);
        }
        state.incrementStepCount();
    }

    /** Per-thread gather buffers and per-group sub-states. */
    private static final class Scratch {
        private float[] grad = new float[0];
        private float[] update = new float[0];
        private float[] params = new float[0];
        private OptimizerState[] states = new OptimizerState[0];

        float[] grad(int n) {
            if (grad.length < n) {
                grad = new float[n];
            }
            return grad;
        }

        float[] params(int n) {
            if (params.length < n) {
                params = new float[n];
            }
            return params;
        }

        float[] update(int n) {
            if (update.length < n) {
                update = new float[n];
            }
            return update;
        }

        OptimizerState state(int g, int n, int s) {
            if (states.length <= g) {
                states = java.util.Arrays.copyOf(states, g + 1);
            }
            OptimizerState st = states[g];
            if (st == null || st.size() != n || st.sizePerCoordinate() != s) {
                st = OptimizerState.create(n, s);
                states[g] = st;
            }
            return st;
        }
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (int g = 0; g < members.length; g++) {
            parts.add(groups.get(g) + ":" + members[g].length);
        }
        return "GroupedLstmOptimizer{" + parts + ", " + optimizers[0] + "}";
    }
}
