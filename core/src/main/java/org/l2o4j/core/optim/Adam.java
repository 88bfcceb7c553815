package org.l2o4j.core.optim;

/**
 * Adam (Kingma and Ba 2015):
 *
 * <pre>
 *   m &lt;- b1 * m + (1 - b1) * g
 *   v &lt;- b2 * v + (1 - b2) * g^2
 *   update = -lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 *
 * with {@code t = state.stepCount() + 1}. State: two floats per coordinate, laid out as all m then
 * all v. Defaults b1 = 0.9, b2 = 0.999, eps = 1e-8.
 */
public final class Adam implements UpdateRule {
    /** Learning rate. */
    private final float learningRate;

    /** Decay of the first moment. */
    private final float beta1;

    /** Decay of the second moment. */
    private final float beta2;

    /** Epsilon added to the root of the second moment. */
    private final float epsilon;

    /** Policy for NaN/Inf gradients. */
    private final NonFinitePolicy policy;

    /** Adam with b1 = 0.9, b2 = 0.999, eps = 1e-8. */
    public Adam(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-8, NonFinitePolicy.ERROR);
    }

    /** Adam with explicit hyper-parameters. */
    public Adam(
            double learningRate,
            double beta1,
            double beta2,
            double epsilon,
            NonFinitePolicy policy) {
        this.learningRate = Hyper.positive("learning rate", learningRate);
        this.beta1 = Hyper.unitInterval("beta1", beta1);
        this.beta2 = Hyper.unitInterval("beta2", beta2);
        this.epsilon = Hyper.positive("epsilon", epsilon);
        this.policy = policy;
    }

    /** A copy with another non-finite policy. */
    public Adam withNonFinitePolicy(NonFinitePolicy p) {
        return new Adam(learningRate, beta1, beta2, epsilon, p);
    }

    /** The learning rate. */
    public double learningRate() {
        return learningRate;
    }

    @Override
    public String name() {
        return "adam";
    }

    @Override
    public int stateSizePerCoordinate() {
        return 2;
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
        long t = state.stepCount() + 1;
        float c1 = (float) (1 - Math.pow(beta1, t));
        float c2 = (float) (1 - Math.pow(beta2, t));
        float alpha = learningRate / c1;
        float invC2 = 1f / c2;
        long skipped = 0;
        for (int i = 0; i < n; i++) {
            float g = grad[gradOffset + i];
            if (anyBad && !Float.isFinite(g)) {
                update[updateOffset + i] = 0f;
                skipped++;
                continue;
            }
            float m = beta1 * s[i] + (1f - beta1) * g;
            float v = beta2 * s[n + i] + (1f - beta2) * g * g;
            s[i] = m;
            s[n + i] = v;
            update[updateOffset + i] = -alpha * m / ((float) Math.sqrt(v * invC2) + epsilon);
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    @Override
    public String toString() {
        return "Adam{lr="
                + learningRate
                + ", b1="
                + beta1
                + ", b2="
                + beta2
                + ", eps="
                + epsilon
                + "}";
    }
}
