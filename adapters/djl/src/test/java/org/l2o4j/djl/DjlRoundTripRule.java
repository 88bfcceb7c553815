package org.l2o4j.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/**
 * An {@link UpdateRule} whose every step goes through {@link LearnedOptimizer#update} on real
 * PyTorch NDArrays: the gradient is copied into an NDArray, the parameter starts at zero, and the
 * update read back is the parameter after the step. Lets the core's optimizer contract test the
 * whole adapter path.
 */
final class DjlRoundTripRule implements UpdateRule {
    private final LearnedOptimizer optimizer;

    DjlRoundTripRule(LearnedOptimizer optimizer) {
        this.optimizer = optimizer;
    }

    @Override
    public String name() {
        return "djl(" + optimizer.rule().name() + ")";
    }

    @Override
    public int stateSizePerCoordinate() {
        return optimizer.rule().stateSizePerCoordinate();
    }

    @Override
    public NonFinitePolicy nonFinitePolicy() {
        return optimizer.rule().nonFinitePolicy();
    }

    @Override
    public void step(OptimizerState state, float[] grad, int gradOff, float[] update, int updOff) {
        int n = state.size();
        checkRange("gradient", grad, gradOff, n);
        checkRange("update", update, updOff, n);
        float[] g = new float[n];
        System.arraycopy(grad, gradOff, g, 0, n);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray weight = m.zeros(new Shape(n));
            NDArray gradient = m.create(g);
            String id = "p" + System.identityHashCode(state);
            optimizer.bindState(id, weight.getDevice(), state);
            optimizer.update(id, weight, gradient);
            System.arraycopy(weight.toFloatArray(), 0, update, updOff, n);
        }
    }

    private static void checkRange(String what, float[] a, int off, int n) {
        if (off < 0 || (long) off + n > a.length) {
            throw new IllegalArgumentException(
                    what + " array too short: " + n + " values from " + off + " of " + a.length);
        }
    }
}
