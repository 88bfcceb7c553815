package org.l2o4j.core.optim;

/** What an {@link UpdateRule} does with a NaN or infinite gradient. */
public enum NonFinitePolicy {
    /**
     * Throw a {@link NonFiniteGradientException} naming the first bad coordinate, before any state
     * or output is modified. The default.
     */
    ERROR,
    /**
     * Give that coordinate a zero update and leave its state untouched; count it in {@link
     * OptimizerState#skippedCount()}.
     */
    SKIP
}
