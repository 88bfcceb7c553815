package org.l2o4j.core.optim;

/**
 * An update rule for a flat vector of parameters: a hand-written optimizer (SGD, Adam, ...) or a
 * learned one.
 *
 * <p>Lifecycle, in the style of {@code learned_optimization}'s {@code Optimizer}: the rule is an
 * immutable, thread-safe configuration; all mutable data lives in an explicit {@link
 * OptimizerState}.
 *
 * <ol>
 *   <li>{@link #newState(int)} once per parameter vector of {@code n} coordinates;
 *   <li>{@link #step} once per iteration: reads the gradient, updates the state in place, and
 *       writes the update into a caller-provided array;
 *   <li>the caller applies the update.
 * </ol>
 *
 * <p><b>Sign convention</b> (the single place it is defined): the update is <em>added</em> to the
 * parameters, {@code theta <- theta + update}, as in the paper's {@code theta_{t+1} = theta_t +
 * g_t}. A plain gradient step therefore writes {@code update = -lr * grad}. Adapters whose host
 * framework subtracts the step (DL4J) negate it once, in the adapter.
 *
 * <p>Non-finite gradients follow the rule's {@link NonFinitePolicy}: by default a {@link
 * NonFiniteGradientException} is thrown before anything is modified; with {@link
 * NonFinitePolicy#SKIP} the affected coordinates get a zero update, their state is left untouched
 * and {@link OptimizerState#skippedCount()} counts them.
 */
public interface UpdateRule {

    /** A short name for reports, e.g. {@code "adam"} or {@code "learned"}. */
    String name();

    /** Floats of state kept per coordinate (0 for SGD, 2 for Adam, 80 for the paper's LSTM). */
    int stateSizePerCoordinate();

    /** The policy for NaN/Inf gradients. */
    NonFinitePolicy nonFinitePolicy();

    /**
     * Creates fresh (initial) state for {@code n} coordinates.
     *
     * @throws IllegalArgumentException if {@code n < 0}
     */
    default OptimizerState newState(int n) {
        return OptimizerState.create(n, stateSizePerCoordinate());
    }

    /**
     * Performs one step for all {@code state.size()} coordinates.
     *
     * @param state the state created by {@link #newState(int)} (or restored), updated in place
     * @param grad gradients, read from {@code grad[gradOffset .. gradOffset + state.size())}
     * @param update receives the update to add to the parameters, at {@code updateOffset}; may be
     *     the same array as {@code grad} at the same offset (in-place)
     * @throws NonFiniteGradientException under {@link NonFinitePolicy#ERROR}
     * @throws IllegalArgumentException if the state does not belong to this rule or the arrays are
     *     too short
     */
    void step(OptimizerState state, float[] grad, int gradOffset, float[] update, int updateOffset);

    /** Convenience overload of {@link #step(OptimizerState, float[], int, float[], int)}. */
    default void step(OptimizerState state, float[] grad, float[] update) {
        step(state, grad, 0, update, 0);
    }

    /**
     * Whether {@link #step} needs the parameters' values: true for a learned optimizer whose input
     * features include {@code param}; such a rule must be stepped with {@link #step(OptimizerState,
     * float[], int, float[], int, float[], int)} (the gradient-only overloads throw {@link
     * IllegalStateException}). False by default.
     */
    default boolean needsParameters() {
        return false;
    }

    /**
     * {@link #step(OptimizerState, float[], int, float[], int)} given the parameters' values before
     * the step, {@code params[paramOffset .. paramOffset + state.size())} (read only). Rules that
     * do not {@linkplain #needsParameters() need them} ignore them: the default calls the
     * gradient-only step. Callers that have the parameters should call this overload, so that every
     * rule works.
     *
     * @throws IllegalArgumentException as the gradient-only step, or if {@code params} is too short
     */
    default void step(
            OptimizerState state,
            float[] params,
            int paramOffset,
            float[] grad,
            int gradOffset,
            float[] update,
            int updateOffset) {
        step(state, grad, gradOffset, update, updateOffset);
    }

    /**
     * Convenience overload of {@link #step(OptimizerState, float[], int, float[], int, float[],
     * int)} with offsets 0.
     */
    default void step(OptimizerState state, float[] params, float[] grad, float[] update) {
        step(state, params, 0, grad, 0, update, 0);
    }
}
