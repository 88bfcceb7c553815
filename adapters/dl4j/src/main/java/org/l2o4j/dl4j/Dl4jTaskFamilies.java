package org.l2o4j.dl4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;
import org.l2o4j.core.task.TaskFamilies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Makes a saved DL4J model usable as a meta-training task family by name, for {@code bin/l2o
 * meta-train --task dl4j-model[model=my-net.zip;dataset=mnist]}: {@link #register()} adds family
 * {@value #NAME} to {@link TaskFamilies}. The command line must call it once (it is not in the
 * core, which has no DL4J dependency).
 *
 * <p>Options: {@code model} (required: a {@code ModelSerializer} zip or a configuration JSON file;
 * only its configuration is used, tasks initialize their own parameters per seed), {@code dataset}
 * mnist|fashion-mnist [mnist], {@code split} train|test [train], {@code batch} [128], {@code
 * batches} (minibatches kept in memory) [50], {@code data-dir} (as for {@code mnist-mlp}). The
 * model must take the 784 flat pixels (a CNN configured with {@code InputType.convolutionalFlat(28,
 * 28, 1)} does) and have 10 softmax outputs.
 */
public final class Dl4jTaskFamilies {
    /** The family's name on the command line. */
    public static final String NAME = "dl4j-model";

    /** Option: the model zip or configuration JSON. */
    public static final String MODEL = "model";

    /** Option: minibatches read into memory. */
    public static final String BATCHES = "batches";

    private Dl4jTaskFamilies() {}

    /** Registers {@value #NAME} with {@link TaskFamilies} (idempotent). */
    public static void register() {
        TaskFamilies.register(
                NAME,
                Set.of(
                        MODEL,
                        TaskFamilies.DATASET,
                        TaskFamilies.SPLIT,
                        TaskFamilies.BATCH,
                        BATCHES,
                        TaskFamilies.DATA_DIR),
                "a saved DL4J model (zip or configuration JSON) on MNIST/Fashion-MNIST; options"
                        + " model (required), dataset [mnist], split [train], batch [128], batches"
                        + " [50], data-dir",
                Dl4jTaskFamilies::create);
    }

    private static Dl4jTaskFamily create(Map<String, String> o) {
        String model = o.get(MODEL);
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException(
                    "task family " + NAME + " needs option model=<DL4J model zip or JSON file>");
        }
        String dataset = o.getOrDefault(TaskFamilies.DATASET, Datasets.MNIST);
        Split split = Split.parse(o.getOrDefault(TaskFamilies.SPLIT, "train"));
        int batch = positive(o, TaskFamilies.BATCH, 128);
        int batches = positive(o, BATCHES, 50);
        String dir = o.get(TaskFamilies.DATA_DIR);
        Dataset data =
                Datasets.load(dataset, split, dir == null || dir.isBlank() ? null : Path.of(dir));
        List<DataSet> list = batches(data, batch, 0, batches);
        String name = NAME + "(" + Path.of(model).getFileName() + "," + data.name() + ")";
        ListDataSetIterator<DataSet> it = new ListDataSetIterator<>(list, 1);
        String json = readConfiguration(Path.of(model));
        if (json.contains("\"vertices\"")) {
            return Dl4jTaskFamily.of(
                    name, ComputationGraphConfiguration.fromJson(json), it, batches);
        }
        return Dl4jTaskFamily.of(name, MultiLayerConfiguration.fromJson(json), it, batches);
    }

    private static int positive(Map<String, String> o, String key, int def) {
        String v = o.get(key);
        if (v == null) {
            return def;
        }
        try {
            int i = Integer.parseInt(v.trim());
            if (i >= 1) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(
                "option " + key + " of " + NAME + " must be an integer >= 1 but was '" + v + "'");
    }

    /** The configuration JSON of a ModelSerializer zip ({@code configuration.json}) or a file. */
    static String readConfiguration(Path model) {
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("DL4J model file " + model + " does not exist");
        }
        try {
            if (model.toString().endsWith(".json")) {
                return Files.readString(model, StandardCharsets.UTF_8);
            }
            try (ZipFile zip = new ZipFile(model.toFile())) {
                ZipEntry e = zip.getEntry("configuration.json");
                if (e == null) {
                    throw new IllegalArgumentException(
                            "DL4J model zip "
                                    + model
                                    + " has no configuration.json: was it written by"
                                    + " ModelSerializer.writeModel?");
                }
                try (InputStream in = zip.getInputStream(e)) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read DL4J model " + model, e);
        }
    }

    /**
     * {@code count} one-hot labelled minibatches of {@code size} consecutive rows, starting at
     * minibatch {@code first} (rows wrap around).
     */
    public static List<DataSet> batches(Dataset d, int size, int first, int count) {
        List<DataSet> out = new ArrayList<>(count);
        for (int b = first; b < first + count; b++) {
            float[] x = new float[size * d.features()];
            INDArray y = Nd4j.zeros(DataType.FLOAT, size, d.classes());
            for (int i = 0; i < size; i++) {
                int row = (int) (((long) b * size + i) % d.rows());
                System.arraycopy(d.row(row), 0, x, i * d.features(), d.features());
                y.putScalar(i, d.label(row), 1f);
            }
            out.add(new DataSet(Nd4j.create(x, new long[] {size, d.features()}, 'c'), y));
        }
        return out;
    }
}
