package org.l2o4j.djl;

import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/**
 * The zero-gradient rule on the Java kernel path of {@link LearnedOptimizer}: a coordinate whose
 * gradient is exactly {@code +-0} gets update {@code +0.0} and keeps its state, as if the step had
 * not happened for it; the other coordinates get exactly the kernel's results (coordinates are
 * independent). Done here around the core's step (save the few frozen coordinates' state, step, put
 * it back) so that both paths of the adapter follow the same rule; costs one scan of the gradient
 * when it has no zeros.
 */
final class ZeroGradients {
    private ZeroGradients() {}

    /** {@code rule.step} over all of {@code state}, with exactly-zero gradients frozen. */
    static void step(UpdateRule rule, OptimizerState state, float[] grad, float[] update) {
        int n = state.size();
        int zeros = 0;
        for (int i = 0; i < n; i++) {
            if (grad[i] == 0f) {
                zeros++;
            }
        }
        if (zeros == 0) {
            rule.step(state, grad, 0, update, 0);
            return;
        }
        int[] idx = new int[zeros];
        for (int i = 0, z = 0; i < n; i++) {
            if (grad[i] == 0f) {
                idx[z++] = i;
            }
        }
        int per = state.sizePerCoordinate();
        float[] data = state.data();
        float[] saved = new float[zeros * per];
        for (int k = 0; k < per; k++) {
            int row = k * n;
            for (int z = 0; z < zeros; z++) {
                saved[k * zeros + z] = data[row + idx[z]];
            }
        }
        rule.step(state, grad, 0, update, 0);
        for (int k = 0; k < per; k++) {
            int row = k * n;
            for (int z = 0; z < zeros; z++) {
                data[row + idx[z]] = saved[k * zeros + z];
            }
        }
        for (int i : idx) {
            update[i] = 0f;
        }
    }
}
