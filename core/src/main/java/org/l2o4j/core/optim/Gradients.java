package org.l2o4j.core.optim;

/** Checks shared by every {@link UpdateRule}: array bounds and non-finite gradients. */
public final class Gradients {
    private Gradients() {}

    /** Index (relative to {@code offset}) of the first NaN/Inf among {@code n} values, or -1. */
    public static int firstNonFinite(float[] grad, int offset, int n) {
        for (int i = 0; i < n; i++) {
            float g = grad[offset + i];
            // g - g is NaN exactly when g is NaN or infinite
            if (g - g != 0f) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Validates the arguments of {@link UpdateRule#step} and applies the {@link
     * NonFinitePolicy#ERROR} policy.
     *
     * @return true if the gradient has a non-finite value (only possible under SKIP)
     */
    public static boolean checkStep(
            UpdateRule rule,
            OptimizerState state,
            float[] grad,
            int gradOffset,
            float[] update,
            int updateOffset) {
        state.requirePerCoordinate(rule.stateSizePerCoordinate(), rule.name());
        int n = state.size();
        checkRange("gradient", grad, gradOffset, n);
        checkRange("update", update, updateOffset, n);
        int bad = firstNonFinite(grad, gradOffset, n);
        if (bad >= 0 && rule.nonFinitePolicy() == NonFinitePolicy.ERROR) {
            throw new NonFiniteGradientException(bad, grad[gradOffset + bad], null);
        }
        return bad >= 0;
    }

    /**
     * Checks that {@code params} holds the {@code state.size()} parameter values a step reads from
     * {@code paramOffset}.
     *
     * @throws IllegalArgumentException naming the needed and the actual length
     * @throws NullPointerException if {@code params} is null
     */
    public static void checkParams(OptimizerState state, float[] params, int paramOffset) {
        if (params == null) {
            throw new NullPointerException("params");
        }
        checkRange("parameter", params, paramOffset, state.size());
    }

    private static void checkRange(String what, float[] a, int offset, int n) {
        if (offset < 0 || (long) offset + n > a.length) {
            throw new IllegalArgumentException(
                    "The "
                            + what
                            + " array must hold "
                            + n
                            + " values from offset "
                            + offset
                            + " but has length "
                            + a.length);
        }
    }
}
