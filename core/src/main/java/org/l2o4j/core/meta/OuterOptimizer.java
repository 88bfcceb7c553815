package org.l2o4j.core.meta;

/**
 * The outer (meta-) optimizer: takes the meta-gradient of a truncation and updates the learned
 * optimizer's own parameters phi, in double precision (docs/design.md section 2, point 4).
 *
 * <p>Unlike {@link org.l2o4j.core.optim.UpdateRule} (float parameters, the update added by the
 * caller), an outer optimizer works on the double {@code phi} of {@link MetaTrainer} in place. Its
 * mutable data is a {@link State}: a step counter and per-parameter slot arrays (Adam's two
 * moments), which a {@link Checkpoint} saves and restores exactly, so a resumed run continues
 * bit-identically. The optimizer itself is an immutable configuration.
 */
interface OuterOptimizer {
    /**
     * How weight files name this optimizer (the {@value
     * org.l2o4j.core.io.WeightMetadata#OUTER_OPTIMIZER} entry), e.g. {@code adam(lr=0.001)}.
     */
    String id();

    /** Per-parameter arrays in this optimizer's {@link State} (Adam: 2, m and v). */
    int slots();

    /** A fresh state (step 0, zero slots) for {@code n} parameters. */
    default State newState(int n) {
        return new State(0, new double[slots()][n]);
    }

    /**
     * One outer step on {@code phi} in place, from the gradient {@code scale * grad} ({@code scale}
     * is the clipping factor; {@code grad} is not modified).
     */
    void step(double[] phi, double[] grad, double scale, State state);

    /** An outer optimizer's mutable data: steps taken and per-parameter slot arrays. */
    final class State {
        /** Outer steps taken. */
        long steps;

        /** Per-parameter arrays, each as long as phi. */
        final double[][] slots;

        State(long steps, double[][] slots) {
            this.steps = steps;
            this.slots = slots;
        }

        /** A deep copy. */
        State copy() {
            double[][] s = new double[slots.length][];
            for (int i = 0; i < s.length; i++) {
                s[i] = slots[i].clone();
            }
            return new State(steps, s);
        }
    }
}
