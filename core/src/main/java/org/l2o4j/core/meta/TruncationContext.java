package org.l2o4j.core.meta;

import java.io.Serializable;
import java.util.SplittableRandom;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.OutputHead;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.ScaledTask;
import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

/**
 * The settings one task's truncation depends on besides the optimizer weights and the task's
 * carried state: the LSTM architecture, the training kernel, the loss weights, the unroll and
 * horizon, the coordinate subsample, the seed, the number of tasks per iteration and the random
 * scaling of training tasks. It is serializable (plain values only), so a distributed {@link
 * TruncationExecutor} can ship it to remote workers once.
 *
 * <p>It also owns the per-task random streams of the decomposition (docs/design.md section 2): task
 * {@code m} of iteration {@code it} has its own task seed, its own coordinate shuffle and, per
 * truncation {@code k}, its own choice of backpropagated blocks, so its meta-gradient contribution
 * does not depend on the other tasks of the iteration.
 */
public final class TruncationContext implements Serializable {
    private static final long serialVersionUID = 1L;

    // the streams of MetaTrainer (same task seeds as before the decomposition)
    private static final long STREAM_TASKS = 0x7A5C_0001L;
    private static final long STREAM_SHUFFLE = 0x7A5C_0002L;
    private static final long STREAM_BLOCKS = 0x7A5C_0003L;

    private final int layers;
    private final int hidden;
    private final CellType cell;
    private final Preprocessing preprocessing;
    private final double logSignP;
    private final double outputScale;

    /** The features ({@link FeatureSet#id()}), activation and head of the cell. */
    private final String features;

    private final CellActivation activation;
    private final OutputHead head;
    private final BpttPrecision trainKernel;
    private final double[] weights;
    private final int unroll;
    private final int horizon;
    private final int subsample;
    private final int tasksPerIteration;
    private final long seed;
    private final double randomScale;

    private TruncationContext(MetaTrainingConfig c) {
        LstmConfig l = c.lstmConfig();
        this.layers = l.layers();
        this.hidden = l.hidden();
        this.cell = l.cell();
        this.preprocessing = l.preprocessing();
        this.logSignP = l.logSignP();
        this.outputScale = l.outputScale();
        this.features = l.features().id();
        this.activation = l.activation();
        this.head = l.head();
        this.trainKernel = c.trainKernel();
        this.weights = c.weighting().weights(c.horizon());
        this.unroll = c.unroll();
        this.horizon = c.horizon();
        this.subsample = c.coordinateSubsample();
        this.tasksPerIteration = c.tasksPerIteration();
        this.seed = c.seed();
        this.randomScale = c.randomScale();
    }

    /** The context of a meta-training configuration. */
    public static TruncationContext of(MetaTrainingConfig config) {
        return new TruncationContext(config);
    }

    /** The LSTM architecture. */
    public LstmConfig lstmConfig() {
        return LstmConfig.builder()
                .layers(layers)
                .hidden(hidden)
                .cell(cell)
                .preprocessing(preprocessing)
                .logSignP(logSignP)
                .outputScale(outputScale)
                .features(cell == CellType.LSTM ? null : FeatureSet.parse(features))
                .activation(activation)
                .head(head)
                .build();
    }

    /** The training kernel. */
    public BpttPrecision trainKernel() {
        return trainKernel;
    }

    /** Tasks per meta-iteration. */
    public int tasksPerIteration() {
        return tasksPerIteration;
    }

    /** Truncations per optimization run: {@code ceil(horizon / unroll)}. */
    public int truncations() {
        return (horizon + unroll - 1) / unroll;
    }

    /** A fresh set of kernels and work buffers for running truncations on {@code threads}. */
    public TruncationLane newLane(int threads) {
        return new TruncationLane(this, threads);
    }

    int unroll() {
        return unroll;
    }

    int horizon() {
        return horizon;
    }

    double[] weights() {
        return weights;
    }

    /** The seed of training task {@code m} of iteration {@code it}. */
    public long taskSeed(int it, int m) {
        long z =
                MetaTrainer.mix(
                        MetaTrainer.mix(seed ^ STREAM_TASKS) + (long) it * tasksPerIteration + m);
        return (1L << 62) | (z & ((1L << 62) - 1));
    }

    /**
     * Training task {@code m} of iteration {@code it}: {@code family}'s task for {@link #taskSeed},
     * scaled by the factors its seed draws ({@link ScaledTask#random}) when the config asks for
     * random scaling, else the task itself.
     */
    Task trainingTask(TaskFamily family, int it, int m) {
        long s = taskSeed(it, m);
        return ScaledTask.random(family.sample(s), s, randomScale);
    }

    /** The coordinate shuffle of task {@code m} of iteration {@code it}, or null (no subsample). */
    SplittableRandom shuffle(int it, int m) {
        if (subsample == 0) {
            return null;
        }
        return new SplittableRandom(
                perTask(MetaTrainer.mix(MetaTrainer.mix(seed ^ STREAM_SHUFFLE) + it), m));
    }

    /**
     * Task {@code m}'s stream from an iteration's (or truncation's) stream {@code base}: task 0
     * uses {@code base} itself, as the trainer did for all tasks together before the decomposition,
     * so one-task runs ({@code P = 1}) are unchanged by it.
     */
    private static long perTask(long base, int m) {
        return m == 0 ? base : MetaTrainer.mix(base + m);
    }

    /**
     * Blocks a task backpropagates per truncation: all {@code nb} without a subsample, else {@code
     * min(nb, ceil(ceil(S/64)/P))}: the subsample is split evenly over the iteration's tasks.
     */
    int blocksPerTask(int nb) {
        if (subsample == 0) {
            return nb;
        }
        int total = (subsample + DoubleBptt.BLOCK - 1) / DoubleBptt.BLOCK;
        int per = (total + tasksPerIteration - 1) / tasksPerIteration;
        return Math.min(nb, per);
    }

    /** The blocks task {@code m} backpropagates in truncation {@code k} of iteration {@code it}. */
    int[] chooseBlocks(int nb, int it, int k, int m) {
        int want = blocksPerTask(nb);
        int[] all = new int[nb];
        for (int b = 0; b < nb; b++) {
            all[b] = b;
        }
        if (want == nb) {
            return all;
        }
        SplittableRandom rng =
                new SplittableRandom(
                        perTask(
                                MetaTrainer.mix(
                                        MetaTrainer.mix(MetaTrainer.mix(seed ^ STREAM_BLOCKS) + it)
                                                + k),
                                m));
        for (int i = 0; i < want; i++) {
            int j = i + rng.nextInt(nb - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] chosen = java.util.Arrays.copyOf(all, want);
        java.util.Arrays.sort(chosen);
        return chosen;
    }
}
