package org.l2o4j.core.optim;

/**
 * SGD with (heavy-ball or Nesterov) momentum, in the formulation of Sutskever et al. (2013) as used
 * by PyTorch:
 *
 * <pre>
 *   v &lt;- mu * v + g
 *   update = -lr * v                 (heavy ball)
 *   update = -lr * (g + mu * v)      (Nesterov, "NAG")
 * </pre>
 *
 * State: one float per coordinate (v).
 */
public final class Momentum implements UpdateRule {
    /** Learning rate. */
    private final float learningRate;

    /** Momentum coefficient mu in [0, 1). */
    private final float momentum;

    /** Whether to use Nesterov's look-ahead form. */
    private final boolean nesterov;

    /** Policy for NaN/Inf gradients. */
    private final NonFinitePolicy policy;

    /** Momentum SGD; {@code nesterov = true} gives NAG. */
    public Momentum(double learningRate, double momentum, boolean nesterov) {
        this(learningRate, momentum, nesterov, NonFinitePolicy.ERROR);
    }

    private Momentum(double lr, double mu, boolean nesterov, NonFinitePolicy policy) {
        this.learningRate = Hyper.positive("learning rate", lr);
        this.momentum = Hyper.unitInterval("momentum", mu);
        this.nesterov = nesterov;
        this.policy = policy;
    }

    /** Nesterov accelerated gradient with momentum 0.9. */
    public static Momentum nag(double learningRate) {
        return new Momentum(learningRate, 0.9, true);
    }

    /** A copy with another non-finite policy. */
    public Momentum withNonFinitePolicy(NonFinitePolicy p) {
        return new Momentum(learningRate, momentum, nesterov, p);
    }

    /** The learning rate. */
    public double learningRate() {
        return learningRate;
    }

    @Override
    public String name() {
        return nesterov ? "nag" : "momentum";
    }

    @Override
    public int stateSizePerCoordinate() {
        return 1;
    }

    @Override
    public NonFinitePolicy nonFinitePolicy() {
        return policy;
    }

    @Override
    public void step(
            OptimizerState state, float[] grad, int gradOffset, float[] update, int updateOffset) {
        boolean anyBad = Gradients.checkStep(this, state, grad, gradOffset, update, updateOffset);
        float[] v = state.data();
        int n = state.size();
        long skipped = 0;
        for (int i = 0; i < n; i++) {
            float g = grad[gradOffset + i];
            if (anyBad && !Float.isFinite(g)) {
                update[updateOffset + i] = 0f;
                skipped++;
                continue;
            }
            float vi = momentum * v[i] + g;
            v[i] = vi;
            update[updateOffset + i] =
                    nesterov ? -learningRate * (g + momentum * vi) : -learningRate * vi;
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    @Override
    public String toString() {
        return "Momentum{lr=" + learningRate + ", mu=" + momentum + ", nesterov=" + nesterov + "}";
    }
}
