/**
 * Deeplearning4j adapter: the learned optimizer as a DL4J updater, and DL4J models as meta-training
 * tasks.
 *
 * <h2>Use the learned optimizer</h2>
 *
 * <pre>{@code
 * new NeuralNetConfiguration.Builder()
 *     .updater(LearnedUpdater.pretrained())              // was: new Adam(1e-3)
 *     ...
 * // per layer (separate optimizers for conv and dense layers, as in the paper):
 * new ConvolutionLayer.Builder(5, 5).updater(LearnedUpdater.fromFile(convWeights))...
 * new DenseLayer.Builder().updater(LearnedUpdater.fromFile(denseWeights))...
 * // per parameter group from one per-group weight file (the paper's LSTM-sep): conv kernels,
 * // conv biases, dense weights, dense biases; defaults and overrides in PerGroupLearnedUpdaters
 * PerGroupLearnedUpdaters.fromFile(lstmSepWeights).apply(conf);
 * // biases with another updater, or in transfer learning:
 * builder.biasUpdater(new Sgd(0.01));
 * new FineTuneConfiguration.Builder().updater(LearnedUpdater.pretrained()).build();
 * }</pre>
 *
 * <p>Choices, and why:
 *
 * <ul>
 *   <li><b>State</b>: {@code stateSize(n) = n * 2 * hidden * layers} (80 floats per parameter for
 *       the paper's 2x20 LSTM, against 2 for Adam), in DL4J's updater state view, so {@code
 *       ModelSerializer} saves it and training continues identically after a restore.
 *   <li><b>Math</b>: the core kernel's ({@link org.l2o4j.core.lstm.LstmOptimizer}); no second
 *       implementation in ND4J ops. The core works on Java arrays, ND4J's CPU buffers are native
 *       memory: the adapter bulk-copies (JavaCPP {@code get}/{@code put}, no per-element access)
 *       the gradient and the state through a bounded heap window; the benchmark reports the cost
 *       ({@code Dl4jOverheadBenchmark} in the tests).
 *   <li><b>Sign</b>: the core adds its update; DL4J subtracts what the updater leaves in the
 *       gradient array, so {@link org.l2o4j.dl4j.LearnedGradientUpdater} writes {@code -update}.
 *   <li><b>JSON</b>: weights are referenced by pretrained id or absolute path, with their SHA-256,
 *       never inlined; a restore that cannot find them, or finds other bytes, fails naming the
 *       expected id/path and checksum.
 *   <li><b>Learning rate</b>: none. {@code hasLearningRate()} is false, {@code getLearningRate} is
 *       NaN, DL4J's {@code setLearningRate} skips these layers, {@code setLrAndSchedule} throws (as
 *       DL4J's AdaDelta and NoOp do); a weight decay with {@code applyLR} uses 1.
 *   <li><b>NaN/Inf gradients</b>: the core's {@link org.l2o4j.core.optim.NonFinitePolicy}; the
 *       error names the flattened parameter index, and the layer and parameter for networks
 *       registered with {@link org.l2o4j.dl4j.Dl4jParameters#register} (DL4J gives an updater only
 *       its block's gradient view, not the layer names).
 *   <li><b>The {@code param} feature</b> (an optimizer whose input includes the parameter's value):
 *       the updater reads its block's parameters from the network registered with {@link
 *       org.l2o4j.dl4j.Dl4jParameters#register} (the same range of the flattened parameter vector
 *       as the block's gradient view; read before DL4J applies the step); for a network it cannot
 *       find it fails, asking for the registration, before anything changes.
 * </ul>
 *
 * <h2>Fine-tune on your own model</h2>
 *
 * {@link org.l2o4j.dl4j.Dl4jTaskFamily} turns a configuration plus a {@code DataSetIterator} into a
 * {@link org.l2o4j.core.task.TaskFamily} for {@code MetaTrainer}; {@link
 * org.l2o4j.dl4j.Dl4jTaskFamilies#register()} makes a saved model available to {@code bin/l2o
 * meta-train --task dl4j-model[model=net.zip]}.
 */
package org.l2o4j.dl4j;
