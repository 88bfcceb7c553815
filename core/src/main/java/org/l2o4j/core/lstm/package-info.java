/**
 * The coordinatewise LSTM optimizer of Andrychowicz et al. (2016) and its inference kernels.
 *
 * <p>{@link org.l2o4j.core.lstm.LstmConfig} is the architecture (layers, units, preprocessing,
 * output scale), {@link org.l2o4j.core.lstm.LstmWeights} its parameters in the canonical flat
 * order, and {@link org.l2o4j.core.lstm.LstmOptimizer} the {@link org.l2o4j.core.optim.UpdateRule}
 * users run. The step runs the inference kernel (Vector API or scalar, chosen once per JVM, see
 * {@link org.l2o4j.core.lstm.Kernel}) over tiles of coordinates on a persistent thread pool shared
 * by the JVM. Memory layout, tiling and determinism: docs/design.md sections 1 and 8.
 *
 * <p>A learned optimizer is input features ({@link org.l2o4j.core.lstm.FeatureSet}) -> cell ({@link
 * org.l2o4j.core.lstm.CellType}) -> output head ({@link org.l2o4j.core.lstm.OutputHead}), all named
 * in its {@link org.l2o4j.core.lstm.LstmConfig}. Besides the LSTM, the per-coordinate MLP cell
 * ({@link org.l2o4j.core.lstm.MlpCell}: its inference forward, and the double forward and backward
 * the meta-trainer runs) has no recurrence; its state is its features' running statistics. The GRU
 * ({@link org.l2o4j.core.lstm.GruCell}) is built the same way. docs/design.md section 11.
 */
package org.l2o4j.core.lstm;
