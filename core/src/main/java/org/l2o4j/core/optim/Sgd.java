package org.l2o4j.core.optim;

/**
 * Plain stochastic gradient descent: {@code update = -lr * g}. No state.
 *
 * <p>Immutable; {@code withX} methods return modified copies.
 */
public final class Sgd implements UpdateRule {
    /** Learning rate. */
    private final float learningRate;

    /** Policy for NaN/Inf gradients. */
    private final NonFinitePolicy policy;

    /** SGD with the given learning rate and the {@link NonFinitePolicy#ERROR} policy. */
    public Sgd(double learningRate) {
        this(learningRate, NonFinitePolicy.ERROR);
    }

    private Sgd(double learningRate, NonFinitePolicy policy) {
        this.learningRate = Hyper.positive("learning rate", learningRate);
        this.policy = policy;
    }

    /** A copy with another non-finite policy. */
    public Sgd withNonFinitePolicy(NonFinitePolicy p) {
        return new Sgd(learningRate, p);
    }

    /** The learning rate. */
    public double learningRate() {
        return learningRate;
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public int stateSizePerCoordinate() {
        return 0;
    }

    @Override
    public NonFinitePolicy nonFinitePolicy() {
        return policy;
    }

    @Override
    public void step(
            OptimizerState state, float[] grad, int gradOffset, float[] update, int updateOffset) {
        boolean anyBad = Gradients.checkStep(this, state, grad, gradOffset, update, updateOffset);
        int n = state.size();
        long skipped = 0;
        for (int i = 0; i < n; i++) {
            float g = grad[gradOffset + i];
            if (anyBad && !Float.isFinite(g)) {
                update[updateOffset + i] = 0f;
                skipped++;
                continue;
            }
            update[updateOffset + i] = -learningRate * g;
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    @Override
    public String toString() {
        return "Sgd{lr=" + learningRate + "}";
    }
}
