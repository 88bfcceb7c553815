package org.l2o4j.djl.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import java.util.Locale;
import java.util.Random;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.djl.DevicePath;
import org.l2o4j.djl.LearnedOptimizer;

/**
 * Milliseconds per optimizer step ({@code trainer.step()}: every parameter updated once) of the
 * learned optimizer's two paths on the CPU, the Java kernel ({@link DevicePath#NEVER}) and the
 * NDArray device path forced onto the CPU ({@link DevicePath#ALWAYS}), beside DJL's Adam, on the
 * paper's MNIST MLP (784-20-10, 15,910 parameters) and on a 784-1024-200-10 MLP (1,010,850
 * parameters). Synthetic inputs (the cost does not depend on the data); the paper's 2 x 20
 * architecture with random weights. Optimizers alternate in rounds so they see the same machine
 * load; wall time and the main thread's CPU time (with one PyTorch and one kernel thread all work
 * runs on the main thread).
 *
 * <pre>
 * ./mvnw -q -pl adapters/djl -am test-compile
 * ./mvnw -q -pl adapters/djl dependency:build-classpath -Dmdep.outputFile=/tmp/djl.cp
 * java --add-modules jdk.incubator.vector -Dai.djl.offline=true \
 *   -cp adapters/djl/target/test-classes:adapters/djl/target/classes:core/target/classes:pretrained/target/classes:$(cat /tmp/djl.cp) \
 *   org.l2o4j.djl.bench.DevicePathStepTime [rounds=3] [stepsPerRound=20] [threads=1] [small]
 * </pre>
 */
public final class DevicePathStepTime {
    private static final int BATCH = 128;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private DevicePathStepTime() {}

    public static void main(String[] args) throws Exception {
        System.out.println(runExample(args));
    }

    /**
     * Runs the benchmark; returns the report. Arguments: rounds, steps per round, threads, and
     * {@code small} to run the MNIST MLP only.
     */
    public static String runExample(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        boolean smallOnly = args.length > 3 && args[3].equals("small");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "DJL %s %s, %d PyTorch/kernel thread(s), %d processors, JVM %s; %d rounds x"
                                + " %d steps%n",
                        Engine.getInstance().getEngineName(),
                        Engine.getInstance().getVersion(),
                        threads,
                        Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version"),
                        rounds,
                        steps));
        out.append(
                String.format(
                        Locale.ROOT,
                        "%-26s %-22s %12s %12s %14s%n",
                        "model",
                        "optimizer",
                        "update ms",
                        "cpu upd ms",
                        "fwd+bwd ms"));
        int[][] models = smallOnly ? new int[][] {{20}} : new int[][] {{20}, {1024, 200}};
        for (int[] hidden : models) {
            bench(hidden, rounds, steps, threads, out);
        }
        return out.toString();
    }

    private static void bench(int[] hidden, int rounds, int steps, int threads, StringBuilder out)
            throws Exception {
        LstmWeights w = randomWeights();
        String[] names = {"adam", "learned, Java kernel", "learned, device path"};
        Optimizer[] opts = {
            Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build(),
            LearnedOptimizer.builder()
                    .optUpdateRule(LstmOptimizer.of(w).withThreads(threads))
                    .optDevicePath(DevicePath.NEVER)
                    .build(),
            LearnedOptimizer.builder()
                    .optUpdateRule(LstmOptimizer.of(w).withThreads(threads))
                    .optDevicePath(DevicePath.ALWAYS)
                    .build()
        };
        long[] wall = new long[3];
        long[] cpu = new long[3];
        long[] fwd = new long[3];
        long params = 0;
        Model[] models = new Model[3];
        Trainer[] trainers = new Trainer[3];
        try {
            for (int k = 0; k < 3; k++) {
                models[k] = model("m" + k, hidden);
                trainers[k] = trainer(models[k], opts[k]);
                run(trainers[k], 5, null, null, null, k); // warm-up, state created
            }
            params =
                    models[0].getBlock().getParameters().values().stream()
                            .mapToLong(p -> p.getArray().size())
                            .sum();
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 3; k++) {
                    run(trainers[k], steps, wall, cpu, fwd, k);
                }
            }
        } finally {
            for (int k = 0; k < 3; k++) {
                if (trainers[k] != null) {
                    trainers[k].close();
                }
                if (models[k] != null) {
                    models[k].close();
                }
            }
        }
        StringBuilder shape = new StringBuilder("784");
        for (int h : hidden) {
            shape.append('-').append(h);
        }
        shape.append("-10 (").append(String.format(Locale.ROOT, "%,d", params)).append(")");
        long n = (long) rounds * steps;
        for (int k = 0; k < 3; k++) {
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%-26s %-22s %12.3f %12.3f %14.3f%n",
                            shape,
                            names[k],
                            wall[k] / 1e6 / n,
                            cpu[k] / 1e6 / n,
                            fwd[k] / 1e6 / n));
        }
    }

    private static void run(
            Trainer trainer, int steps, long[] wall, long[] cpu, long[] fwd, int k) {
        Random r = new Random(k);
        for (int s = 0; s < steps; s++) {
            try (NDManager sub = trainer.getManager().newSubManager()) {
                float[] x = new float[BATCH * 784];
                float[] y = new float[BATCH];
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextFloat();
                }
                for (int i = 0; i < y.length; i++) {
                    y[i] = r.nextInt(10);
                }
                NDArray xs = sub.create(x, new Shape(BATCH, 784));
                NDArray ys = sub.create(y, new Shape(BATCH));
                long f0 = System.nanoTime();
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDList pred = trainer.forward(new NDList(xs));
                    gc.backward(trainer.getLoss().evaluate(new NDList(ys), pred));
                }
                long t0 = System.nanoTime();
                long c0 = CPU.getCurrentThreadCpuTime();
                trainer.step();
                long c1 = CPU.getCurrentThreadCpuTime();
                long t1 = System.nanoTime();
                if (wall != null) {
                    wall[k] += t1 - t0;
                    cpu[k] += c1 - c0;
                    fwd[k] += t0 - f0;
                }
            }
        }
    }

    private static Model model(String name, int[] hidden) {
        SequentialBlock b = new SequentialBlock();
        for (int h : hidden) {
            b.add(Linear.builder().setUnits(h).build()).add(Activation::sigmoid);
        }
        b.add(Linear.builder().setUnits(10).build());
        Model m = Model.newInstance(name);
        m.setBlock(b);
        Engine.getInstance().setRandomSeed(7);
        b.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(BATCH, 784));
        return m;
    }

    private static Trainer trainer(Model model, Optimizer opt) {
        Trainer t =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                .optOptimizer(opt));
        t.initialize(new Shape(BATCH, 784));
        return t;
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
}
