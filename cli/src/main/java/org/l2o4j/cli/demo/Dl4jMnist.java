package org.l2o4j.cli.demo;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.l2o4j.core.data.Dataset;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A core {@link Dataset} (MNIST pixels in [0, 1], integer labels) as DL4J arrays: features {@code
 * [rows, 784]} float32 and one-hot labels {@code [rows, 10]}, plus a seeded minibatch iterator over
 * a subset of the rows, so that two optimizers see exactly the same minibatches in the same order.
 */
public final class Dl4jMnist {
    private final String name;
    private final INDArray features;
    private final INDArray labels;
    private final int rows;
    private final int classes;

    private Dl4jMnist(String name, INDArray features, INDArray labels, int rows, int classes) {
        this.name = name;
        this.features = features;
        this.labels = labels;
        this.rows = rows;
        this.classes = classes;
    }

    /** Converts the dataset (all rows). */
    public static Dl4jMnist of(Dataset data) {
        Objects.requireNonNull(data, "data");
        int n = data.rows();
        int f = data.features();
        int c = data.classes();
        float[] x = new float[n * f];
        float[] y = new float[n * c];
        for (int r = 0; r < n; r++) {
            System.arraycopy(data.row(r), 0, x, r * f, f);
            y[r * c + data.label(r)] = 1f;
        }
        return new Dl4jMnist(
                data.name(),
                Nd4j.create(x, new long[] {n, f}, 'c').castTo(DataType.FLOAT),
                Nd4j.create(y, new long[] {n, c}, 'c').castTo(DataType.FLOAT),
                n,
                c);
    }

    public String name() {
        return name;
    }

    public int rows() {
        return rows;
    }

    public int features() {
        return (int) features.size(1);
    }

    public int classes() {
        return classes;
    }

    /** The rows {@code idx} as one DataSet (a copy). */
    public DataSet rows(int[] idx) {
        return new DataSet(features.getRows(idx), labels.getRows(idx));
    }

    /** All rows as one DataSet (views of the arrays). */
    public DataSet all() {
        return new DataSet(features, labels);
    }

    /**
     * Splits row indices {@code 0..rows-1} into a seeded random training part and a validation part
     * of {@code validationRows} rows.
     *
     * @return {@code {training, validation}}
     */
    public int[][] split(int validationRows, long seed) {
        if (validationRows < 1 || validationRows >= rows) {
            throw new IllegalArgumentException(
                    "validation rows must be in [1, "
                            + (rows - 1)
                            + "] for "
                            + name
                            + " with "
                            + rows
                            + " rows but was "
                            + validationRows);
        }
        int[] perm = permutation(rows, new SplittableRandom(seed));
        int[] valid = new int[validationRows];
        int[] train = new int[rows - validationRows];
        System.arraycopy(perm, 0, train, 0, train.length);
        System.arraycopy(perm, train.length, valid, 0, validationRows);
        java.util.Arrays.sort(train);
        java.util.Arrays.sort(valid);
        return new int[][] {train, valid};
    }

    /**
     * {@code numBatches} minibatches of {@code batchSize} rows drawn from {@code subset} without
     * replacement within each epoch, epochs reshuffled; the order depends only on {@code seed}.
     */
    public DataSetIterator minibatches(int[] subset, int batchSize, int numBatches, long seed) {
        return new SeededMinibatches(this, subset, batchSize, numBatches, seed);
    }

    static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The seeded minibatch stream of {@link #minibatches}. */
    private static final class SeededMinibatches implements DataSetIterator {
        private static final long serialVersionUID = 1L;
        private final transient Dl4jMnist data;
        private final int[] subset;
        private final int batchSize;
        private final int numBatches;
        private final long seed;
        private transient SplittableRandom rnd;
        private int[] epoch;
        private int pos;
        private int produced;
        private DataSetPreProcessor preProcessor;

        SeededMinibatches(Dl4jMnist data, int[] subset, int batchSize, int numBatches, long seed) {
            if (batchSize < 1 || batchSize > subset.length) {
                throw new IllegalArgumentException(
                        "batch size must be in [1, "
                                + subset.length
                                + "] (the rows available) but was "
                                + batchSize);
            }
            if (numBatches < 0) {
                throw new IllegalArgumentException(
                        "number of minibatches must be >= 0 but was " + numBatches);
            }
            this.data = data;
            this.subset = subset.clone();
            this.batchSize = batchSize;
            this.numBatches = numBatches;
            this.seed = seed;
            reset();
        }

        @Override
        public boolean hasNext() {
            return produced < numBatches;
        }

        @Override
        public DataSet next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException(
                        "all " + numBatches + " minibatches were produced; call reset()");
            }
            int[] idx = new int[batchSize];
            for (int i = 0; i < batchSize; i++) {
                if (pos == epoch.length) {
                    epoch = shuffled();
                    pos = 0;
                }
                idx[i] = epoch[pos++];
            }
            produced++;
            DataSet ds = data.rows(idx);
            if (preProcessor != null) {
                preProcessor.preProcess(ds);
            }
            return ds;
        }

        private int[] shuffled() {
            int[] p = permutation(subset.length, rnd);
            for (int i = 0; i < p.length; i++) {
                p[i] = subset[p[i]];
            }
            return p;
        }

        @Override
        public DataSet next(int num) {
            if (num != batchSize) {
                throw new UnsupportedOperationException(
                        "this iterator yields minibatches of " + batchSize + " rows, not " + num);
            }
            return next();
        }

        @Override
        public int inputColumns() {
            return data.features();
        }

        @Override
        public int totalOutcomes() {
            return data.classes();
        }

        @Override
        public boolean resetSupported() {
            return true;
        }

        @Override
        public boolean asyncSupported() {
            return false;
        }

        @Override
        public void reset() {
            rnd = new SplittableRandom(seed);
            epoch = shuffled();
            pos = 0;
            produced = 0;
        }

        @Override
        public int batch() {
            return batchSize;
        }

        @Override
        public void setPreProcessor(DataSetPreProcessor preProcessor) {
            this.preProcessor = preProcessor;
        }

        @Override
        public DataSetPreProcessor getPreProcessor() {
            return preProcessor;
        }

        @Override
        public List<String> getLabels() {
            return null;
        }
    }
}
