package org.l2o4j.core.meta;

/**
 * Adam as the outer optimizer, in double precision: the math of {@link org.l2o4j.core.optim.Adam}
 * with the sign of a descent step applied to phi directly,
 *
 * <pre>
 *   g   = scale * grad
 *   m  &lt;- b1 * m + (1 - b1) * g
 *   v  &lt;- b2 * v + (1 - b2) * g^2
 *   phi &lt;- phi - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 *
 * with {@code t} the step count after this step; b1 = 0.9, b2 = 0.999, eps = 1e-8. State slots:
 * {@code m}, then {@code v}. Every optimizer meta-trained by l2o4j used exactly this arithmetic;
 * changing the order of its operations changes meta-training results.
 */
final class OuterAdam implements OuterOptimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private final double learningRate;

    /** Outer Adam with learning rate {@code learningRate}. */
    OuterAdam(double learningRate) {
        this.learningRate = learningRate;
    }

    @Override
    public String id() {
        return "adam(lr=" + learningRate + ")";
    }

    @Override
    public int slots() {
        return 2;
    }

    @Override
    public void step(double[] phi, double[] grad, double scale, State state) {
        long t = ++state.steps;
        double bc1 = 1 - Math.pow(BETA1, t);
        double bc2 = 1 - Math.pow(BETA2, t);
        double lr = learningRate;
        double[] m = state.slots[0];
        double[] v = state.slots[1];
        for (int p = 0; p < phi.length; p++) {
            double g = grad[p] * scale;
            m[p] = BETA1 * m[p] + (1 - BETA1) * g;
            v[p] = BETA2 * v[p] + (1 - BETA2) * g * g;
            phi[p] -= lr * (m[p] / bc1) / (Math.sqrt(v[p] / bc2) + EPS);
        }
    }
}
