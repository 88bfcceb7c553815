package org.l2o4j.core.meta;

import java.util.SplittableRandom;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.task.Task;

/**
 * One meta-iteration's horizon under the PES estimator ({@link MetaTrainingConfig.Builder#pes}):
 * {@code pairs} antithetic pairs of copies of the iteration's tasks, each copy with its own
 * optimizee point and optimizer state carried from truncation to truncation, and each pair with its
 * running sum {@code xi} of the perturbations it was given. Forward only, with the float inference
 * kernel (the code users run; validation uses the same).
 *
 * <p>Results depend only on phi, the tasks, the weights, the unroll, the pairs, sigma and {@code
 * stream}: the perturbation of pair {@code j} at truncation {@code k} comes from its own stream,
 * and the pairs run one after another (each copy's tasks side by side on the workers, which give
 * the same results with any thread count).
 */
final class PesEpisode {
    private final DoubleBptt kernel;
    private final Workers workers;
    private final double[] weights;
    private final int unroll;
    private final int horizon;
    private final int pairs;
    private final double sigma;
    private final long stream;

    /** Copy {@code 2j} runs {@code phi + eps}, copy {@code 2j + 1} runs {@code phi - eps}. */
    private final Rollout[] copies;

    /** The gradient at each copy's current point (position order). */
    private final double[][] grads;

    /** Each copy's weighted meta-loss so far (mean over tasks). */
    private final double[] meta;

    private final double[][] xi;
    private final double[] update;
    private final double[] eps;
    private final double[] perturbed;

    /** The parameters perturbed (and estimated), or null for all. */
    private final boolean[] trainable;

    /**
     * Starts every copy at the tasks' initial points (evaluated on minibatch 0).
     *
     * @param tasks the iteration's tasks; each copy steps all of them, one after another per copy
     *     (a task object is never used by two threads at once)
     * @param weights the meta-loss weights {@code w[0..horizon]}
     * @param trainable the parameters to perturb, or null for all (the others' estimates are 0)
     * @throws Rollout.NonFiniteLossException if a task's initial loss or gradient is not finite
     */
    PesEpisode(
            DoubleBptt kernel,
            Workers workers,
            Task[] tasks,
            double[] weights,
            int unroll,
            int pairs,
            double sigma,
            long stream,
            boolean[] trainable) {
        this.kernel = kernel;
        this.workers = workers;
        this.weights = weights;
        this.unroll = unroll;
        this.horizon = weights.length - 1;
        this.pairs = pairs;
        this.sigma = sigma;
        this.stream = stream;
        this.trainable = trainable;
        this.copies = new Rollout[2 * pairs];
        this.grads = new double[2 * pairs][];
        this.meta = new double[2 * pairs];
        for (int c = 0; c < copies.length; c++) {
            copies[c] = new Rollout(kernel, tasks, null, null, false);
            grads[c] = new double[copies[c].size];
            copies[c].evaluate(workers, 0, grads[c]);
        }
        int n = kernel.numParams;
        this.xi = new double[pairs][n];
        this.update = new double[copies[0].size];
        this.eps = new double[n];
        this.perturbed = new double[n];
    }

    /** Truncations in the horizon. */
    int truncations() {
        return (horizon + unroll - 1) / unroll;
    }

    /**
     * Runs truncation {@code k} (truncations run in order, each once) and returns its PES estimate
     * of {@code dL/dphi}, or null if all its weights are zero (no loss to estimate; the
     * perturbations still join {@code xi}, so later truncations see them).
     *
     * @throws Rollout.NonFiniteLossException if a copy's loss or gradient becomes non-finite
     */
    double[] truncation(double[] phi, int k) {
        int s0 = k * unroll;
        int len = Math.min(unroll, horizon - s0);
        boolean anyWeight = false;
        for (int t = s0 + 1; t <= s0 + len; t++) {
            anyWeight |= weights[t] != 0;
        }
        int n = phi.length;
        double[] est = new double[n];
        for (int j = 0; j < pairs; j++) {
            SplittableRandom rng =
                    new SplittableRandom(MetaTrainer.mix(stream + (long) k * pairs + j));
            double[] x = xi[j];
            for (int p = 0; p < n; p++) {
                double e = sigma * rng.nextGaussian();
                eps[p] = trainable == null || trainable[p] ? e : 0.0;
                x[p] += eps[p];
            }
            double plus = run(2 * j, phi, +1, s0, len);
            double minus = run(2 * j + 1, phi, -1, s0, len);
            double d = plus - minus;
            for (int p = 0; p < n; p++) {
                est[p] += x[p] * d;
            }
        }
        if (!anyWeight) {
            return null;
        }
        double f = 1.0 / (2.0 * sigma * sigma * pairs);
        for (int p = 0; p < n; p++) {
            est[p] *= f;
        }
        return est;
    }

    /** Runs copy {@code c} with {@code phi + sign eps} over steps {@code s0 .. s0+len-1}. */
    private double run(int c, double[] phi, int sign, int s0, int len) {
        for (int p = 0; p < phi.length; p++) {
            perturbed[p] = phi[p] + sign * eps[p];
        }
        LstmOptimizer opt = Truncator.floatOptimizer(kernel, perturbed, workers.threads());
        Rollout r = copies[c];
        double[] g = grads[c];
        double loss = 0;
        for (int u = 0; u < len; u++) {
            int s = s0 + u;
            r.floatStep(opt, g, update);
            r.apply(update);
            r.evaluate(workers, s + 1, g);
            loss += weights[s + 1] * r.meanLoss();
        }
        meta[c] += loss;
        return loss;
    }

    /** The copies' weighted meta-loss so far, mean over copies (and tasks). */
    double meanMeta() {
        double s = 0;
        for (double m : meta) {
            s += m;
        }
        return s / meta.length;
    }

    /** The copies' latest loss, mean over copies and tasks. */
    double meanLoss() {
        double s = 0;
        for (Rollout r : copies) {
            s += r.meanLoss();
        }
        return s / copies.length;
    }
}
