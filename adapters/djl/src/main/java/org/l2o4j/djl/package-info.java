/**
 * DJL adapter: the learned optimizer as a DJL {@link ai.djl.training.optimizer.Optimizer} on the
 * PyTorch engine, and DJL models as meta-training tasks.
 *
 * <p>{@link org.l2o4j.djl.LearnedOptimizer#pretrained()} swaps for {@code Optimizer.adam()} in one
 * line; {@link org.l2o4j.djl.LearnedOptimizer#builder()} takes a weight file of your own. State is
 * kept per parameter and device and saved with {@code saveState}/{@code loadState} ({@code
 * Model.save} does not save optimizer state). Per-group weights (the paper's LSTM-sep, one weight
 * set per parameter group): {@code builder().optGroupedWeights(file)}, with parameters mapped to
 * groups by name ({@code optGroupRule(regex, group)}; by default DJL's {@code Conv*} weights and
 * biases to {@code conv-kernels}/{@code conv-biases}, {@code Linear} ones to {@code
 * dense-weights}/{@code dense-biases}); call {@code nameParameters(block)} before training. {@link
 * org.l2o4j.djl.DjlTaskFamily} turns a block and a dataset into a {@link
 * org.l2o4j.core.task.TaskFamily} for fine-tuning the optimizer on your own model.
 */
package org.l2o4j.djl;
