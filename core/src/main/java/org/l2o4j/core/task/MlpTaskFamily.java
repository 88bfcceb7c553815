package org.l2o4j.core.task;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;

/**
 * The paper's MNIST task family and its variants: a multi-layer perceptron classifier with softmax
 * cross-entropy loss, trained on minibatches (Andrychowicz et al. 2016, section 3.2: 784 -> 20
 * sigmoid -> 10, minibatch 128).
 *
 * <p>Variants for the generalization study (docs/design.md section 3): hidden units, number of
 * hidden layers (0 is multinomial logistic regression), activation, dataset (MNIST or
 * Fashion-MNIST), batch size, split. Defaults are the paper's.
 *
 * <p>{@link #sample(long)} builds an {@link MlpTask}: its initial parameters and its minibatch
 * stream are deterministic functions of the seed (see {@link MlpTask} for the flat parameter
 * layout, the initialization and the minibatch sampling). Tasks share the family's read-only {@link
 * Dataset} and are otherwise independent, so different threads may use different tasks of one
 * family concurrently.
 *
 * <pre>{@code
 * TaskFamily paper = MlpTaskFamily.builder().build();              // mnist-mlp, train split
 * TaskFamily eval = MlpTaskFamily.builder().split(Split.TEST).build();
 * TaskFamily relu = MlpTaskFamily.builder().activation(Activation.RELU).hiddenLayers(2).build();
 * }</pre>
 */
public final class MlpTaskFamily implements TaskFamily {

    /** The family name used by {@link TaskFamilies}. */
    public static final String NAME = "mnist-mlp";

    /** How the initial parameters of a task are drawn. */
    public enum Init {
        /**
         * Every weight and bias i.i.d. normal with standard deviation 0.01, as in DeepMind's
         * learning-to-learn code ({@code problems.py}, {@code _nn_initializers}); the default.
         */
        NORMAL,
        /**
         * Weights uniform in {@code +-sqrt(6 / (fanIn + fanOut))} (Glorot and Bengio 2010), biases
         * zero: better scaled for deep or ReLU variants.
         */
        GLOROT;

        /** The lower-case name used in options and task names. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Parses {@code normal} or {@code glorot} (case-insensitive).
         *
         * @throws IllegalArgumentException naming the accepted values
         */
        public static Init parse(String s) {
            for (Init i : values()) {
                if (i.name().equalsIgnoreCase(s.trim())) {
                    return i;
                }
            }
            throw new IllegalArgumentException("init must be normal or glorot but was '" + s + "'");
        }
    }

    /** Units per hidden layer. */
    private final int hiddenUnits;

    /** Number of hidden layers (0: a linear softmax classifier). */
    private final int hiddenLayers;

    /** The hidden layers' activation. */
    private final Activation activation;

    /** Examples per minibatch. */
    private final int batchSize;

    /** The split the minibatches are drawn from. */
    private final Split split;

    /** The number of the split's first examples trained on, 0 for all. */
    private final int examples;

    /** How initial parameters are drawn. */
    private final Init init;

    /** The (shared, read-only) data. */
    private final Dataset data;

    /** The dataset's name ({@code mnist}, {@code fashion-mnist}, or the injected dataset's). */
    private final String datasetName;

    private final int[] layerSizes;
    private final int dimension;

    private MlpTaskFamily(Builder b, Dataset data, String datasetName) {
        this.hiddenUnits = b.hiddenUnits;
        this.hiddenLayers = b.hiddenLayers;
        this.activation = b.activation;
        this.batchSize = b.batchSize;
        this.split = b.split;
        this.examples = b.examples;
        this.init = b.init;
        this.data = data;
        this.datasetName = datasetName;
        this.layerSizes = new int[hiddenLayers + 2];
        layerSizes[0] = data.features();
        for (int l = 1; l <= hiddenLayers; l++) {
            layerSizes[l] = hiddenUnits;
        }
        layerSizes[hiddenLayers + 1] = data.classes();
        long dim = 0;
        for (int l = 0; l + 1 < layerSizes.length; l++) {
            dim += (long) layerSizes[l] * layerSizes[l + 1] + layerSizes[l + 1];
        }
        if (dim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the MLP has too many parameters: " + dim);
        }
        this.dimension = (int) dim;
        if (batchSize > data.rows()) {
            throw new IllegalArgumentException(
                    "batch size "
                            + batchSize
                            + " is larger than the "
                            + data.rows()
                            + " examples of "
                            + data.name());
        }
    }

    /** A builder with the paper's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The paper's task family on MNIST's training split. */
    public static MlpTaskFamily paper() {
        return builder().build();
    }

    /**
     * {@inheritDoc}
     *
     * <p>E.g. {@code mnist-mlp(dataset=mnist,split=train,hidden=20,layers=1,activation=sigmoid,
     * batch=128,init=normal)}; {@code ,examples=N} before the parenthesis when the family trains on
     * the split's first N examples only.
     */
    @Override
    public String name() {
        return NAME
                + "(dataset="
                + datasetName
                + ",split="
                + split.name().toLowerCase(Locale.ROOT)
                + ",hidden="
                + hiddenUnits
                + ",layers="
                + hiddenLayers
                + ",activation="
                + activation.id()
                + ",batch="
                + batchSize
                + ",init="
                + init.id()
                + (examples == 0 ? "" : ",examples=" + examples)
                + ")";
    }

    /** {@inheritDoc} */
    @Override
    public MlpTask sample(long seed) {
        return new MlpTask(this, seed);
    }

    /** Number of parameters of every task of this family. */
    public int dimension() {
        return dimension;
    }

    /** Layer widths from input to output, e.g. {@code [784, 20, 10]}. */
    public int[] layerSizes() {
        return layerSizes.clone();
    }

    int[] layerSizesShared() {
        return layerSizes;
    }

    /** Units per hidden layer. */
    public int hiddenUnits() {
        return hiddenUnits;
    }

    /** Number of hidden layers. */
    public int hiddenLayers() {
        return hiddenLayers;
    }

    /** The hidden layers' activation. */
    public Activation activation() {
        return activation;
    }

    /** Examples per minibatch. */
    public int batchSize() {
        return batchSize;
    }

    /** The split minibatches are drawn from. */
    public Split split() {
        return split;
    }

    /** How initial parameters are drawn. */
    public Init init() {
        return init;
    }

    /** The shared dataset. */
    public Dataset data() {
        return data;
    }

    /** Builder for {@link MlpTaskFamily}; defaults are the paper's. */
    public static final class Builder {
        private int hiddenUnits = 20;
        private int hiddenLayers = 1;
        private Activation activation = Activation.SIGMOID;
        private int batchSize = 128;
        private Split split = Split.TRAIN;
        private Init init = Init.NORMAL;
        private String dataset = Datasets.MNIST;
        private Path dataDir;
        private Dataset data;
        private int examples;

        private Builder() {}

        /**
         * Trains on only the first {@code examples} examples of the split (e.g. a validation split
         * the size of the test split); 0 [default] for all of them.
         */
        public Builder examples(int examples) {
            this.examples = examples;
            return this;
        }

        /** Units per hidden layer [20]. */
        public Builder hiddenUnits(int hiddenUnits) {
            this.hiddenUnits = hiddenUnits;
            return this;
        }

        /** Number of hidden layers, 0 or more [1]. */
        public Builder hiddenLayers(int hiddenLayers) {
            this.hiddenLayers = hiddenLayers;
            return this;
        }

        /** Hidden activation [sigmoid]. */
        public Builder activation(Activation activation) {
            this.activation = Objects.requireNonNull(activation, "activation");
            return this;
        }

        /** Examples per minibatch [128]. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The split to draw minibatches from [train]. */
        public Builder split(Split split) {
            this.split = Objects.requireNonNull(split, "split");
            return this;
        }

        /** How initial parameters are drawn [normal, std 0.01]. */
        public Builder init(Init init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /** The dataset by name, {@code mnist} or {@code fashion-mnist} [mnist]. */
        public Builder dataset(String dataset) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
            return this;
        }

        /**
         * A data directory (see {@link Datasets}); null [default] for the default places, {@code
         * bundled} for the bundled subsets.
         */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * Uses this dataset instead of loading one by name (then {@link #dataset}, {@link #dataDir}
         * and {@link #split} only label the family).
         */
        public Builder data(Dataset data) {
            this.data = data;
            return this;
        }

        /**
         * Builds the family, loading the dataset if none was given.
         *
         * @throws IllegalArgumentException for an invalid setting (named with its value)
         * @throws java.io.UncheckedIOException if the data cannot be loaded
         */
        public MlpTaskFamily build() {
            if (hiddenUnits < 1) {
                throw new IllegalArgumentException(
                        "hidden units must be at least 1 but was " + hiddenUnits);
            }
            if (hiddenLayers < 0) {
                throw new IllegalArgumentException(
                        "hidden layers must be 0 or more but was " + hiddenLayers);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException(
                        "batch size must be at least 1 but was " + batchSize);
            }
            Dataset d = data != null ? data : Datasets.load(dataset, split, dataDir);
            Dataset used = d.headOrAll(examples);
            return new MlpTaskFamily(this, used, d.name().split("/")[0]);
        }
    }
}
