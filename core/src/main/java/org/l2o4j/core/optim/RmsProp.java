package org.l2o4j.core.optim;

/**
 * RMSprop (Tieleman and Hinton 2012):
 *
 * <pre>
 *   s &lt;- rho * s + (1 - rho) * g^2
 *   update = -lr * g / (sqrt(s) + eps)
 * </pre>
 *
 * State: one float per coordinate (s). Defaults rho = 0.9, eps = 1e-8.
 */
public final class RmsProp implements UpdateRule {
    /** Learning rate. */
    private final float learningRate;

    /** Decay rho of the squared-gradient average. */
    private final float decay;

    /** Epsilon added to the root mean square. */
    private final float epsilon;

    /** Policy for NaN/Inf gradients. */
    private final NonFinitePolicy policy;

    /** RMSprop with rho = 0.9 and eps = 1e-8. */
    public RmsProp(double learningRate) {
        this(learningRate, 0.9, 1e-8, NonFinitePolicy.ERROR);
    }

    /** RMSprop with explicit hyper-parameters. */
    public RmsProp(double learningRate, double decay, double epsilon, NonFinitePolicy policy) {
        this.learningRate = Hyper.positive("learning rate", learningRate);
        this.decay = Hyper.unitInterval("decay", decay);
        this.epsilon = Hyper.positive("epsilon", epsilon);
        this.policy = policy;
    }

    /** A copy with another non-finite policy. */
    public RmsProp withNonFinitePolicy(NonFinitePolicy p) {
        return new RmsProp(learningRate, decay, epsilon, p);
    }

    /** The learning rate. */
    public double learningRate() {
        return learningRate;
    }

    @Override
    public String name() {
        return "rmsprop";
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
        float[] s = state.data();
        int n = state.size();
        long skipped = 0;
        for (int i = 0; i < n; i++) {
            float g = grad[gradOffset + i];
            if (anyBad && !Float.isFinite(g)) {
                update[updateOffset + i] = 0f;
                skipped++;
                continue;
            }
            float si = decay * s[i] + (1f - decay) * g * g;
            s[i] = si;
            update[updateOffset + i] = -learningRate * g / ((float) Math.sqrt(si) + epsilon);
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    @Override
    public String toString() {
        return "RmsProp{lr=" + learningRate + ", rho=" + decay + ", eps=" + epsilon + "}";
    }
}
