package org.l2o4j.dl4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.l2o4j.core.task.TaskFamily;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The user's own DL4J model as a {@link TaskFamily}: a network configuration plus data. Task {@code
 * seed} is the network initialized with that seed ({@code seed} of every layer's configuration), on
 * the family's minibatches in a seed-dependent order (see {@link Dl4jTask}).
 *
 * <p>Build one family on the training iterator and one on the validation iterator ({@link
 * #withData}) and hand both to the meta-trainer:
 *
 * <pre>{@code
 * Dl4jTaskFamily train = Dl4jTaskFamily.of("my-cnn", conf, trainIter, 50);
 * Dl4jTaskFamily valid = train.withData("my-cnn-valid", validIter, 10);
 * }</pre>
 *
 * <p>The iterator is read once, up to {@code maxBatches} minibatches, and the batches are kept in
 * memory (tasks draw from them at random); pass an iterator over a subset for large datasets.
 *
 * <p>{@link #withEvaluationSet} gives the family a fixed evaluation set for the steps from the
 * horizon on, so the final loss (reported by the evaluator, and the meta-loss with {@code final}
 * weighting) is the loss on those rows after the last update rather than one random minibatch's:
 * the same rows for every optimizer and task, and far less noisy. Immutable; {@link #sample} builds
 * a new network each time, so tasks are independent.
 */
public final class Dl4jTaskFamily implements TaskFamily {
    private final String name;
    private final MultiLayerConfiguration mlnConf;
    private final ComputationGraphConfiguration graphConf;
    private final List<DataSet> batches;
    private final DataSet evaluation;
    private final int evaluationStep;

    private Dl4jTaskFamily(
            String name,
            MultiLayerConfiguration mlnConf,
            ComputationGraphConfiguration graphConf,
            List<DataSet> batches) {
        this(name, mlnConf, graphConf, batches, null, Integer.MAX_VALUE);
    }

    private Dl4jTaskFamily(
            String name,
            MultiLayerConfiguration mlnConf,
            ComputationGraphConfiguration graphConf,
            List<DataSet> batches,
            DataSet evaluation,
            int evaluationStep) {
        this.evaluation = evaluation;
        this.evaluationStep = evaluationStep;
        this.name = Objects.requireNonNull(name, "name");
        this.mlnConf = mlnConf;
        this.graphConf = graphConf;
        if (batches.isEmpty()) {
            throw new IllegalArgumentException(
                    "The data iterator for task family '" + name + "' yielded no minibatches");
        }
        this.batches = Collections.unmodifiableList(batches);
    }

    /**
     * A family of {@link MultiLayerNetwork}s with this configuration.
     *
     * @param data read now, up to {@code maxBatches} minibatches (reset first if it can be)
     */
    public static Dl4jTaskFamily of(
            String name, MultiLayerConfiguration conf, DataSetIterator data, int maxBatches) {
        Objects.requireNonNull(conf, "conf");
        return new Dl4jTaskFamily(name, conf.clone(), null, read(data, maxBatches));
    }

    /**
     * A family of {@link ComputationGraph}s (one input, one output) with this configuration.
     *
     * @param data read now, up to {@code maxBatches} minibatches (reset first if it can be)
     */
    public static Dl4jTaskFamily of(
            String name, ComputationGraphConfiguration conf, DataSetIterator data, int maxBatches) {
        Objects.requireNonNull(conf, "conf");
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException(
                    "A Dl4jTaskFamily graph must have 1 input and 1 output but has "
                            + conf.getNetworkInputs().size()
                            + " inputs and "
                            + conf.getNetworkOutputs().size()
                            + " outputs");
        }
        return new Dl4jTaskFamily(name, null, conf.clone(), read(data, maxBatches));
    }

    /**
     * The same model on other data, e.g. the validation iterator (without this family's evaluation
     * set, if any).
     */
    public Dl4jTaskFamily withData(String name, DataSetIterator data, int maxBatches) {
        return new Dl4jTaskFamily(name, mlnConf, graphConf, read(data, maxBatches));
    }

    /**
     * This family with a fixed evaluation set: its tasks compute loss and gradient on all of {@code
     * rows} (one batch) at every step {@code t >= step} instead of on a minibatch. With {@code
     * step} the horizon {@code T}, the loss after the last update ({@code Evaluator}'s final loss,
     * and the meta-loss with {@code final} weighting) is the loss on these rows: the same for every
     * optimizer and task. The steps before {@code step} are unchanged.
     *
     * @param rows the evaluation rows, e.g. every row the family trains on, or held-out rows
     *     (copied)
     * @param step the first step evaluated on them, usually the horizon
     * @throws IllegalArgumentException if {@code rows} is empty or {@code step < 0}
     */
    public Dl4jTaskFamily withEvaluationSet(DataSet rows, int step) {
        Objects.requireNonNull(rows, "rows");
        if (rows.numExamples() < 1) {
            throw new IllegalArgumentException(
                    "The evaluation set of task family '" + name + "' has no rows");
        }
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0 but was " + step);
        }
        return new Dl4jTaskFamily(name, mlnConf, graphConf, batches, rows.copy(), step);
    }

    /** The evaluation set (all its rows as one DataSet), or null when there is none. */
    public DataSet evaluationSet() {
        return evaluation;
    }

    private static List<DataSet> read(DataSetIterator data, int maxBatches) {
        Objects.requireNonNull(data, "data");
        if (maxBatches < 1) {
            throw new IllegalArgumentException("maxBatches must be >= 1 but was " + maxBatches);
        }
        if (data.resetSupported()) {
            data.reset();
        }
        List<DataSet> out = new ArrayList<>();
        while (out.size() < maxBatches && data.hasNext()) {
            DataSet ds = data.next();
            out.add(ds.copy());
        }
        return out;
    }

    @Override
    public String name() {
        return name;
    }

    /** Number of minibatches the tasks draw from. */
    public int numBatches() {
        return batches.size();
    }

    /**
     * A fresh network of this family, initialized with {@code seed}. Serialized across threads:
     * DL4J seeds ND4J's random generator during {@code init()}.
     */
    public Model newNetwork(long seed) {
        synchronized (Dl4jTaskFamily.class) {
            return newNetworkUnsynchronized(seed);
        }
    }

    private Model newNetworkUnsynchronized(long seed) {
        if (mlnConf != null) {
            MultiLayerConfiguration c = mlnConf.clone();
            for (NeuralNetConfiguration nc : c.getConfs()) {
                nc.setSeed(seed);
            }
            MultiLayerNetwork net = new MultiLayerNetwork(c);
            net.init();
            return net;
        }
        ComputationGraphConfiguration c = graphConf.clone();
        c.getDefaultConfiguration().setSeed(seed);
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    @Override
    public Dl4jTask sample(long seed) {
        return new Dl4jTask(
                name + "(seed=" + seed + ")",
                newNetwork(seed),
                batches,
                seed,
                evaluation,
                evaluationStep);
    }

    @Override
    public String toString() {
        return name;
    }
}
