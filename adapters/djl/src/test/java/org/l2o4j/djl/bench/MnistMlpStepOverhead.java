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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
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
 *   org.l2o4j.djl.bench.MnistMlpStepOverhead [rounds=5] [stepsPerRound=50] [pytorchThreads=1] [kernelThreads=1]
 * </pre>
 */
public final class MnistMlpStepOverhead {
    private static final int BATCH = 128;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private MnistMlpStepOverhead() {}

    /** Accumulated nanoseconds of one optimizer's measured steps. */
    static final class Totals {
        long steps;
        long data;
        long forwardBackward;
        long update;
        long cpuForwardBackward;
        long cpuUpdate;
        long cpuData;

        double ms(long nanos) {
            return nanos / 1e6 / steps;
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println(runExample(args));
    }

    /**
     * Runs the benchmark; returns the report. Arguments: rounds, steps per round, PyTorch threads,
     * LSTM kernel threads. With one thread each, all work runs on the main thread, so its CPU time
     * (reported beside wall time) is a load-independent measure on a shared machine.
     */
    public static String runExample(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int kernelThreads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");

        Dataset mnist = Datasets.mnist(Split.TRAIN);
        CpuTimedRule kernelCpu =
                new CpuTimedRule(LstmOptimizer.of(randomWeights()).withThreads(kernelThreads));
        LearnedOptimizer learned = LearnedOptimizer.builder().optUpdateRule(kernelCpu).build();
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
            kernelCpu.nanos = 0;
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
                                + " pytorch threads %d, kernel threads %d; %d rounds x %d steps per optimizer;"
                                + " %d processors; JVM %s%n",
                        BATCH,
                        parts.coordinates() / Math.max(1, n),
                        Engine.getInstance().getEngineName(),
                        Engine.getInstance().getVersion(),
                        threads,
                        kernelThreads,
                        rounds,
                        steps,
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version")));
        out.append(
                String.format(
                        Locale.ROOT,
                        "%-10s %10s %10s %10s %10s | %14s %14s %14s%n",
                        "optimizer",
                        "step ms",
                        "data ms",
                        "fwd+bwd ms",
                        "update ms",
                        "cpu data ms",
                        "cpu fwd+bwd ms",
                        "cpu update ms"));
        for (Object[] row :
                new Object[][] {{"adam", adamT, adamStep}, {"learned", learnedT, learnedStep}}) {
            Totals t = (Totals) row[1];
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%-10s %10.3f %10.3f %10.3f %10.3f | %14.3f %14.3f %14.3f%n",
                            row[0],
                            (double) row[2],
                            t.ms(t.data),
                            t.ms(t.forwardBackward),
                            t.ms(t.update),
                            t.ms(t.cpuData),
                            t.ms(t.cpuForwardBackward),
                            t.ms(t.cpuUpdate)));
        }
        out.append(
                String.format(
                        Locale.ROOT,
                        "learned/adam (wall): step %.2fx, update %.1fx; (main-thread cpu): step %.2fx,"
                                + " update %.1fx%n",
                        learnedStep / adamStep,
                        learnedUpdate / adamT.ms(adamT.update),
                        learnedT.ms(
                                        learnedT.cpuData
                                                + learnedT.cpuForwardBackward
                                                + learnedT.cpuUpdate)
                                / adamT.ms(
                                        adamT.cpuData + adamT.cpuForwardBackward + adamT.cpuUpdate),
                        learnedT.ms(learnedT.cpuUpdate) / adamT.ms(adamT.cpuUpdate)));
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
        out.append(
                String.format(
                        Locale.ROOT,
                        "learned update, main-thread cpu per step: kernel %.3f ms of %.3f ms (%.0f%%;"
                                + " exact only with kernel threads 1)%n",
                        kernelCpu.nanos / 1e6 / n,
                        learnedT.ms(learnedT.cpuUpdate),
                        100.0 * kernelCpu.nanos / learnedT.cpuUpdate));
        return out.toString();
    }

    /** Measures the calling thread's CPU time spent in a rule's steps. */
    static final class CpuTimedRule implements UpdateRule {
        private final UpdateRule rule;
        long nanos;

        CpuTimedRule(UpdateRule rule) {
            this.rule = rule;
        }

        @Override
        public String name() {
            return rule.name();
        }

        @Override
        public int stateSizePerCoordinate() {
            return rule.stateSizePerCoordinate();
        }

        @Override
        public NonFinitePolicy nonFinitePolicy() {
            return rule.nonFinitePolicy();
        }

        @Override
        public void step(OptimizerState s, float[] g, int go, float[] u, int uo) {
            long c0 = CPU.getCurrentThreadCpuTime();
            rule.step(s, g, go, u, uo);
            synchronized (this) {
                nanos += CPU.getCurrentThreadCpuTime() - c0;
            }
        }
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
            long c0 = CPU.getCurrentThreadCpuTime();
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
                long c1 = CPU.getCurrentThreadCpuTime();
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDArray loss = trainer.getLoss().evaluate(labels, trainer.forward(in));
                    gc.backward(loss);
                }
                long t2 = System.nanoTime();
                long c2 = CPU.getCurrentThreadCpuTime();
                trainer.step();
                long t3 = System.nanoTime();
                long c3 = CPU.getCurrentThreadCpuTime();
                if (totals != null) {
                    totals.steps++;
                    totals.data += t1 - t0;
                    totals.forwardBackward += t2 - t1;
                    totals.update += t3 - t2;
                    totals.cpuData += c1 - c0;
                    totals.cpuForwardBackward += c2 - c1;
                    totals.cpuUpdate += c3 - c2;
                }
            }
        }
        Arrays.fill(y, 0);
    }
}
