package org.l2o4j.core.task;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;

/**
 * Small convolutional classifiers on 28x28 MNIST or Fashion-MNIST: the CNN counterpart of {@link
 * MlpTaskFamily} (the paper trained optimizers on CIFAR-10 CNNs; CIFAR-10 cannot be fetched here,
 * docs/design.md section 3).
 *
 * <p>Model: {@code blocks} blocks of [3x3 convolution with 'same' zero padding to {@code channels}
 * channels, ReLU, 2x2 max-pooling with stride 2], then a dense softmax layer over the 10 classes,
 * loss the mean softmax cross-entropy over the minibatch. Every block has {@code channels} output
 * channels. With the defaults (8 channels, 2 blocks): 28x28x1 -> 14x14x8 -> 7x7x8 -> 10, 8,346
 * parameters. See {@link ConvTask} for the flat parameter layout, initialization, minibatches and
 * parameter groups.
 *
 * <p>Spec (see {@link TaskFamilies}): {@code conv[dataset=fashion-mnist,channels=16,blocks=2,
 * batch=128,split=train,data-dir=bundled]}; options {@code dataset} mnist|fashion-mnist [mnist],
 * {@code channels} 1..256 [8], {@code blocks} 1|2 [2], {@code batch} [128], {@code split}
 * train|test [train], {@code examples} (only the split's first N) [all], {@code data-dir} [default
 * places; {@code bundled} for the bundled subsets].
 */
public final class ConvTaskFamily implements TaskFamily {

    /** The family name used by {@link TaskFamilies}. */
    public static final String NAME = "conv";

    /** Option: channels of every convolution. */
    public static final String CHANNELS = "channels";

    /** Option: number of conv + ReLU + max-pool blocks. */
    public static final String BLOCKS = "blocks";

    /** The options {@link #fromOptions} accepts. */
    public static final Set<String> OPTIONS =
            Set.of(
                    TaskFamilies.DATASET,
                    CHANNELS,
                    BLOCKS,
                    TaskFamilies.BATCH,
                    TaskFamilies.SPLIT,
                    TaskFamilies.EXAMPLES,
                    TaskFamilies.DATA_DIR);

    /** Default channels per convolution. */
    public static final int DEFAULT_CHANNELS = 8;

    /** Default number of blocks. */
    public static final int DEFAULT_BLOCKS = 2;

    /** Default minibatch size (mnist-mlp's). */
    public static final int DEFAULT_BATCH = 128;

    private final int channels;
    private final int blocks;
    private final int batchSize;
    private final Split split;

    /** The number of the split's first examples trained on, 0 for all. */
    private final int examples;

    private final Dataset data;
    private final String datasetName;
    private final int side;
    private final int dimension;

    private ConvTaskFamily(Builder b, Dataset data, String datasetName) {
        this.channels = b.channels;
        this.blocks = b.blocks;
        this.batchSize = b.batchSize;
        this.split = b.split;
        this.examples = b.examples;
        this.data = data;
        this.datasetName = datasetName;
        int s = (int) Math.round(Math.sqrt(data.features()));
        if (s * s != data.features()) {
            throw new IllegalArgumentException(
                    "conv needs square images but "
                            + data.name()
                            + " has "
                            + data.features()
                            + " features");
        }
        if (s % (1 << blocks) != 0) {
            throw new IllegalArgumentException(
                    "conv with "
                            + blocks
                            + " blocks needs an image side divisible by "
                            + (1 << blocks)
                            + " but "
                            + data.name()
                            + " has side "
                            + s);
        }
        this.side = s;
        if (batchSize > data.rows()) {
            throw new IllegalArgumentException(
                    "option batch must be at most the "
                            + data.rows()
                            + " examples of "
                            + data.name()
                            + " but was "
                            + batchSize);
        }
        long dim = 0;
        int in = 1;
        for (int k = 0; k < blocks; k++) {
            dim += (long) channels * in * 9 + channels;
            in = channels;
        }
        int out = side >> blocks;
        dim += (long) data.classes() * channels * out * out + data.classes();
        this.dimension = Math.toIntExact(dim);
    }

    /** A builder with the defaults (MNIST, 8 channels, 2 blocks, batch 128, train split). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the family from spec options (the keys of {@link #OPTIONS}).
     *
     * @throws IllegalArgumentException naming the option, what it accepts and the value found
     */
    public static ConvTaskFamily fromOptions(Map<String, String> o) {
        Builder b = builder();
        b.dataset(TaskOptions.choice(o, TaskFamilies.DATASET, Datasets.MNIST, Datasets.names()));
        b.channels(TaskOptions.integer(o, CHANNELS, DEFAULT_CHANNELS, 1, 256));
        b.blocks(TaskOptions.integer(o, BLOCKS, DEFAULT_BLOCKS, 1, 2));
        b.batchSize(
                TaskOptions.integer(o, TaskFamilies.BATCH, DEFAULT_BATCH, 1, Integer.MAX_VALUE));
        b.split(
                Split.parse(
                        TaskOptions.choice(
                                o, TaskFamilies.SPLIT, "train", List.of("train", "test"))));
        b.examples(TaskOptions.integer(o, TaskFamilies.EXAMPLES, 0, 1, Integer.MAX_VALUE));
        String dir = o.get(TaskFamilies.DATA_DIR);
        if (dir != null && !dir.isBlank()) {
            b.dataDir(Path.of(dir));
        }
        return b.build();
    }

    /**
     * {@inheritDoc}
     *
     * <p>E.g. {@code conv(dataset=mnist,split=train,channels=8,blocks=2,batch=128)}.
     */
    @Override
    public String name() {
        return NAME
                + "(dataset="
                + datasetName
                + ",split="
                + split.name().toLowerCase(Locale.ROOT)
                + ",channels="
                + channels
                + ",blocks="
                + blocks
                + ",batch="
                + batchSize
                + (examples == 0 ? "" : ",examples=" + examples)
                + ")";
    }

    /** {@inheritDoc} */
    @Override
    public ConvTask sample(long seed) {
        return new ConvTask(this, seed);
    }

    /** Number of parameters of every task of this family. */
    public int dimension() {
        return dimension;
    }

    /** Output channels of every convolution. */
    public int channels() {
        return channels;
    }

    /** Number of conv + ReLU + max-pool blocks. */
    public int blocks() {
        return blocks;
    }

    /** Examples per minibatch. */
    public int batchSize() {
        return batchSize;
    }

    /** The split minibatches are drawn from. */
    public Split split() {
        return split;
    }

    /** The shared dataset. */
    public Dataset data() {
        return data;
    }

    /** The side of the (square) input images, 28 for MNIST. */
    public int side() {
        return side;
    }

    /** Builder for {@link ConvTaskFamily}. */
    public static final class Builder {
        private int channels = DEFAULT_CHANNELS;
        private int blocks = DEFAULT_BLOCKS;
        private int batchSize = DEFAULT_BATCH;
        private Split split = Split.TRAIN;
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

        /** Output channels of every convolution [8]. */
        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Number of conv + ReLU + max-pool blocks, 1 or 2 [2]. */
        public Builder blocks(int blocks) {
            this.blocks = blocks;
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

        /** The dataset by name, {@code mnist} or {@code fashion-mnist} [mnist]. */
        public Builder dataset(String dataset) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
            return this;
        }

        /** A data directory (see {@link Datasets}); null for the default places. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Uses this dataset (square images) instead of loading one by name. */
        public Builder data(Dataset data) {
            this.data = data;
            return this;
        }

        /**
         * Builds the family, loading the dataset if none was given.
         *
         * @throws IllegalArgumentException for an invalid setting, naming the option and value
         */
        public ConvTaskFamily build() {
            TaskOptions.checkRange(CHANNELS, channels, 1, 256);
            TaskOptions.checkRange(BLOCKS, blocks, 1, 2);
            TaskOptions.checkRange(TaskFamilies.BATCH, batchSize, 1, Integer.MAX_VALUE);
            Dataset d = data != null ? data : Datasets.load(dataset, split, dataDir);
            Dataset used = d.headOrAll(examples);
            return new ConvTaskFamily(this, used, d.name().split("/")[0]);
        }
    }
}
