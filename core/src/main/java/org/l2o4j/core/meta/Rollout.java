package org.l2o4j.core.meta;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.task.Task;

/**
 * Several tasks optimized side by side by one LSTM optimizer: their coordinates are concatenated
 * and (optionally) shuffled into "positions", which are cut into {@link DoubleBptt.Block}s.
 *
 * <p>The shuffle (a random permutation per rollout) makes every block a random set of coordinates,
 * so picking random blocks for the backward pass is an unbiased, well-mixed coordinate subsample.
 */
final class Rollout {
    final Task[] tasks;
    final double[][] theta;
    final double[][] taskGrad;
    final double[] losses;
    final int size;
    final int[] posTask;
    final int[] posIndex;

    /** The double kernel's blocks, or null when the rollout runs the float training kernel. */
    final DoubleBptt.Block[] blocks;

    /** Blocks of {@value DoubleBptt#BLOCK} positions (the last may be narrower). */
    final int numBlocks;

    /** Float LSTM state of every position (for the float forward of untracked coordinates). */
    private OptimizerState floatState;

    private float[] gradF;
    private float[] updF;
    private final int stateRows;

    /** Whether the optimizer's features include {@code param} (the parameter values). */
    private final boolean needsTheta;

    /** The parameter values in position order ({@link #thetaPositions}), made on first use. */
    private double[] thetaPos;

    /** Their float copy for the float inference kernel, made on first use. */
    private float[] thetaF;

    /**
     * @param shuffle source of the coordinate permutation, or null for the identity
     * @param previous a finished rollout whose blocks (and their storage) may be reused, or null
     */
    Rollout(DoubleBptt kernel, Task[] tasks, SplittableRandom shuffle, Rollout previous) {
        this(kernel, tasks, shuffle, previous, true);
    }

    /**
     * @param doubleBlocks whether to make the double kernel's blocks (not needed by the float
     *     training kernel, which keeps the state of every position in the float state)
     */
    Rollout(
            DoubleBptt kernel,
            Task[] tasks,
            SplittableRandom shuffle,
            Rollout previous,
            boolean doubleBlocks) {
        this.tasks = tasks.clone();
        int n = 0;
        this.theta = new double[tasks.length][];
        this.taskGrad = new double[tasks.length][];
        for (int m = 0; m < tasks.length; m++) {
            theta[m] = tasks[m].initialParameters();
            if (theta[m].length != tasks[m].dimension()) {
                throw new IllegalArgumentException(
                        "Task "
                                + tasks[m].name()
                                + " has dimension "
                                + tasks[m].dimension()
                                + " but its initial point has length "
                                + theta[m].length);
            }
            taskGrad[m] = new double[theta[m].length];
            n = Math.addExact(n, theta[m].length);
        }
        if (n == 0) {
            throw new IllegalArgumentException("Tasks have no coordinates");
        }
        this.size = n;
        this.stateRows = kernel.stateRows();
        this.needsTheta = kernel.needsTheta();
        this.losses = new double[tasks.length];
        this.posTask = new int[n];
        this.posIndex = new int[n];
        int p = 0;
        for (int m = 0; m < tasks.length; m++) {
            for (int i = 0; i < theta[m].length; i++) {
                posTask[p] = m;
                posIndex[p] = i;
                p++;
            }
        }
        if (shuffle != null) {
            for (int i = n - 1; i > 0; i--) {
                int j = shuffle.nextInt(i + 1);
                int t = posTask[i];
                posTask[i] = posTask[j];
                posTask[j] = t;
                t = posIndex[i];
                posIndex[i] = posIndex[j];
                posIndex[j] = t;
            }
        }
        int nb = (n + DoubleBptt.BLOCK - 1) / DoubleBptt.BLOCK;
        this.numBlocks = nb;
        if (!doubleBlocks) {
            this.blocks = null;
            return;
        }
        if (previous != null && previous.size == n && previous.blocks != null) {
            this.blocks = previous.blocks;
            resetStates();
            return;
        }
        this.blocks = new DoubleBptt.Block[nb];
        for (int b = 0; b < nb; b++) {
            int start = b * DoubleBptt.BLOCK;
            blocks[b] = kernel.newBlock(start, Math.min(DoubleBptt.BLOCK, n - start));
        }
    }

    /**
     * Evaluates every task at its current point on minibatch {@code t}; fills {@link #losses} and
     * writes the gradients in position order to {@code gradPos}.
     *
     * @throws IllegalStateException if a loss or gradient is not finite
     */
    void evaluate(Workers workers, long t, double[] gradPos) {
        // fewer tasks than threads: each task may split its own work over the spare ones (tasks
        // give the same results with any thread count)
        int perTask = Math.max(1, workers.threads() / Math.max(1, tasks.length));
        workers.forEach(
                tasks.length,
                m -> {
                    double loss = tasks[m].lossAndGradient(theta[m], t, taskGrad[m], perTask);
                    losses[m] = loss;
                });
        for (int m = 0; m < tasks.length; m++) {
            if (!Double.isFinite(losses[m])) {
                throw new NonFiniteLossException(tasks[m].name(), t, losses[m]);
            }
        }
        for (int p = 0; p < size; p++) {
            double g = taskGrad[posTask[p]][posIndex[p]];
            gradPos[p] = g;
        }
        for (int p = 0; p < size; p++) {
            if (!Double.isFinite(gradPos[p])) {
                throw new NonFiniteLossException(tasks[posTask[p]].name(), t, gradPos[p]);
            }
        }
    }

    /**
     * The current parameter values in position order (the {@code param} feature's input, read
     * before {@link #apply}), or null if the optimizer's features do not need them. The array is
     * reused: valid until the next call.
     */
    double[] thetaPositions() {
        if (!needsTheta) {
            return null;
        }
        if (thetaPos == null) {
            thetaPos = new double[size];
        }
        for (int p = 0; p < size; p++) {
            thetaPos[p] = theta[posTask[p]][posIndex[p]];
        }
        return thetaPos;
    }

    /** The float parameter values of the float kernel's positions, or null if not needed. */
    private float[] thetaFloat(int[] bounds, int ranges) {
        if (!needsTheta) {
            return null;
        }
        if (thetaF == null) {
            thetaF = new float[size];
        }
        if (bounds == null) {
            for (int p = 0; p < size; p++) {
                thetaF[p] = (float) theta[posTask[p]][posIndex[p]];
            }
        } else {
            for (int r = 0; r < ranges; r++) {
                for (int p = bounds[2 * r]; p < bounds[2 * r + 1]; p++) {
                    thetaF[p] = (float) theta[posTask[p]][posIndex[p]];
                }
            }
        }
        return thetaF;
    }

    /** theta += update (position order). */
    void apply(double[] updatePos) {
        for (int p = 0; p < size; p++) {
            theta[posTask[p]][posIndex[p]] += updatePos[p];
        }
    }

    void resetStates() {
        if (blocks != null) {
            for (DoubleBptt.Block b : blocks) {
                b.resetState();
            }
        }
        if (floatState != null) {
            floatState.reset();
        }
    }

    /**
     * One step of the float inference kernel on every position: {@code update = opt(grad)}. The
     * float state is the truth for untracked positions; see {@link #loadBlockState} and {@link
     * #storeBlockState} for tracked ones.
     */
    void floatStep(LstmOptimizer opt, double[] grad, double[] update) {
        floatStateData(opt);
        for (int p = 0; p < size; p++) {
            gradF[p] = (float) grad[p];
        }
        opt.step(floatState, thetaFloat(null, 0), 0, gradF, 0, updF, 0);
        for (int p = 0; p < size; p++) {
            update[p] = updF[p];
        }
    }

    /**
     * {@link #floatStep} for the positions in {@code [bounds[2k], bounds[2k+1])}, {@code k <
     * ranges}, only (see {@link LstmOptimizer#stepRanges}: bitwise the same per-position results as
     * {@link #floatStep}); the other positions' float state and {@code update} are left alone.
     */
    void floatStepRanges(
            LstmOptimizer opt, double[] grad, double[] update, int[] bounds, int ranges) {
        floatStateData(opt);
        for (int r = 0; r < ranges; r++) {
            for (int p = bounds[2 * r]; p < bounds[2 * r + 1]; p++) {
                gradF[p] = (float) grad[p];
            }
        }
        opt.stepRanges(floatState, thetaFloat(bounds, ranges), gradF, updF, bounds, ranges);
        for (int r = 0; r < ranges; r++) {
            for (int p = bounds[2 * r]; p < bounds[2 * r + 1]; p++) {
                update[p] = updF[p];
            }
        }
    }

    /**
     * The float LSTM state of every position (rows of {@link #size}, the layout of {@link
     * LstmOptimizer}), made (zero) on first use.
     */
    float[] floatStateData(LstmOptimizer opt) {
        if (floatState == null) {
            floatState = opt.newState(size);
            gradF = new float[size];
            updF = new float[size];
            if (pendingFloat != null) {
                System.arraycopy(pendingFloat, 0, floatState.data(), 0, pendingFloat.length);
                pendingFloat = null;
            }
        }
        return floatState.data();
    }

    /** A restored float state, installed when the float state is first made. */
    private float[] pendingFloat;

    /** A copy of the float LSTM state of every position, or null if there is none yet. */
    float[] floatStateCopy() {
        if (floatState != null) {
            return floatState.data().clone();
        }
        return pendingFloat != null ? pendingFloat.clone() : null;
    }

    /** A copy of the double blocks' LSTM states (block order), or null without double blocks. */
    double[] blockStateCopy() {
        if (blocks == null) {
            return null;
        }
        double[] out = new double[stateRows * size];
        int o = 0;
        for (DoubleBptt.Block b : blocks) {
            System.arraycopy(b.state, 0, out, o, b.state.length);
            o += b.state.length;
        }
        return out;
    }

    /**
     * Restores a single-task rollout's carried state ({@link #floatStateCopy}, {@link
     * #blockStateCopy}; either may be null).
     */
    void restore(double[] theta0, float[] floatData, double[] blockData, double loss) {
        if (tasks.length != 1 || theta0.length != theta[0].length) {
            throw new IllegalArgumentException("state of another task");
        }
        System.arraycopy(theta0, 0, theta[0], 0, theta0.length);
        if (floatData != null) {
            if (floatState != null) {
                System.arraycopy(floatData, 0, floatState.data(), 0, floatData.length);
            } else {
                pendingFloat = floatData.clone();
            }
        }
        if (blockData != null && blocks != null) {
            int o = 0;
            for (DoubleBptt.Block b : blocks) {
                System.arraycopy(blockData, o, b.state, 0, b.state.length);
                o += b.state.length;
            }
        }
        losses[0] = loss;
    }

    /** Copies the float state of a block's positions into its double state. */
    void loadBlockState(DoubleBptt.Block b) {
        // a restored state not yet installed (the float state is made by the first float step)
        float[] f = floatState != null ? floatState.data() : pendingFloat;
        if (f == null) {
            return;
        }
        int w = b.width;
        for (int k = 0; k < stateRows; k++) {
            int src = k * size + b.start;
            int dst = k * w;
            for (int i = 0; i < w; i++) {
                b.state[dst + i] = f[src + i];
            }
        }
    }

    /** Copies a block's double state into the float state of its positions. */
    void storeBlockState(DoubleBptt.Block b) {
        if (floatState == null) {
            return;
        }
        float[] f = floatState.data();
        int w = b.width;
        for (int k = 0; k < stateRows; k++) {
            int dst = k * size + b.start;
            int src = k * w;
            for (int i = 0; i < w; i++) {
                f[dst + i] = (float) b.state[src + i];
            }
        }
    }

    double meanLoss() {
        double s = 0;
        for (double l : losses) {
            s += l;
        }
        return s / losses.length;
    }

    double[] lossesCopy() {
        return Arrays.copyOf(losses, losses.length);
    }

    /** A task's loss or gradient became NaN or infinite. */
    static final class NonFiniteLossException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NonFiniteLossException(String task, long t, double value) {
            super(
                    "Task "
                            + task
                            + " returned a non-finite loss or gradient "
                            + value
                            + " at step "
                            + t);
        }
    }
}
