package org.l2o4j.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

/**
 * A {@link TaskFamily} backed by a DJL {@link Block}, a {@link Loss} and a training (and optionally
 * validation) {@link RandomAccessDataset}: meta-train or fine-tune the learned optimizer on your
 * own model.
 *
 * <p>Task {@code seed} starts from the block's parameters re-drawn from their own initializers with
 * engine seed {@code seed}; its minibatch at step {@code t} is {@code batchSize} records drawn
 * (with replacement) by a generator seeded from {@code (seed, t)}, so every optimizer evaluated on
 * the task sees the same batches. Parameters are flattened in {@link Block#getParameters()} order;
 * parameters that do not require a gradient (e.g. running statistics) are left out and keep their
 * values.
 *
 * <p>All tasks of a family share the one block: {@link Task#lossAndGradient} writes {@code theta}
 * into it, runs forward and backward, and reads the gradient back. DJL allows one {@code
 * GradientCollector} at a time per JVM, so these calls are serialized on a JVM-wide lock: a
 * multi-threaded meta-trainer is safe but gets no speed-up from threads here, and the JVM must not
 * train another DJL model concurrently. Close the family to free its native memory.
 */
public final class DjlTaskFamily implements TaskFamily, AutoCloseable {

    /** JVM-wide lock around gradient computation (one GradientCollector at a time). */
    static final Object GRADIENT_LOCK = new Object();

    /** The family's name. */
    private final String name;

    /** The shared model. */
    private final Block block;

    /** The loss to minimise. */
    private final Loss loss;

    /** Records the tasks train on. */
    private final RandomAccessDataset data;

    /** The validation records, or null. */
    private final RandomAccessDataset validationData;

    /** Records per minibatch. */
    private final int batchSize;

    /** Owns the block's parameters; closed with the family (null for a validation view). */
    private final NDManager manager;

    /** The trainable parameters, in flattening order. */
    private final List<Parameter> parameters;

    /** Total number of trainable scalars. */
    private final int dimension;

    private DjlTaskFamily(
            String name,
            Block block,
            Loss loss,
            RandomAccessDataset data,
            RandomAccessDataset validationData,
            int batchSize,
            NDManager manager,
            List<Parameter> parameters,
            int dimension) {
        this.name = name;
        this.block = block;
        this.loss = loss;
        this.data = data;
        this.validationData = validationData;
        this.batchSize = batchSize;
        this.manager = manager;
        this.parameters = parameters;
        this.dimension = dimension;
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return name;
    }

    /** Number of trainable scalars of the block (every task's {@link Task#dimension()}). */
    public int dimension() {
        return dimension;
    }

    /**
     * The same family on the validation dataset (same block, initialisation and batch size).
     *
     * @throws IllegalStateException if the builder had no validation dataset
     */
    public DjlTaskFamily validation() {
        if (validationData == null) {
            throw new IllegalStateException(
                    "No validation dataset: set one with Builder.optValidationDataset");
        }
        return new DjlTaskFamily(
                name + "/validation",
                block,
                loss,
                validationData,
                null,
                batchSize,
                null,
                parameters,
                dimension);
    }

    /** {@inheritDoc} */
    @Override
    public Task sample(long seed) {
        return new DjlTask(seed, initialParameters(seed));
    }

    /** The block's parameters re-drawn from their initializers with engine seed {@code seed}. */
    private double[] initialParameters(long seed) {
        double[] theta = new double[dimension];
        synchronized (GRADIENT_LOCK) {
            Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)));
            try (NDManager scratch = manager().newSubManager()) {
                int off = 0;
                for (Parameter p : parameters) {
                    NDArray current = p.getArray();
                    NDArray fresh =
                            p.getInitializer()
                                    .initialize(scratch, current.getShape(), DataType.FLOAT32);
                    float[] v = fresh.toFloatArray();
                    for (float x : v) {
                        theta[off++] = x;
                    }
                }
            }
        }
        return theta;
    }

    private NDManager manager() {
        return parameters.get(0).getArray().getManager();
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return name;
    }

    /** One task: an initial point and the seeded minibatch stream; see the family's javadoc. */
    private final class DjlTask implements Task {
        private final long seed;
        private final double[] initial;

        DjlTask(long seed, double[] initial) {
            this.seed = seed;
            this.initial = initial;
        }

        @Override
        public String name() {
            return name + "(seed=" + seed + ")";
        }

        @Override
        public int dimension() {
            return dimension;
        }

        @Override
        public double[] initialParameters() {
            return initial.clone();
        }

        @Override
        public double lossAndGradient(double[] theta, long t, double[] gradOut) {
            Task.checkLength("theta", theta, dimension);
            Task.checkLength("gradient", gradOut, dimension);
            synchronized (GRADIENT_LOCK) {
                try (NDManager scratch = manager().newSubManager()) {
                    writeParameters(theta);
                    NDList[] batch = batch(scratch, t);
                    ParameterStore store = new ParameterStore(scratch, false);
                    float value;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDList predictions = block.forward(store, batch[0], true);
                        NDArray l = loss.evaluate(batch[1], predictions);
                        value = l.getFloat();
                        gc.backward(l);
                    }
                    readGradients(gradOut);
                    return value;
                }
            }
        }

        private void writeParameters(double[] theta) {
            int off = 0;
            for (Parameter p : parameters) {
                NDArray a = p.getArray();
                float[] v = new float[Math.toIntExact(a.size())];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) theta[off++];
                }
                HostTransfer.write(a, v);
            }
        }

        private void readGradients(double[] gradOut) {
            int off = 0;
            for (Parameter p : parameters) {
                NDArray a = p.getArray();
                float[] g = new float[Math.toIntExact(a.size())];
                NDArray grad = a.getGradient();
                HostTransfer.read(grad, g);
                grad.close();
                HostTransfer.clearGradient(a);
                for (float x : g) {
                    gradOut[off++] = x;
                }
            }
        }

        private NDList[] batch(NDManager m, long t) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + t);
            long size = data.size();
            NDList[] inputs = new NDList[batchSize];
            NDList[] labels = new NDList[batchSize];
            try {
                for (int i = 0; i < batchSize; i++) {
                    Record rec = data.get(m, r.nextLong(size));
                    inputs[i] = rec.getData();
                    labels[i] = rec.getLabels();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read a record of " + name, e);
            }
            return new NDList[] {
                Batchifier.STACK.batchify(inputs), Batchifier.STACK.batchify(labels)
            };
        }
    }

    /** Builder of a {@link DjlTaskFamily}: {@code setX} for required values, {@code optX} else. */
    public static final class Builder {
        private Block block;
        private Shape inputShape;
        private Loss loss;
        private RandomAccessDataset trainDataset;
        private RandomAccessDataset validationDataset;
        private int batchSize = 128;
        private String name = "djl";

        private Builder() {}

        /**
         * The model (required). The family takes it over: if it is not initialised yet, it is
         * initialised (float32) on the family's manager for {@link #setInputShape}.
         */
        public Builder setBlock(Block block) {
            this.block = Objects.requireNonNull(block, "block");
            return this;
        }

        /** The shape of one input batch, e.g. {@code (128, 784)} (required). */
        public Builder setInputShape(Shape inputShape) {
            this.inputShape = Objects.requireNonNull(inputShape, "inputShape");
            return this;
        }

        /** The loss (required), e.g. {@code Loss.softmaxCrossEntropyLoss()}. */
        public Builder setLoss(Loss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /** The training records (required). */
        public Builder setTrainDataset(RandomAccessDataset dataset) {
            this.trainDataset = Objects.requireNonNull(dataset, "dataset");
            return this;
        }

        /** The validation records (see {@link DjlTaskFamily#validation()}). */
        public Builder optValidationDataset(RandomAccessDataset dataset) {
            this.validationDataset = Objects.requireNonNull(dataset, "dataset");
            return this;
        }

        /** Records per minibatch (default 128). */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The family's name for reports (default {@code djl}). */
        public Builder optName(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Builds the family.
         *
         * @throws IllegalArgumentException if a required value is missing, the batch size is not
         *     positive, a dataset is empty, or a trainable parameter is not float32
         */
        public DjlTaskFamily build() {
            List<String> missing = new ArrayList<>();
            if (block == null) {
                missing.add("setBlock");
            }
            if (inputShape == null) {
                missing.add("setInputShape");
            }
            if (loss == null) {
                missing.add("setLoss");
            }
            if (trainDataset == null) {
                missing.add("setTrainDataset");
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("DjlTaskFamily needs " + missing);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1 but was " + batchSize);
            }
            if (trainDataset.size() < 1
                    || (validationDataset != null && validationDataset.size() < 1)) {
                throw new IllegalArgumentException("datasets must not be empty");
            }
            NDManager manager = NDManager.newBaseManager();
            manager.setName("l2o4j-djl-task-family");
            if (!block.isInitialized()) {
                block.initialize(manager, DataType.FLOAT32, inputShape);
            }
            List<Parameter> params = new ArrayList<>();
            long dim = 0;
            for (Pair<String, Parameter> p : block.getParameters()) {
                Parameter param = p.getValue();
                if (!param.requiresGradient()) {
                    continue;
                }
                NDArray a = param.getArray();
                if (a.getDataType() != DataType.FLOAT32) {
                    manager.close();
                    throw new IllegalArgumentException(
                            "Parameter "
                                    + p.getKey()
                                    + " must be float32 but is "
                                    + a.getDataType());
                }
                if (param.getInitializer() == null) {
                    manager.close();
                    throw new IllegalArgumentException(
                            "Parameter " + p.getKey() + " has no initializer to draw tasks from");
                }
                a.setRequiresGradient(true);
                params.add(param);
                dim += a.size();
            }
            if (params.isEmpty() || dim > Integer.MAX_VALUE) {
                manager.close();
                throw new IllegalArgumentException(
                        "The block must have between 1 and "
                                + Integer.MAX_VALUE
                                + " trainable scalars but has "
                                + dim);
            }
            return new DjlTaskFamily(
                    name,
                    block,
                    loss,
                    trainDataset,
                    validationDataset,
                    batchSize,
                    manager,
                    List.copyOf(params),
                    (int) dim);
        }
    }
}
