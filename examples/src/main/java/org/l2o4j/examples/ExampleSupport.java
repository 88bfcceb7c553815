package org.l2o4j.examples;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;
import org.l2o4j.core.meta.MetaTrainingListener;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the examples share: {@code --name value} arguments and the bundled MNIST subset (module
 * l2o4j-core, no download) as DL4J and DJL datasets.
 */
public final class ExampleSupport {
    private ExampleSupport() {}

    /** The value after {@code --name}, or {@code def}. */
    public static String arg(String[] args, String name, String def) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + name)) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                return args[i + 1];
            }
        }
        return def;
    }

    public static int intArg(String[] args, String name, int def) {
        String v = arg(args, name, null);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects an integer but got " + v);
        }
    }

    public static double doubleArg(String[] args, String name, double def) {
        String v = arg(args, name, null);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a number but got " + v);
        }
    }

    /** A path argument, or null. */
    public static Path pathArg(String[] args, String name) {
        String v = arg(args, name, null);
        return v == null ? null : Path.of(v);
    }

    /** Prints a fine-tuning run's validation line to stderr (both fine-tuning examples). */
    public static void printValidation(MetaTrainingListener.ValidationResult v) {
        System.err.printf(
                Locale.ROOT,
                "meta-iteration %d: validation final loss %.4f%s%n",
                v.iteration(),
                v.finalLoss(),
                v.best() ? " (best)" : "");
    }

    /** Whether the default pretrained optimizer ships in this build. */
    public static boolean pretrainedAvailable() {
        return PretrainedOptimizers.ids().contains(PretrainedOptimizers.DEFAULT_ID);
    }

    /** The first {@code maxRows} rows of MNIST's {@code split} (all if {@code maxRows <= 0}). */
    public static Dataset mnist(Split split, int maxRows) {
        Dataset d = Datasets.mnist(split);
        if (maxRows <= 0 || maxRows >= d.rows()) {
            return d;
        }
        int f = d.features();
        float[] x = new float[maxRows * f];
        int[] y = new int[maxRows];
        for (int r = 0; r < maxRows; r++) {
            System.arraycopy(d.row(r), 0, x, r * f, f);
            y[r] = d.label(r);
        }
        return new Dataset(d.name(), d.source(), f, d.classes(), x, y);
    }

    /** All rows as one DL4J DataSet: features {@code [rows, 784]}, one-hot labels. */
    public static DataSet dl4j(Dataset d) {
        int n = d.rows();
        int f = d.features();
        float[] x = new float[n * f];
        float[] y = new float[n * d.classes()];
        for (int r = 0; r < n; r++) {
            System.arraycopy(d.row(r), 0, x, r * f, f);
            y[r * d.classes() + d.label(r)] = 1f;
        }
        return new DataSet(
                Nd4j.create(x, new long[] {n, f}, 'c'),
                Nd4j.create(y, new long[] {n, d.classes()}, 'c'));
    }

    /** Minibatches of {@code batch} rows in a seeded random order (the same after reset). */
    public static DataSetIterator dl4jIterator(Dataset d, int batch, long seed) {
        List<DataSet> rows = new ArrayList<>(dl4j(d).asList());
        Collections.shuffle(rows, new Random(seed));
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i + batch <= rows.size(); i += batch) {
            batches.add(DataSet.merge(rows.subList(i, i + batch)));
        }
        return new ListDataSetIterator<>(batches, 1);
    }

    /**
     * A DJL dataset of the rows in a seeded random order, read in minibatches of {@code batch}
     * (sequentially, so runs are repeatable); labels are class indices, as {@code
     * Loss.softmaxCrossEntropyLoss()} expects.
     */
    public static ArrayDataset djl(NDManager manager, Dataset d, int batch, long seed) {
        int n = d.rows();
        int f = d.features();
        List<Integer> order = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            order.add(r);
        }
        Collections.shuffle(order, new Random(seed));
        float[] x = new float[n * f];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int r = order.get(i);
            System.arraycopy(d.row(r), 0, x, i * f, f);
            y[i] = d.label(r);
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(n, f)))
                .optLabels(manager.create(y, new Shape(n)))
                .setSampling(batch, false, true)
                .build();
    }
}
