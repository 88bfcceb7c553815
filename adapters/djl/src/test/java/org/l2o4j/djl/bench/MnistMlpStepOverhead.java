package org.l2o4j.djl.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.djl.LearnedOptimizer;
import org.l2o4j.djl.StepTimings;

/**
 * Step time of the paper's MNIST MLP (784 -> 20 sigmoid -> 10, softmax cross-entropy, batch 128,
 * 15,910 parameters) trained in DJL/PyTorch with {@link LearnedOptimizer} versus DJL's Adam, and
 * where the learned optimizer's time goes.
 *
 * <p>Phases per step: building the batch NDArrays, forward + backward ("framework"), and {@code
 * trainer.step()} ("update"), which for the learned optimizer splits into copying gradients to Java
 * arrays, the core LSTM kernel, writing the update back and clearing the gradient, and the rest of
 * DJL's parameter-server path. Adam and the learned optimizer alternate in rounds so both see the
 * same machine load. The learned optimizer uses the paper's architecture with random weights: its
 * cost does not depend on the weight values.
 *
 * <p>How to run (from the repository root):
 *
 * <pre>
 * ./mvnw -q -pl adapters/djl -am test-compile
 * ./mvnw -q -pl adapters/djl dependency:build-classpath -Dmdep.outputFile=/tmp/djl.cp
 * java --add-modules jdk.incubator.vector -Dai.djl.offline=true \
 *   -cp adapters/djl/target/test-classes:adapters/djl/target/classes:core/target/classes:pretrained/target/classes:$(cat /tmp/djl.cp) \
 *   org.l2o4j.djl.bench.MnistMlpStepOverhead [rounds=5] [stepsPerRound=50] [pytorchThreads=1]
 * </pre>
 */
public final class MnistMlpStepOverhead {
    private static final int BATCH = 128;

    private MnistMlpStepOverhead() {}

    /** Accumulated nanoseconds of one optimizer's measured steps. */
    static final class Totals {
        long steps;
        long data;
        long forwardBackward;
        long update;

        double ms(long nanos) {
            return nanos / 1e6 / steps;
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println(runExample(args));
    }

    /** Runs the benchmark; returns the report. Arguments: rounds, steps per round, threads. */
    public static String runExample(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");

        Dataset mnist = Datasets.mnist(Split.TRAIN);
        LearnedOptimizer learned = LearnedOptimizer.builder().optWeights(randomWeights()).build();
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build();
        Totals adamT = new Totals();
        Totals learnedT = new Totals();
        StepTimings parts = learned.timings();
        try (Model adamModel = model("adam");
                Model learnedModel = model("learned");
                Trainer adamTrainer = trainer(adamModel, adam);
                Trainer learnedTrainer = trainer(learnedModel, learned)) {
            // warm-up: JIT, allocator, the optimizer's lazily created state
            run(adamTrainer, mnist, 0, 20, null);
            run(learnedTrainer, mnist, 0, 20, null);
            parts.reset();
            for (int r = 0; r < rounds; r++) {
                run(adamTrainer, mnist, 1000L * (r + 1), steps, adamT);
                run(learnedTrainer, mnist, 1000L * (r + 1), steps, learnedT);
            }
        }
        long n = learnedT.steps;
        double copyIn = parts.copyInNanos() / 1e6 / n;
        double kernel = parts.kernelNanos() / 1e6 / n;
        double copyOut = parts.copyOutNanos() / 1e6 / n;
        double learnedUpdate = learnedT.ms(learnedT.update);
        double adamStep = adamT.ms(adamT.data + adamT.forwardBackward + adamT.update);
        double learnedStep =
                learnedT.ms(learnedT.data + learnedT.forwardBackward + learnedT.update);
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "MNIST MLP 784-20(sigmoid)-10, batch %d, %d params; DJL %s %s,"
                                + " pytorch threads %d; %d rounds x %d steps per optimizer;"
                                + " %d processors; JVM %s%n",
                        BATCH,
                        parts.coordinates() / Math.max(1, n),
                        Engine.getInstance().getEngineName(),
                        Engine.getInstance().getVersion(),
                        threads,
                        rounds,
                        steps,
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version")));
        out.append(
                String.format(
                        Locale.ROOT,
                        "%-10s %10s %10s %10s %10s%n",
                        "optimizer",
                        "step ms",
                        "data ms",
                        "fwd+bwd ms",
                        "update ms"));
        for (Object[] row :
                new Object[][] {{"adam", adamT, adamStep}, {"learned", learnedT, learnedStep}}) {
            Totals t = (Totals) row[1];
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%-10s %10.3f %10.3f %10.3f %10.3f%n",
                            row[0],
                            (double) row[2],
                            t.ms(t.data),
                            t.ms(t.forwardBackward),
                            t.ms(t.update)));
        }
        out.append(
                String.format(
                        Locale.ROOT,
                        "learned/adam: step %.2fx, update %.1fx%n",
                        learnedStep / adamStep,
                        learnedUpdate / adamT.ms(adamT.update)));
        out.append(
                String.format(
                        Locale.ROOT,
                        "learned update breakdown per step: kernel %.3f ms (%.0f%%), gradient"
                                + " NDArray->float[] %.3f ms, update float[]->NDArray + clear"
                                + " gradient %.3f ms, DJL parameter server etc. %.3f ms;"
                                + " kernel %.1f ns per coordinate%n",
                        kernel,
                        100 * kernel / learnedUpdate,
                        copyIn,
                        copyOut,
                        learnedUpdate - kernel - copyIn - copyOut,
                        parts.kernelNanos() / (double) parts.coordinates()));
        return out.toString();
    }

    private static LstmWeights randomWeights() {
        LstmConfig c = LstmConfig.paperDefaults();
        Random r = new Random(1);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (0.1 * r.nextGaussian());
        }
        return new LstmWeights(c, p);
    }

    private static Model model(String name) {
        Model model = Model.newInstance(name);
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(20).build())
                        .add(Activation::sigmoid)
                        .add(Linear.builder().setUnits(10).build()));
        Engine.getInstance().setRandomSeed(42);
        return model;
    }

    private static Trainer trainer(Model model, Optimizer optimizer) {
        Trainer t =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                .optOptimizer(optimizer));
        t.initialize(new Shape(BATCH, 784));
        return t;
    }

    private static void run(Trainer trainer, Dataset data, long seed, int steps, Totals totals) {
        Random r = new Random(seed);
        float[] x = new float[BATCH * 784];
        float[] y = new float[BATCH];
        for (int s = 0; s < steps; s++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < BATCH; i++) {
                int row = r.nextInt(data.rows());
                System.arraycopy(data.row(row), 0, x, i * 784, 784);
                y[i] = data.label(row);
            }
            try (NDManager m = trainer.getManager().newSubManager()) {
                NDList in = new NDList(m.create(x, new Shape(BATCH, 784)));
                NDList labels = new NDList(m.create(y, new Shape(BATCH)));
                long t1 = System.nanoTime();
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDArray loss = trainer.getLoss().evaluate(labels, trainer.forward(in));
                    gc.backward(loss);
                }
                long t2 = System.nanoTime();
                trainer.step();
                long t3 = System.nanoTime();
                if (totals != null) {
                    totals.steps++;
                    totals.data += t1 - t0;
                    totals.forwardBackward += t2 - t1;
                    totals.update += t3 - t2;
                }
            }
        }
        Arrays.fill(y, 0);
    }
}
