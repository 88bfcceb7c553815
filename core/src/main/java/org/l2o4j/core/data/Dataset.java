package org.l2o4j.core.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable labelled dataset held in memory: {@link #rows()} examples of {@link #features()}
 * float features each (pixels scaled to [0, 1]) and an integer label in {@code [0, classes)}.
 *
 * <p>The arrays are never exposed for writing, so one instance can be shared by any number of tasks
 * and threads.
 */
public final class Dataset {

    /** A short name, e.g. {@code mnist/train}. */
    private final String name;

    /** Where the data were read from (a path or a classpath resource), for reports. */
    private final String source;

    private final int rows;
    private final int features;
    private final int classes;

    /** Row-major features, {@code rows * features}. */
    private final float[] x;

    private final int[] labels;

    /**
     * Creates a dataset; the arrays are copied.
     *
     * @param x row-major features, length {@code rows * features}
     * @param labels labels in {@code [0, classes)}, length {@code rows}
     * @throws IllegalArgumentException if a length or a label is inconsistent
     */
    public Dataset(String name, String source, int features, int classes, float[] x, int[] labels) {
        this(name, source, features, classes, x.clone(), labels.clone(), true);
    }

    private Dataset(
            String name,
            String source,
            int features,
            int classes,
            float[] x,
            int[] labels,
            boolean validate) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        if (features <= 0 || classes <= 0) {
            throw new IllegalArgumentException(
                    "features and classes must be positive but were "
                            + features
                            + " and "
                            + classes);
        }
        if ((long) labels.length * features != x.length) {
            throw new IllegalArgumentException(
                    name
                            + ": "
                            + labels.length
                            + " labels x "
                            + features
                            + " features needs "
                            + (long) labels.length * features
                            + " values but found "
                            + x.length);
        }
        if (validate) {
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= classes) {
                    throw new IllegalArgumentException(
                            name
                                    + ": label "
                                    + labels[i]
                                    + " of row "
                                    + i
                                    + " is outside [0, "
                                    + classes
                                    + ")");
                }
            }
        }
        this.rows = labels.length;
        this.features = features;
        this.classes = classes;
        this.x = x;
        this.labels = labels;
    }

    /** Wraps arrays the caller hands over (no copy); labels are still checked. */
    static Dataset wrap(
            String name, String source, int features, int classes, float[] x, int[] labels) {
        return new Dataset(name, source, features, classes, x, labels, true);
    }

    /**
     * {@link #head(int) head(n)}, or this whole dataset for {@code n == 0}: what a task's {@code
     * examples} option means (0, its default, for all).
     *
     * @throws IllegalArgumentException if {@code n} is negative or more than {@link #rows()}
     */
    public Dataset headOrAll(int n) {
        if (n < 0) {
            throw new IllegalArgumentException(
                    "expected 0 (all) or a number of examples in [1, "
                            + rows
                            + "] (the examples of "
                            + name
                            + ") but was "
                            + n);
        }
        return n == 0 ? this : head(n);
    }

    /**
     * The first {@code n} examples, for tasks that train on a fixed subset of a split (e.g. a
     * validation split as large as the test split); this dataset itself when {@code n} is {@link
     * #rows()}. The name stays; the source records the cut.
     *
     * @throws IllegalArgumentException if {@code n} is outside {@code [1, rows()]}, naming both
     */
    public Dataset head(int n) {
        if (n < 1 || n > rows) {
            throw new IllegalArgumentException(
                    "expected a number of examples in [1, "
                            + rows
                            + "] (the examples of "
                            + name
                            + ") but was "
                            + n);
        }
        if (n == rows) {
            return this;
        }
        return new Dataset(
                name,
                source + " (first " + n + " of " + rows + " examples)",
                features,
                classes,
                Arrays.copyOf(x, n * features),
                Arrays.copyOf(labels, n),
                false);
    }

    /** A short name, e.g. {@code mnist/train}. */
    public String name() {
        return name;
    }

    /** Where the data came from: a file path or {@code classpath:...}. */
    public String source() {
        return source;
    }

    /** Number of examples. */
    public int rows() {
        return rows;
    }

    /** Features per example (784 for 28x28 images). */
    public int features() {
        return features;
    }

    /** Number of classes; labels are in {@code [0, classes)}. */
    public int classes() {
        return classes;
    }

    /** Label of {@code row}. */
    public int label(int row) {
        return labels[row];
    }

    /** Feature {@code j} of {@code row}. */
    public float feature(int row, int j) {
        return x[row * features + j];
    }

    /** Copies the features of {@code row} into {@code dest[off .. off + features)} as doubles. */
    public void copyRow(int row, double[] dest, int off) {
        int base = row * features;
        for (int j = 0; j < features; j++) {
            dest[off + j] = x[base + j];
        }
    }

    /**
     * Copies the non-zero features of {@code row}: their indices into {@code index[off ..]} and
     * their values into {@code value[off ..]} (a sparse row; images are mostly zeros).
     *
     * @return the number of non-zero features written
     */
    public int copyNonZeros(int row, int[] index, double[] value, int off) {
        int base = row * features;
        int n = off;
        for (int j = 0; j < features; j++) {
            float v = x[base + j];
            if (v != 0f) {
                index[n] = j;
                value[n] = v;
                n++;
            }
        }
        return n - off;
    }

    /** A copy of the features of {@code row}. */
    public float[] row(int row) {
        return Arrays.copyOfRange(x, row * features, (row + 1) * features);
    }

    /** A copy of all labels. */
    public int[] labels() {
        return labels.clone();
    }

    /** Number of examples of each class. */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    @Override
    public String toString() {
        return name
                + "["
                + rows
                + " x "
                + features
                + ", "
                + classes
                + " classes, from "
                + source
                + "]";
    }
}
