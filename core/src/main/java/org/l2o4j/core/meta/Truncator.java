package org.l2o4j.core.meta;

import java.util.Arrays;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.ZeroGradientPolicy;

/**
 * Runs the truncations of one {@link Rollout}: the forward over {@code len} steps with activations
 * stored for the tracked blocks, then the first-order backward (see {@link MetaTrainer} for which
 * losses belong to a truncation).
 */
final class Truncator {
    private final DoubleBptt kernel;
    private final Workers workers;
    private final Rollout r;
    private final double[] weights;
    private final int unroll;
    private double[] gradCur;
    private final double[][] gradNext;
    private final double[] update;
    private final double[] wNext;
    private final java.util.List<DoubleBptt.Storage> pool;

    /** The float training kernel, or null for the double one. */
    private final FloatBptt floatKernel;

    private final java.util.List<FloatBptt.Storage> floatPool;

    /** Phase timer, or null. */
    MetaProfile profile;

    /** Evaluates the tasks at their initial points (minibatch 0). */
    Truncator(DoubleBptt kernel, Workers workers, Rollout r, double[] weights, int unroll) {
        this(kernel, workers, r, weights, unroll, new java.util.ArrayList<>());
    }

    /**
     * @param pool storage to lend to tracked blocks (grown as needed; may be shared by successive
     *     truncators of the same kernel and unroll)
     */
    Truncator(
            DoubleBptt kernel,
            Workers workers,
            Rollout r,
            double[] weights,
            int unroll,
            java.util.List<DoubleBptt.Storage> pool) {
        this(kernel, null, workers, r, weights, unroll, pool, null);
    }

    /**
     * A truncator running the float training kernel {@code floatKernel} (if not null; the rollout
     * then needs no double blocks) with storage from {@code floatPool}, or else the double one with
     * storage from {@code pool}.
     */
    Truncator(
            DoubleBptt kernel,
            FloatBptt floatKernel,
            Workers workers,
            Rollout r,
            double[] weights,
            int unroll,
            java.util.List<DoubleBptt.Storage> pool,
            java.util.List<FloatBptt.Storage> floatPool) {
        this(kernel, floatKernel, workers, r, weights, unroll, pool, floatPool, null);
    }

    /**
     * As above, but starting from the gradient {@code grad} at the rollout's current point
     * (position order; a carried state) instead of evaluating the tasks at minibatch 0, if not
     * null.
     */
    Truncator(
            DoubleBptt kernel,
            FloatBptt floatKernel,
            Workers workers,
            Rollout r,
            double[] weights,
            int unroll,
            java.util.List<DoubleBptt.Storage> pool,
            java.util.List<FloatBptt.Storage> floatPool,
            double[] grad) {
        this.floatKernel = floatKernel;
        this.floatPool = floatPool;
        this.pool = pool;
        this.kernel = kernel;
        this.workers = workers;
        this.r = r;
        this.weights = weights;
        this.unroll = unroll;
        this.gradCur = new double[r.size];
        this.gradNext = new double[unroll][r.size];
        this.update = new double[r.size];
        this.wNext = new double[unroll];
        if (grad != null) {
            System.arraycopy(grad, 0, gradCur, 0, r.size);
        } else {
            r.evaluate(workers, 0, gradCur);
        }
    }

    /** The gradient at the rollout's current point (position order; not a copy). */
    double[] currentGradient() {
        return gradCur;
    }

    /**
     * The float inference optimizer for {@code phi}, with {@link ZeroGradientPolicy#UPDATE}: the
     * double training kernel ({@link DoubleBptt}) runs the LSTM on every coordinate, zero gradient
     * or not, so the untracked coordinates must too, or a coordinate's trajectory would depend on
     * whether it is tracked; this also keeps meta-training bit-identical to runs made before the
     * zero-gradient option existed (the shipped optimizers regenerate bit-identically). Rollouts do
     * see exact zeros: the weights from MNIST pixels that are 0 in the whole minibatch, and doubles
     * that underflow to 0 in float.
     */
    static LstmOptimizer floatOptimizer(DoubleBptt kernel, double[] phi, int threads) {
        return LstmOptimizer.of(new LstmWeights(kernel.config, MetaTrainer.toFloat(phi)))
                .withZeroGradientPolicy(ZeroGradientPolicy.UPDATE)
                .withThreads(threads);
    }

    private static int blockStart(int b) {
        return b * DoubleBptt.BLOCK;
    }

    private int blockWidth(int b) {
        return Math.min(DoubleBptt.BLOCK, r.size - b * DoubleBptt.BLOCK);
    }

    /**
     * Runs steps {@code s0 .. s0+len-1} with the optimizer {@code phi}, adds {@code w_t f_t} of
     * each task to {@code taskMeta} and writes to {@code gradOut} the sum over the tracked blocks
     * of {@code dL_k/dphi} (summed over tasks, not yet scaled).
     *
     * @param tracked ascending indices of the blocks to backpropagate
     * @return false if all weights of the truncation are zero (then {@code gradOut} is all zero)
     */
    boolean run(double[] phi, int s0, int len, int[] tracked, double[] taskMeta, double[] gradOut) {
        if (len > unroll) {
            throw new IllegalArgumentException("len " + len + " > unroll " + unroll);
        }
        if (floatKernel != null) {
            return runFloat(phi, s0, len, tracked, taskMeta, gradOut);
        }
        int nb = r.blocks.length;
        while (pool.size() < tracked.length) {
            pool.add(kernel.newStorage(unroll));
        }
        for (int j = 0; j < tracked.length; j++) {
            r.blocks[tracked[j]].attach(pool.get(j));
        }
        // Untracked coordinates only need their updates: the fast float inference kernel makes
        // them (what users run); tracked blocks run the double forward that BPTT needs.
        boolean allTracked = tracked.length == nb;
        LstmOptimizer fast = null;
        if (!allTracked) {
            fast = floatOptimizer(kernel, phi, workers.threads());
            for (int b : tracked) {
                r.loadBlockState(r.blocks[b]);
            }
        }
        final MetaProfile prof = profile;
        long t0 = prof != null ? System.nanoTime() : 0;
        for (int u = 0; u < len; u++) {
            final int uu = u;
            final double[] in = gradCur;
            final double[] th = r.thetaPositions();
            if (allTracked) {
                workers.forEach(
                        nb, b -> kernel.forward(phi, r.blocks[b], in, th, update, uu, true));
            } else {
                r.floatStep(fast, in, update);
                t0 = prof != null ? prof.add(MetaProfile.UNTRACKED, t0) : 0;
                workers.forEach(
                        tracked.length,
                        j -> kernel.forward(phi, r.blocks[tracked[j]], in, th, update, uu, true));
            }
            t0 = prof != null ? prof.add(MetaProfile.FORWARD, t0) : 0;
            t0 = applyAndEvaluate(s0, u, taskMeta, prof, t0);
        }
        // The next truncation writes into gradNext; keep the current gradient apart.
        gradCur = gradCur.clone();
        if (prof != null) {
            prof.sampleHeap();
            t0 = System.nanoTime();
        }
        boolean anyWeight = anyWeight(len);
        Arrays.fill(gradOut, 0.0);
        if (anyWeight) {
            workers.forEach(
                    tracked.length,
                    j -> {
                        DoubleBptt.Block blk = r.blocks[tracked[j]];
                        Arrays.fill(blk.acc, 0.0);
                        kernel.backward(phi, blk, gradNext, wNext, len);
                    });
            for (int b : tracked) {
                double[] acc = r.blocks[b].acc;
                for (int p = 0; p < gradOut.length; p++) {
                    gradOut[p] += acc[p];
                }
            }
            t0 = prof != null ? prof.add(MetaProfile.BACKWARD, t0) : 0;
        }
        for (int b : tracked) {
            r.blocks[b].commitTrackedState(len - 1);
            r.blocks[b].detach();
            if (!allTracked) {
                r.storeBlockState(r.blocks[b]);
            }
        }
        return anyWeight;
    }

    /**
     * {@link #run} with the float training kernel: the float state of the rollout holds the LSTM
     * state of every position; tracked blocks copy theirs into their storage before the first step
     * and back after the last, untracked positions get their updates from the float inference
     * kernel. The inference kernel steps only the untracked positions when the block bounds are
     * multiples of its tile width (always with AVX2 and AVX-512 and the scalar kernel; otherwise it
     * steps all positions): the tracked positions' float state is overwritten at the end of the
     * truncation and their updates come from the training kernel either way, so both give the same
     * results bit for bit.
     */
    private boolean runFloat(
            double[] phi, int s0, int len, int[] tracked, double[] taskMeta, double[] gradOut) {
        final FloatBptt fk = floatKernel;
        final int nb = r.numBlocks;
        final int n = r.size;
        while (floatPool.size() < tracked.length) {
            floatPool.add(fk.newStorage(unroll));
        }
        fk.prepare(phi);
        boolean allTracked = tracked.length == nb;
        LstmOptimizer fast = floatOptimizer(kernel, phi, workers.threads());
        float[] state = r.floatStateData(fast);
        for (int j = 0; j < tracked.length; j++) {
            int b = tracked[j];
            fk.loadState(floatPool.get(j), state, n, blockStart(b), blockWidth(b));
        }
        // The untracked positions: the complement of the tracked blocks, stepped alone when block
        // bounds are tile bounds of the inference kernel (then bitwise as in a full step).
        int[] bounds = null;
        int ranges = 0;
        if (!allTracked && DoubleBptt.BLOCK % fast.rangeAlignment() == 0) {
            bounds = new int[2 * (tracked.length + 1)];
            int from = 0;
            for (int b : tracked) {
                if (blockStart(b) > from) {
                    bounds[2 * ranges] = from;
                    bounds[2 * ranges + 1] = blockStart(b);
                    ranges++;
                }
                from = blockStart(b) + blockWidth(b);
            }
            if (from < n) {
                bounds[2 * ranges] = from;
                bounds[2 * ranges + 1] = n;
                ranges++;
            }
        }
        final MetaProfile prof = profile;
        long t0 = prof != null ? System.nanoTime() : 0;
        for (int u = 0; u < len; u++) {
            final int uu = u;
            final double[] in = gradCur;
            if (bounds != null) {
                r.floatStepRanges(fast, in, update, bounds, ranges);
                t0 = prof != null ? prof.add(MetaProfile.UNTRACKED, t0) : 0;
            } else if (!allTracked) {
                r.floatStep(fast, in, update);
                t0 = prof != null ? prof.add(MetaProfile.UNTRACKED, t0) : 0;
            }
            workers.forEach(
                    tracked.length,
                    j -> {
                        int b = tracked[j];
                        fk.forward(floatPool.get(j), blockStart(b), blockWidth(b), in, update, uu);
                    });
            t0 = prof != null ? prof.add(MetaProfile.FORWARD, t0) : 0;
            t0 = applyAndEvaluate(s0, u, taskMeta, prof, t0);
        }
        gradCur = gradCur.clone();
        if (prof != null) {
            prof.sampleHeap();
            t0 = System.nanoTime();
        }
        boolean anyWeight = anyWeight(len);
        Arrays.fill(gradOut, 0.0);
        if (anyWeight) {
            workers.forEach(
                    tracked.length,
                    j -> {
                        int b = tracked[j];
                        fk.backward(
                                floatPool.get(j),
                                blockStart(b),
                                blockWidth(b),
                                gradNext,
                                wNext,
                                len);
                    });
            // block order, whatever thread ran which block
            for (int j = 0; j < tracked.length; j++) {
                double[] acc = floatPool.get(j).acc;
                for (int p = 0; p < gradOut.length; p++) {
                    gradOut[p] += acc[p];
                }
            }
            t0 = prof != null ? prof.add(MetaProfile.BACKWARD, t0) : 0;
        }
        for (int j = 0; j < tracked.length; j++) {
            int b = tracked[j];
            fk.storeState(floatPool.get(j), len - 1, state, n, blockStart(b), blockWidth(b));
        }
        return anyWeight;
    }

    /**
     * After the forward of step {@code s0 + u}: applies the update, evaluates the tasks on
     * minibatch {@code s0 + u + 1} into {@code gradNext[u]} and adds their weighted losses to
     * {@code taskMeta}. Returns the profile clock.
     */
    private long applyAndEvaluate(int s0, int u, double[] taskMeta, MetaProfile prof, long t0) {
        r.apply(update);
        t0 = prof != null ? prof.add(MetaProfile.OTHER, t0) : 0;
        r.evaluate(workers, s0 + u + 1, gradNext[u]);
        t0 = prof != null ? prof.add(MetaProfile.TASK, t0) : 0;
        wNext[u] = weights[s0 + u + 1];
        for (int m = 0; m < taskMeta.length; m++) {
            taskMeta[m] += wNext[u] * r.losses[m];
        }
        gradCur = gradNext[u];
        return t0;
    }

    /** Whether any of the first {@code len} steps' losses has a non-zero weight. */
    private boolean anyWeight(int len) {
        for (int u = 0; u < len; u++) {
            if (wNext[u] != 0) {
                return true;
            }
        }
        return false;
    }
}
