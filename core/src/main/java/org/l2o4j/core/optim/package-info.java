/**
 * The optimizer API and the hand-written baselines.
 *
 * <p>{@link org.l2o4j.core.optim.UpdateRule} is an immutable update rule whose mutable data lives
 * in an explicit {@link org.l2o4j.core.optim.OptimizerState}; its javadoc defines the sign
 * convention once (the update is added to the parameters). {@link
 * org.l2o4j.core.optim.NonFinitePolicy} says what a NaN or infinite gradient does. The baselines
 * ({@link org.l2o4j.core.optim.Sgd}, {@link org.l2o4j.core.optim.Momentum} for momentum and NAG,
 * {@link org.l2o4j.core.optim.RmsProp}, {@link org.l2o4j.core.optim.Adam}) are the yardsticks of
 * the evaluator; the learned optimizer implements the same interface in {@code
 * org.l2o4j.core.lstm}.
 */
package org.l2o4j.core.optim;
