package org.l2o4j.cli.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The demo behind {@code l2o demo}: the paper's MNIST MLP (784 -> 20 sigmoid -> 10 softmax,
 * cross-entropy, minibatch 128) trained in DL4J with tuned Adam and with a learned optimizer side
 * by side: same initial weights, same minibatches in the same order.
 *
 * <p>Adam's learning rate is either chosen by a grid search on a validation split (a seeded tenth
 * of the training rows, never trained on): for each grid value, a run of the same length from the
 * same initial weights, scored by the loss on the validation rows at its end; or fixed by the
 * caller. The losses reported at the checkpoints are the mean cross-entropy over all training rows
 * (without the validation rows); the curves are the per-step minibatch losses (DL4J's score of the
 * minibatch just fitted, before its update). Training time is the wall time of the {@code fit}
 * calls (forward, backward, update), measured after a short untimed warm-up of each optimizer.
 */
public final class MnistDemo {
    /** The paper's MLP and minibatch. */
    public static final int HIDDEN = 20;

    public static final int BATCH_SIZE = 128;

    /** Checkpoints of the table (those up to the number of steps, plus the last step). */
    public static final int[] CHECKPOINTS = {25, 50, 100, 200};

    /** Default Adam grid. */
    public static final double[] DEFAULT_ADAM_GRID = {1e-3, 3e-3, 1e-2, 3e-2, 1e-1};

    private MnistDemo() {}

    /**
     * What to run.
     *
     * @param steps optimizer steps per run
     * @param seed initial weights, validation split and minibatch order
     * @param learned the learned optimizer (a {@code LearnedUpdater})
     * @param learnedLabel its name in the table and the plot
     * @param adamLearningRate a fixed Adam learning rate, or NaN to tune it on {@code adamGrid}
     * @param adamGrid the learning rates tried when tuning
     * @param outDir where the PNG and CSV go
     * @param dataDir MNIST IDX directory, or null for the default places (bundled subset)
     * @param warmupSteps untimed steps of each optimizer before the timed runs
     * @param nd4jThreads ND4J/BLAS threads to set (process-wide), or 0 to leave them as they are
     */
    public record Options(
            int steps,
            long seed,
            IUpdater learned,
            String learnedLabel,
            double adamLearningRate,
            double[] adamGrid,
            Path outDir,
            Path dataDir,
            int warmupSteps,
            int nd4jThreads) {
        public Options {
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1 but was " + steps);
            }
            Objects.requireNonNull(learned, "learned");
            Objects.requireNonNull(learnedLabel, "learnedLabel");
            Objects.requireNonNull(outDir, "outDir");
            adamGrid = adamGrid.clone();
            if (Double.isNaN(adamLearningRate) && adamGrid.length == 0) {
                throw new IllegalArgumentException(
                        "Give a fixed Adam learning rate or a non-empty grid to tune it on");
            }
            if (!Double.isNaN(adamLearningRate) && !(adamLearningRate > 0)) {
                throw new IllegalArgumentException(
                        "Adam learning rate must be > 0 but was " + adamLearningRate);
            }
            for (double lr : adamGrid) {
                if (!(lr > 0) || Double.isInfinite(lr)) {
                    throw new IllegalArgumentException(
                            "Adam grid values must be finite and > 0 but found " + lr);
                }
            }
            if (nd4jThreads < 0) {
                throw new IllegalArgumentException(
                        "ND4J threads must be >= 0 but was " + nd4jThreads);
            }
            if (warmupSteps < 0) {
                throw new IllegalArgumentException(
                        "warm-up steps must be >= 0 but was " + warmupSteps);
            }
        }
    }

    /**
     * One optimizer's run.
     *
     * @param label name in the table
     * @param minibatchLoss loss of the minibatch of step t (t = 1..steps at index t-1), before its
     *     update
     * @param checkpoints steps at which {@code trainLoss} was measured
     * @param trainLoss mean loss over the training rows after {@code checkpoints[i]} steps
     * @param testLoss mean loss over the test split at the end
     * @param testAccuracy accuracy on the test split at the end
     * @param trainSeconds wall time of the {@code steps} fit calls
     */
    public record Run(
            String label,
            double[] minibatchLoss,
            int[] checkpoints,
            double[] trainLoss,
            double testLoss,
            double testAccuracy,
            double trainSeconds) {
        /** The training loss after the last step. */
        public double finalTrainLoss() {
            return trainLoss[trainLoss.length - 1];
        }
    }

    /**
     * The demo's outcome.
     *
     * @param adam the Adam run at {@code adamLearningRate}
     * @param learned the learned optimizer's run
     * @param adamLearningRate the rate used
     * @param adamTuned whether it came from the grid search (else it was fixed by the caller)
     * @param grid the grid searched (empty if not tuned)
     * @param gridValidationLoss validation loss after {@code steps} steps per grid value
     */
    public record Result(
            Run adam,
            Run learned,
            double adamLearningRate,
            boolean adamTuned,
            double[] grid,
            double[] gridValidationLoss,
            int steps,
            long seed,
            String trainData,
            int trainRows,
            int validationRows,
            String testData,
            int testRows,
            Path plot,
            Path csv,
            double totalSeconds) {}

    /** Runs the demo, printing progress to {@code log}. */
    public static Result run(Options o, PrintWriter log) throws IOException {
        long start = System.nanoTime();
        if (o.nd4jThreads() > 0) {
            // The MLP's matrices are tiny: extra BLAS/OpenMP threads only spin (measured here:
            // 5-20x slower steps with 2 threads on a loaded 2-core machine).
            Nd4j.getEnvironment().setMaxThreads(o.nd4jThreads());
            Nd4j.getEnvironment().setMaxMasterThreads(o.nd4jThreads());
            Nd4j.factory().blas().setMaxThreads(o.nd4jThreads());
        }
        Dataset trainData = Datasets.mnist(Split.TRAIN, o.dataDir());
        Dataset testData = Datasets.mnist(Split.TEST, o.dataDir());
        Dl4jMnist train = Dl4jMnist.of(trainData);
        Dl4jMnist test = Dl4jMnist.of(testData);
        int validRows = Math.max(1, train.rows() / 10);
        int[][] split = train.split(validRows, o.seed());
        int[] trainIdx = split[0];
        DataSet trainAll = train.rows(trainIdx);
        DataSet validAll = train.rows(split[1]);
        DataSet testAll = test.all();
        log.printf(
                Locale.ROOT,
                "data: %s (%s): %d rows for training, %d for validation; %s: %d rows%n",
                trainData.name(),
                trainData.source(),
                trainIdx.length,
                validRows,
                testData.name(),
                test.rows());
        log.flush();

        INDArray init = network(new Adam(1e-3), train, o.seed()).params().dup();
        long batchSeed = o.seed() * 0x9E3779B97F4A7C15L + 1;

        double lr = o.adamLearningRate();
        boolean tuned = Double.isNaN(lr);
        double[] grid = tuned ? o.adamGrid() : new double[0];
        double[] gridLoss = new double[grid.length];
        if (tuned) {
            int best = -1;
            for (int i = 0; i < grid.length; i++) {
                MultiLayerNetwork net = network(new Adam(grid[i]), train, o.seed(), init);
                DataSetIterator it = train.minibatches(trainIdx, BATCH_SIZE, o.steps(), batchSeed);
                while (it.hasNext()) {
                    net.fit(it.next());
                }
                gridLoss[i] = net.score(validAll, false);
                if (Double.isFinite(gridLoss[i]) && (best < 0 || gridLoss[i] < gridLoss[best])) {
                    best = i;
                }
                log.printf(
                        Locale.ROOT,
                        "  tuning Adam: lr %-7s validation loss after %d steps %.4f%n",
                        fmtLr(grid[i]),
                        o.steps(),
                        gridLoss[i]);
                log.flush();
            }
            if (best < 0) {
                throw new IllegalStateException(
                        "Adam diverged at every grid learning rate " + Arrays.toString(grid));
            }
            lr = grid[best];
        }

        // Untimed warm-up (JIT, ND4J workspaces) of both optimizers, on throwaway networks.
        if (o.warmupSteps() > 0) {
            for (IUpdater u : List.of(new Adam(lr), o.learned())) {
                MultiLayerNetwork net = network(u, train, o.seed(), init);
                DataSetIterator it =
                        train.minibatches(trainIdx, BATCH_SIZE, o.warmupSteps(), batchSeed + 1);
                while (it.hasNext()) {
                    net.fit(it.next());
                }
            }
        }

        int[] checkpoints = checkpoints(o.steps());
        String adamLabel =
                "Adam (lr " + fmtLr(lr) + (tuned ? ", tuned on validation)" : ", fixed)");
        Run adam =
                trainRun(
                        adamLabel,
                        new Adam(lr),
                        o,
                        train,
                        trainIdx,
                        init,
                        batchSeed,
                        checkpoints,
                        trainAll,
                        testAll);
        Run learned =
                trainRun(
                        o.learnedLabel(),
                        o.learned(),
                        o,
                        train,
                        trainIdx,
                        init,
                        batchSeed,
                        checkpoints,
                        trainAll,
                        testAll);

        Files.createDirectories(o.outDir());
        Path png = o.outDir().resolve("demo-mnist-mlp.png").toAbsolutePath();
        Path csv = o.outDir().resolve("demo-mnist-mlp.csv").toAbsolutePath();
        DemoPlot.write(
                png,
                String.format(
                        Locale.ROOT,
                        "MNIST MLP 784-20-10 (sigmoid), batch %d, seed %d: learned optimizer vs"
                                + " Adam",
                        BATCH_SIZE,
                        o.seed()),
                List.of(adam, learned));
        writeCsv(csv, adam, learned);
        return new Result(
                adam,
                learned,
                lr,
                tuned,
                grid,
                gridLoss,
                o.steps(),
                o.seed(),
                trainData.name(),
                trainIdx.length,
                validRows,
                testData.name(),
                test.rows(),
                png,
                csv,
                (System.nanoTime() - start) / 1e9);
    }

    /** The table checkpoints for a run of {@code steps} steps (ascending, ending at steps). */
    static int[] checkpoints(int steps) {
        List<Integer> c = new ArrayList<>();
        for (int s : CHECKPOINTS) {
            if (s < steps) {
                c.add(s);
            }
        }
        c.add(steps);
        return c.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Run trainRun(
            String label,
            IUpdater updater,
            Options o,
            Dl4jMnist train,
            int[] trainIdx,
            INDArray init,
            long batchSeed,
            int[] checkpoints,
            DataSet trainAll,
            DataSet testAll) {
        MultiLayerNetwork net = network(updater, train, o.seed(), init);
        DataSetIterator it = train.minibatches(trainIdx, BATCH_SIZE, o.steps(), batchSeed);
        double[] mb = new double[o.steps()];
        double[] trainLoss = new double[checkpoints.length];
        long nanos = 0;
        int t = 0;
        int c = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            long s = System.nanoTime();
            net.fit(ds);
            nanos += System.nanoTime() - s;
            mb[t++] = net.score();
            if (c < checkpoints.length && checkpoints[c] == t) {
                trainLoss[c++] = net.score(trainAll, false);
            }
        }
        double testLoss = net.score(testAll, false);
        INDArray pred = net.output(testAll.getFeatures(), false).argMax(1);
        INDArray truth = testAll.getLabels().argMax(1);
        double acc = pred.eq(truth).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        return new Run(label, mb, checkpoints, trainLoss, testLoss, acc, nanos / 1e9);
    }

    /** The paper's MLP with this updater, initialized from {@code seed}. */
    static MultiLayerNetwork network(IUpdater updater, Dl4jMnist data, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(updater, data, seed));
        net.init();
        return net;
    }

    /** The paper's MLP with this updater and a copy of the initial parameters {@code init}. */
    static MultiLayerNetwork network(IUpdater updater, Dl4jMnist data, long seed, INDArray init) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(updater, data, seed));
        net.init(init.dup(), false);
        return net;
    }

    static MultiLayerConfiguration configuration(IUpdater updater, Dl4jMnist data, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .list()
                .layer(
                        new DenseLayer.Builder()
                                .nIn(data.features())
                                .nOut(HIDDEN)
                                .activation(Activation.SIGMOID)
                                .build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nIn(HIDDEN)
                                .nOut(data.classes())
                                .activation(Activation.SOFTMAX)
                                .build())
                .build();
    }

    private static void writeCsv(Path csv, Run a, Run b) throws IOException {
        StringBuilder sb = new StringBuilder("step,");
        sb.append(quote(a.label())).append(',').append(quote(b.label())).append('\n');
        for (int t = 0; t < a.minibatchLoss().length; t++) {
            sb.append(t + 1)
                    .append(',')
                    .append(a.minibatchLoss()[t])
                    .append(',')
                    .append(b.minibatchLoss()[t])
                    .append('\n');
        }
        Files.writeString(csv, sb.toString());
    }

    private static String quote(String s) {
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** A learning rate in short form: 0.001, 0.03, 1. */
    public static String fmtLr(double lr) {
        return new java.math.BigDecimal(lr)
                .round(new java.math.MathContext(3))
                .stripTrailingZeros()
                .toPlainString();
    }
}
