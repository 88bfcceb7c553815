package org.l2o4j.core.task;

import java.util.List;

/**
 * An optimizee seen as a black box: a seeded initial point and {@code (loss, gradient)} at any
 * point on a seeded minibatch stream.
 *
 * <p>This is all the first-order meta-gradient needs (docs/design.md section 2), so the same
 * meta-trainer and evaluator work on a pure-Java task, a DL4J network or a DJL model.
 *
 * <p>Lifecycle: {@link #initialParameters()} gives the (deterministic) starting point; {@link
 * #lossAndGradient} is then called with step indices 0, 1, 2, ... The minibatch used at step {@code
 * t} is a deterministic function of the task's seed and {@code t}, so every optimizer evaluated on
 * a task sees the same data. Framework-backed tasks that stream their data may ignore {@code t} and
 * document it. A task instance is not required to be thread-safe; use one instance per thread.
 */
public interface Task {

    /** A short description, e.g. {@code quadratic(seed=3)}. */
    String name();

    /** Number of parameters (coordinates). */
    int dimension();

    /** A fresh copy of the initial point (length {@link #dimension()}). */
    double[] initialParameters();

    /**
     * Loss and gradient at {@code theta} on the minibatch of step {@code t}.
     *
     * @param theta the parameters, length {@link #dimension()} (not modified)
     * @param t the step index (selects the minibatch)
     * @param gradOut receives df/dtheta, length {@link #dimension()}
     * @return the loss
     * @throws IllegalArgumentException if an array has the wrong length
     */
    double lossAndGradient(double[] theta, long t, double[] gradOut);

    /**
     * {@link #lossAndGradient(double[], long, double[])} using up to {@code threads} threads (the
     * meta-trainer passes its spare threads when it evaluates fewer tasks than it has threads). The
     * results must not depend on {@code threads}, bit for bit. By default the single-threaded
     * method; {@link MlpTask} splits its minibatch into a fixed number of chunks.
     *
     * @param threads at least 1
     */
    default double lossAndGradient(double[] theta, long t, double[] gradOut, int threads) {
        return lossAndGradient(theta, t, gradOut);
    }

    /**
     * The loss alone at {@code theta} on step {@code t}'s minibatch; by default via the gradient.
     */
    default double loss(double[] theta, long t) {
        return lossAndGradient(theta, t, new double[dimension()]);
    }

    /** The name of the single group of {@link #parameterGroups()}'s default. */
    String ALL_PARAMETERS = "all";

    /**
     * The names of this task's parameter groups, indexed by the labels of {@link
     * #parameterGroupLabels()}: kinds of coordinates that a per-group learned optimizer (the
     * paper's LSTM-sep) may treat with separate weights. By default one group, {@value
     * #ALL_PARAMETERS}.
     *
     * <p>Built-in names (shared across families, so a per-group optimizer trained on one family
     * finds its groups in another): {@code conv-kernels}, {@code conv-biases} ({@code conv}),
     * {@code dense-weights}, {@code dense-biases} ({@code conv} and {@code mnist-mlp}), {@code
     * pixels} ({@code style}). See docs/design.md section 3.
     *
     * @return a non-empty list of distinct names
     */
    default List<String> parameterGroups() {
        return List.of(ALL_PARAMETERS);
    }

    /**
     * The group of every coordinate: element {@code i} is the index in {@link #parameterGroups()}
     * of coordinate {@code i}'s group. By default all zeros (one group).
     *
     * @return a fresh array of length {@link #dimension()}
     */
    default int[] parameterGroupLabels() {
        return new int[dimension()];
    }

    /**
     * Checks the length of an array argument.
     *
     * @throws IllegalArgumentException naming both lengths
     */
    static void checkLength(String what, double[] a, int expected) {
        if (a.length != expected) {
            throw new IllegalArgumentException(
                    what + " must have length " + expected + " but has length " + a.length);
        }
    }
}
