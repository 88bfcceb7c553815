/**
 * Meta-training: the first-order meta-gradient by truncated backpropagation through time.
 *
 * <p>{@link org.l2o4j.core.meta.MetaTrainer} runs meta-iterations of a {@link
 * org.l2o4j.core.meta.MetaTrainingConfig} on a {@link org.l2o4j.core.task.TaskFamily}: it optimizes
 * sampled tasks with the current optimizer, backpropagates each truncation's weighted loss ({@link
 * org.l2o4j.core.meta.MetaLossWeighting}) through the optimizer's cell alone (the LSTM, or the MLP
 * or GRU cell of {@link org.l2o4j.core.lstm.MlpCell} and {@link org.l2o4j.core.lstm.GruCell}, whose
 * features' statistics are constants of the first-order meta-gradient) and takes an outer step; it
 * keeps the best weights on validation tasks and writes checkpoints to resume bit-identically. The
 * outer step is an {@code OuterOptimizer} ({@code OuterAdam}); checkpoints are written by a {@code
 * CheckpointWriter}, also from a shutdown hook; the metadata keys the trainer writes are in {@link
 * org.l2o4j.core.io.WeightMetadata}; {@link org.l2o4j.core.meta.TrainThroughput} measures the
 * training passes' throughput.
 *
 * <p>The training pass (forward with stored activations, then backward through time, over a block
 * of coordinates) is named {@code *Bptt} so it is not taken for one of the inference kernels
 * ({@code Kernel}, {@code LstmKernel}, {@code KernelPool} in {@code lstm}): {@code FloatBptt}
 * (float32, the default; {@code VectorFloatBptt} with the Vector API, {@code ScalarFloatBptt} in
 * plain Java) and {@code DoubleBptt} (float64, the oracle and the arithmetic of every shipped
 * optimizer), chosen by {@link org.l2o4j.core.meta.BpttPrecision} ({@code meta-train --train-kernel
 * float|double}). The math is in docs/design.md section 2, the training pass's activation layout in
 * section 8 and the checkpoint format in section 9.
 */
package org.l2o4j.core.meta;
