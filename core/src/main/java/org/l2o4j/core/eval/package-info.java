/**
 * The evaluation protocol: learned optimizers against tuned baselines, with error bars.
 *
 * <p>{@link org.l2o4j.core.eval.Evaluator} runs every optimizer on the same tasks and minibatches,
 * tunes each baseline's learning rate on a log grid ({@link org.l2o4j.core.eval.LearningRateGrid})
 * on validation seeds disjoint from the test seeds, counts diverged runs and reports mean, spread
 * and t-intervals ({@link org.l2o4j.core.eval.Statistics}). See docs/design.md section 4.
 */
package org.l2o4j.core.eval;
