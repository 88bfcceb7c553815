package org.l2o4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.l2o4j.cli.demo.MnistDemo;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.dl4j.LearnedUpdater;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.l2o4j.pretrained.PretrainedRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code l2o demo}: the paper's MNIST MLP trained in DL4J with tuned Adam and with a learned
 * optimizer ({@code LearnedUpdater}) side by side; prints a table and writes a PNG of both curves.
 * See {@link MnistDemo} for what exactly is measured.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Trains the paper's MNIST MLP (784-20-10 sigmoid, cross-entropy, batch 128) in DL4J with"
                    + " tuned Adam and with a learned optimizer, from the same initial weights on"
                    + " the same minibatches; prints a table and writes a PNG of the loss curves.",
        })
public final class DemoCommand implements Callable<Integer> {
    @Spec private CommandSpec spec;

    @Option(
            names = "--steps",
            defaultValue = "200",
            description = "Optimizer steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--optimizer",
            paramLabel = "ID|FILE",
            description =
                    "The learned optimizer: a pretrained id or a weight file written by `l2o"
                            + " meta-train` (default: the pretrained default, "
                            + PretrainedOptimizers.DEFAULT_ID
                            + ").")
    String optimizer;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "l2o-demo",
            description = "Directory for the PNG and CSV (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description =
                    "Seed of the initial weights, validation split and minibatch order (default:"
                            + " ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--adam-lr",
            description =
                    "Use this Adam learning rate instead of tuning it on the validation split.")
    Double adamLr;

    @Option(
            names = "--adam-grid",
            split = ",",
            defaultValue = "0.001,0.003,0.01,0.03,0.1",
            description =
                    "Adam learning rates tried on the validation split (default:"
                            + " ${DEFAULT-VALUE}).")
    double[] adamGrid;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description =
                    "Directory with the MNIST IDX files, or 'bundled' (default: $L2O_DATA_DIR, else"
                            + " the bundled subset).")
    Path dataDir;

    @Option(
            names = "--warmup",
            defaultValue = "10",
            description =
                    "Untimed warm-up steps of each optimizer before the timed runs (default:"
                            + " ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--nd4j-threads",
            defaultValue = "1",
            description =
                    "ND4J/BLAS threads for the network (0: ND4J's default; default:"
                            + " ${DEFAULT-VALUE}, fastest for this tiny MLP).")
    int nd4jThreads;

    @Option(
            names = "--state-type",
            paramLabel = "float32|bfloat16|float16",
            defaultValue = "float32",
            description =
                    "How the learned updater stores its LSTM state: float32, or bfloat16 / float16"
                            + " (half the memory; computes in float32) (default: ${DEFAULT-VALUE}).")
    String stateType;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        StateType type;
        try {
            type = StateType.parse(stateType);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--state-type: " + e.getMessage());
        }
        if (steps < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--steps must be >= 1 but was " + steps);
        }
        String spec0 = optimizer == null ? PretrainedOptimizers.DEFAULT_ID : optimizer;
        LearnedUpdater learned;
        String label;
        String source;
        Path file = Path.of(spec0);
        if (Files.isRegularFile(file)) {
            learned = LearnedUpdater.fromFile(file);
            label = "learned (" + file.getFileName() + ")";
            source = "weight file " + learned.weightsPath();
        } else if (PretrainedRegistry.looksLikePath(spec0)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--optimizer: " + file + ": no such file");
        } else {
            try {
                learned = LearnedUpdater.pretrained(spec0);
            } catch (IllegalArgumentException | IllegalStateException e) {
                // the registry's one message for an unknown id (it lists the shipped ids)
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--optimizer: " + e.getMessage());
            }
            label = "learned (" + spec0 + ")";
            source = "pretrained " + spec0;
        }
        learned = learned.withStateType(type);
        w.printf(
                Locale.ROOT,
                "l2o demo: MNIST MLP 784-%d-10 sigmoid, softmax cross-entropy, batch %d, %d steps,"
                        + " seed %d%n",
                MnistDemo.HIDDEN,
                MnistDemo.BATCH_SIZE,
                steps,
                seed);
        w.printf(
                Locale.ROOT,
                "learned optimizer: %s (sha256 %s), %s, %s state; kernel threads %d; ND4J threads"
                        + " %s%n",
                source,
                learned.weightsSha256().substring(0, 12),
                learned.weights().config(),
                type.id(),
                learned.optimizer().threads(),
                nd4jThreads > 0 ? Integer.toString(nd4jThreads) : "ND4J default");
        w.flush();
        double fixed = adamLr == null ? Double.NaN : adamLr;
        MnistDemo.Result r =
                MnistDemo.run(
                        new MnistDemo.Options(
                                steps,
                                seed,
                                learned,
                                label,
                                fixed,
                                adamGrid == null ? new double[0] : adamGrid,
                                out,
                                dataDir,
                                warmup,
                                nd4jThreads),
                        w);
        print(w, r);
        return 0;
    }

    /** Prints the result table. */
    static void print(PrintWriter w, MnistDemo.Result r) {
        if (r.adamTuned()) {
            StringBuilder g = new StringBuilder();
            for (double lr : r.grid()) {
                g.append(g.length() == 0 ? "" : ", ").append(MnistDemo.fmtLr(lr));
            }
            w.printf(
                    Locale.ROOT,
                    "Adam learning rate: %s, the best of {%s} by validation loss after %d steps"
                            + " (tuned in this run)%n",
                    MnistDemo.fmtLr(r.adamLearningRate()),
                    g,
                    r.steps());
        } else {
            w.printf(
                    Locale.ROOT,
                    "Adam learning rate: %s, fixed by --adam-lr (not tuned in this run)%n",
                    MnistDemo.fmtLr(r.adamLearningRate()));
        }
        w.println();
        int[] cps = r.adam().checkpoints();
        int labelWidth = Math.max(r.adam().label().length(), r.learned().label().length()) + 2;
        StringBuilder h =
                new StringBuilder(String.format(Locale.ROOT, "%-" + labelWidth + "s", ""));
        for (int c : cps) {
            h.append(String.format(Locale.ROOT, "%10s", "loss@" + c));
        }
        h.append(
                String.format(
                        Locale.ROOT,
                        "%11s%10s%12s%10s",
                        "test loss",
                        "test acc",
                        "time (s)",
                        "ms/step"));
        w.println(h);
        for (MnistDemo.Run run : new MnistDemo.Run[] {r.adam(), r.learned()}) {
            StringBuilder line =
                    new StringBuilder(
                            String.format(Locale.ROOT, "%-" + labelWidth + "s", run.label()));
            for (double v : run.trainLoss()) {
                line.append(String.format(Locale.ROOT, "%10.4f", v));
            }
            line.append(
                    String.format(
                            Locale.ROOT,
                            "%11.4f%9.2f%%%12.2f%10.2f",
                            run.testLoss(),
                            100 * run.testAccuracy(),
                            run.trainSeconds(),
                            1e3 * run.trainSeconds() / r.steps()));
            w.println(line);
        }
        w.println();
        w.printf(
                Locale.ROOT,
                "loss@t: mean cross-entropy (nats) over the %d training rows after t steps;"
                        + " test: the %d rows of %s at the end;%n"
                        + "time: wall time of the %d DL4J fit() calls (forward, backward, update)"
                        + " after an untimed warm-up; same initial weights and minibatches for"
                        + " both.%n",
                r.trainRows(),
                r.testRows(),
                r.testData(),
                r.steps());
        w.printf(Locale.ROOT, "plot: %s%n", r.plot());
        w.printf(Locale.ROOT, "curves (CSV): %s%n", r.csv());
        w.printf(Locale.ROOT, "total wall time of the demo: %.1f s%n", r.totalSeconds());
        w.flush();
    }
}
