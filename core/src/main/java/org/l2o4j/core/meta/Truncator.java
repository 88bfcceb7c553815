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
    private final TrainKernel kernel;
    private final Workers workers;
    private final Rollout r;
    private final double[] weights;
    private final int unroll;
    private double[] gradCur;
    private final double[][] gradNext;
    private final double[] update;
    private final double[] wNext;
    private final java.util.List<TrainKernel.Storage> pool;

    /** Evaluates the tasks at their initial points (minibatch 0). */
    Truncator(TrainKernel kernel, Workers workers, Rollout r, double[] weights, int unroll) {
        this(kernel, workers, r, weights, unroll, new java.util.ArrayList<>());
    }

    /**
     * @param pool storage to lend to tracked blocks (grown as needed; may be shared by successive
     *     truncators of the same kernel and unroll)
     */
    Truncator(
            TrainKernel kernel,
            Workers workers,
            Rollout r,
            double[] weights,
            int unroll,
            java.util.List<TrainKernel.Storage> pool) {
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
        r.evaluate(workers, 0, gradCur);
    }

    /**
     * The float inference optimizer for {@code phi}, with {@link ZeroGradientPolicy#UPDATE}: the
     * double training kernel ({@link TrainKernel}) runs the LSTM on every coordinate, zero gradient
     * or not, so the untracked coordinates must too, or a coordinate's trajectory would depend on
     * whether it is tracked; this also keeps meta-training bit-identical to runs made before the
     * zero-gradient option existed (the shipped optimizers regenerate bit-identically). Rollouts do
     * see exact zeros: the weights from MNIST pixels that are 0 in the whole minibatch, and doubles
     * that underflow to 0 in float.
     */
    static LstmOptimizer floatOptimizer(TrainKernel kernel, double[] phi, int threads) {
        return LstmOptimizer.of(new LstmWeights(kernel.config, MetaTrainer.toFloat(phi)))
                .withZeroGradientPolicy(ZeroGradientPolicy.UPDATE)
                .withThreads(threads);
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
        for (int u = 0; u < len; u++) {
            final int uu = u;
            final double[] in = gradCur;
            if (allTracked) {
                workers.forEach(nb, b -> kernel.forward(phi, r.blocks[b], in, update, uu, true));
            } else {
                r.floatStep(fast, in, update);
                workers.forEach(
                        tracked.length,
                        j -> kernel.forward(phi, r.blocks[tracked[j]], in, update, uu, true));
            }
            r.apply(update);
            r.evaluate(workers, s0 + u + 1, gradNext[u]);
            wNext[u] = weights[s0 + u + 1];
            for (int m = 0; m < taskMeta.length; m++) {
                taskMeta[m] += wNext[u] * r.losses[m];
            }
            gradCur = gradNext[u];
        }
        // The next truncation writes into gradNext; keep the current gradient apart.
        gradCur = gradCur.clone();
        boolean anyWeight = false;
        for (int u = 0; u < len; u++) {
            anyWeight |= wNext[u] != 0;
        }
        Arrays.fill(gradOut, 0.0);
        if (anyWeight) {
            workers.forEach(
                    tracked.length,
                    j -> {
                        TrainKernel.Block blk = r.blocks[tracked[j]];
                        Arrays.fill(blk.acc, 0.0);
                        kernel.backward(phi, blk, gradNext, wNext, len);
                    });
            for (int b : tracked) {
                double[] acc = r.blocks[b].acc;
                for (int p = 0; p < gradOut.length; p++) {
                    gradOut[p] += acc[p];
                }
            }
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
}
