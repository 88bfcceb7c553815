package org.l2o4j.dl4j;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.l2o4j.core.task.Task;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A DL4J network on a fixed list of minibatches seen as a {@link Task}: the meta-trainer's black
 * box {@code (loss, gradient)} at a point, so the learned optimizer can be meta-trained
 * (fine-tuned) on the user's own model.
 *
 * <p>The task's parameters are the network's flattened parameter vector ({@code net.params()}, in
 * DL4J's order), as doubles (exact for DOUBLE networks, rounded to float for FLOAT ones). {@link
 * #lossAndGradient} writes {@code theta} into the network, runs {@code computeGradientAndScore()}
 * on the minibatch of step {@code t} and returns:
 *
 * <ul>
 *   <li>the loss: DL4J's score (mean over the minibatch) <em>without</em> regularization terms;
 *   <li>the gradient of that loss: DL4J's flattened gradient divided by the minibatch size, as
 *       DL4J's own updater does when the configuration is {@code miniBatch(true)} (the default).
 * </ul>
 *
 * <p>Regularization (L1/L2/weight decay) is applied by DL4J's updater, not by backpropagation, so
 * it is left out of both. Layers whose "gradients" are running statistics (batch normalization's
 * mean and variance) are not meaningful optimizee parameters; avoid them in meta-training tasks.
 *
 * <p>The minibatch of step {@code t} is one of the task's batches, drawn by a generator seeded with
 * the task's seed and {@code t}: the same {@code (seed, t)} gives the same batch. A task built with
 * an evaluation set ({@link Dl4jTaskFamily#withEvaluationSet}) uses that fixed set instead from
 * step {@code evaluationStep} on: the loss after the last update is then the same rows' for every
 * optimizer and task, not one random minibatch's. Not thread-safe (it owns one network); the
 * meta-trainer uses one task per thread.
 */
public final class Dl4jTask implements Task {
    private final String name;
    private final Model net;
    private final List<DataSet> batches;
    private final long seed;
    private final DataSet evaluation;
    private final long evaluationStep;
    private final double[] initial;
    private final HostFloats params;
    private final int dim;

    /**
     * @param name a description for reports
     * @param net an initialized {@link MultiLayerNetwork} or single-input, single-output {@link
     *     ComputationGraph}; the task owns it from now on
     * @param batches the minibatches (not copied; not modified)
     * @param seed selects the minibatch stream
     * @throws IllegalArgumentException if the network is neither or the batch list is empty
     */
    public Dl4jTask(String name, Model net, List<DataSet> batches, long seed) {
        this(name, net, batches, seed, null, Long.MAX_VALUE);
    }

    /**
     * A task whose steps {@code t >= evaluationStep} use the fixed {@code evaluation} set (all its
     * rows as one batch) instead of a minibatch: with {@code evaluationStep} the horizon, the final
     * loss, and the final-step meta-loss, are measured on those rows.
     *
     * @param evaluation the evaluation rows (not copied; not modified), or null for none
     * @param evaluationStep the first step that uses them (ignored when {@code evaluation} is null)
     * @throws IllegalArgumentException as {@link #Dl4jTask(String, Model, List, long)}, or if
     *     {@code evaluation} is empty or {@code evaluationStep < 0}
     */
    public Dl4jTask(
            String name,
            Model net,
            List<DataSet> batches,
            long seed,
            DataSet evaluation,
            long evaluationStep) {
        if (evaluation != null && evaluation.numExamples() < 1) {
            throw new IllegalArgumentException("The evaluation set must have at least one row");
        }
        if (evaluation != null && evaluationStep < 0) {
            throw new IllegalArgumentException(
                    "evaluationStep must be >= 0 but was " + evaluationStep);
        }
        this.evaluation = evaluation;
        this.evaluationStep = evaluation == null ? Long.MAX_VALUE : evaluationStep;
        this.name = Objects.requireNonNull(name, "name");
        this.net = Objects.requireNonNull(net, "net");
        if (!(net instanceof MultiLayerNetwork) && !(net instanceof ComputationGraph)) {
            throw new IllegalArgumentException(
                    "Expected a MultiLayerNetwork or ComputationGraph but got "
                            + net.getClass().getName());
        }
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("A Dl4jTask needs at least one minibatch");
        }
        this.batches = batches;
        this.seed = seed;
        if (net.params() == null) {
            throw new IllegalArgumentException("The network must be initialized (call init())");
        }
        long n = net.numParams();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "A task may have at most " + Integer.MAX_VALUE + " parameters but has " + n);
        }
        this.dim = (int) n;
        this.params = new HostFloats(net.params(), "parameter");
        this.initial = new double[dim];
        params.read(0, initial, 0, dim);
        Dl4jParameters.register(net);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public double[] initialParameters() {
        return initial.clone();
    }

    /** The network (its parameters are whatever the last call set). */
    public Model network() {
        return net;
    }

    /** The minibatch used at step {@code t} (the evaluation set from its step on). */
    public DataSet batch(long t) {
        if (t >= evaluationStep) {
            return evaluation;
        }
        if (batches.size() == 1) {
            return batches.get(0);
        }
        long mix = seed * 0x9E3779B97F4A7C15L + t;
        return batches.get(new SplittableRandom(mix).nextInt(batches.size()));
    }

    @Override
    public double lossAndGradient(double[] theta, long t, double[] gradOut) {
        Task.checkLength("theta", theta, dim);
        Task.checkLength("gradOut", gradOut, dim);
        params.write(0, theta, 0, dim);
        DataSet ds = batch(t);
        double score;
        boolean miniBatch;
        if (net instanceof MultiLayerNetwork) {
            MultiLayerNetwork m = (MultiLayerNetwork) net;
            m.setInput(ds.getFeatures());
            m.setLabels(ds.getLabels());
            m.setLayerMaskArrays(ds.getFeaturesMaskArray(), ds.getLabelsMaskArray());
            m.computeGradientAndScore();
            score = m.score() - m.calcRegularizationScore(true);
            miniBatch = m.getLayerWiseConfigurations().getConf(0).isMiniBatch();
        } else {
            ComputationGraph g = (ComputationGraph) net;
            g.setInputs(ds.getFeatures());
            g.setLabels(ds.getLabels());
            if (ds.getFeaturesMaskArray() != null || ds.getLabelsMaskArray() != null) {
                g.setLayerMaskArrays(
                        ds.getFeaturesMaskArray() == null
                                ? null
                                : new org.nd4j.linalg.api.ndarray.INDArray[] {
                                    ds.getFeaturesMaskArray()
                                },
                        ds.getLabelsMaskArray() == null
                                ? null
                                : new org.nd4j.linalg.api.ndarray.INDArray[] {
                                    ds.getLabelsMaskArray()
                                });
            }
            g.computeGradientAndScore();
            score = g.score() - g.calcRegularizationScore(true);
            miniBatch = g.getConfiguration().getDefaultConfiguration().isMiniBatch();
        }
        HostFloats grads = new HostFloats(net.getGradientsViewArray(), "gradient");
        grads.read(0, gradOut, 0, dim);
        if (miniBatch && ds.numExamples() > 1) {
            double scale = 1.0 / ds.numExamples();
            for (int i = 0; i < dim; i++) {
                gradOut[i] *= scale;
            }
        }
        return score;
    }

    @Override
    public String toString() {
        return name;
    }
}
