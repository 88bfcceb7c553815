package org.l2o4j.dl4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.OptimizerState;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Time per training iteration in DL4J with {@link LearnedUpdater} (the paper's 2x20 LSTM) vs DL4J's
 * Adam, for the paper's MNIST MLP (784-20-10 sigmoid, batch 128) and a small CNN (28x28x1:
 * conv5x5x8, pool, conv5x5x16, pool, dense 64, softmax 10; batch 128), plus a breakdown of the
 * learned updater's own cost: core kernel alone, and the adapter's off-heap copies.
 *
 * <p>Speed is measured here, never asserted in tests. How to run (one core for both updaters,
 * process CPU time; prints a table):
 *
 * <pre>
 * ./mvnw -q -o -pl adapters/dl4j -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/dl4j-cp.txt -Dmdep.includeScope=test
 * cd adapters/dl4j && OMP_NUM_THREADS=1 java --add-modules jdk.incubator.vector \
 *     -XX:ActiveProcessorCount=1 -cp target/test-classes:target/classes:$(cat /tmp/dl4j-cp.txt) \
 *     org.l2o4j.dl4j.Dl4jOverheadBenchmark 10 5
 * </pre>
 *
 * (or {@code -Dtest=Dl4jOverheadBenchmarkTest -Dl2o4j.bench=full} through Maven, which writes
 * {@code adapters/dl4j/target/dl4j-overhead.txt}). Data are random (the cost does not depend on the
 * values); iterations of the two updaters are interleaved in rounds and the median round is
 * reported, to reduce drift on a shared machine.
 */
public final class Dl4jOverheadBenchmark {
    private Dl4jOverheadBenchmark() {}

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /**
     * The clock: {@code -Dl2o4j.bench.clock=cpu} (default) is the CPU time of the whole process,
     * all threads including ND4J's native OpenMP threads, which stays meaningful on a shared,
     * oversubscribed machine; {@code wall} is elapsed time.
     */
    static final boolean CPU_CLOCK = !"wall".equals(System.getProperty("l2o4j.bench.clock", "cpu"));

    static long now() {
        return CPU_CLOCK ? OS.getProcessCpuTime() : System.nanoTime();
    }

    /** Entry point for a run outside Maven (test class path). */
    public static void main(String[] args) throws Exception {
        System.out.print(runExample(args));
    }

    /** One measured network: milliseconds per iteration and the breakdown. */
    record Result(
            String model,
            long params,
            double adamMs,
            double learnedMs,
            double updaterKernelMs,
            double updaterAdapterMs,
            double adamUpdaterMs) {
        double ratio() {
            return learnedMs / adamMs;
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code [iterationsPerRound] [rounds] [batch]} (defaults 10, 5, 128)
     */
    public static String runExample(String[] args) throws Exception {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        Path dir = Files.createTempDirectory("l2o4j-bench");
        Path w = dir.resolve("paper-random.safetensors");
        TestWeights.write(w, TestWeights.random(1, LstmConfig.paperDefaults(), 0.1));
        LearnedUpdater learned = LearnedUpdater.fromFile(w);

        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "DL4J 1.0.0-M2.1 nd4j-native, clock %s, %d cores visible, OMP_NUM_THREADS=%s,"
                                + " kernel %s, threads %d, batch %d, iterations %d x %d rounds (median round)%n",
                        CPU_CLOCK ? "process CPU time" : "wall time",
                        Runtime.getRuntime().availableProcessors(),
                        System.getenv("OMP_NUM_THREADS"),
                        learned.optimizer().kernel(),
                        learned.optimizer().threads(),
                        batch,
                        iters,
                        rounds));
        Result[] results = {
            measure(
                    "mnist-mlp 784-20-10",
                    Dl4jOverheadBenchmark::mlp,
                    mnistLike(batch),
                    learned,
                    iters,
                    rounds),
            measure(
                    "small-cnn",
                    Dl4jOverheadBenchmark::cnn,
                    mnistLike(batch),
                    learned,
                    iters,
                    rounds)
        };
        out.append(
                "model                 params   adam ms/it  learned ms/it  ratio  |  learned updater:"
                        + " kernel ms  adapter copies ms  | adam updater ms\n");
        for (Result r : results) {
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%-20s %7d  %10.3f  %13.3f  %5.2f  |  %24.3f  %17.3f  | %15.3f%n",
                            r.model,
                            r.params,
                            r.adamMs,
                            r.learnedMs,
                            r.ratio(),
                            r.updaterKernelMs,
                            r.updaterAdapterMs,
                            r.adamUpdaterMs));
        }
        return out.toString();
    }

    private static DataSet mnistLike(int batch) {
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, 784);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        return new DataSet(x, y);
    }

    static MultiLayerConfiguration mlp(IUpdater u) {
        return new NeuralNetConfiguration.Builder()
                .seed(1)
                .updater(u)
                .list()
                .layer(
                        new DenseLayer.Builder()
                                .nIn(784)
                                .nOut(20)
                                .activation(Activation.SIGMOID)
                                .build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nIn(20)
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .build())
                .build();
    }

    static MultiLayerConfiguration cnn(IUpdater u) {
        return new NeuralNetConfiguration.Builder()
                .seed(1)
                .updater(u)
                .list()
                .layer(
                        new ConvolutionLayer.Builder(5, 5)
                                .nOut(8)
                                .activation(Activation.RELU)
                                .build())
                .layer(
                        new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                                .kernelSize(2, 2)
                                .stride(2, 2)
                                .build())
                .layer(
                        new ConvolutionLayer.Builder(5, 5)
                                .nOut(16)
                                .activation(Activation.RELU)
                                .build())
                .layer(
                        new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                                .kernelSize(2, 2)
                                .stride(2, 2)
                                .build())
                .layer(new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    interface ConfFactory {
        MultiLayerConfiguration build(IUpdater u);
    }

    private static Result measure(
            String name, ConfFactory f, DataSet ds, LearnedUpdater learned, int iters, int rounds) {
        MultiLayerNetwork adam = new MultiLayerNetwork(f.build(new Adam(1e-3)));
        adam.init();
        MultiLayerNetwork lrn = new MultiLayerNetwork(f.build(learned));
        lrn.init();
        // warm-up
        fitMs(adam, ds, iters);
        fitMs(lrn, ds, iters);
        double[] a = new double[rounds];
        double[] l = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            a[r] = fitMs(adam, ds, iters);
            l[r] = fitMs(lrn, ds, iters);
        }
        int n = (int) lrn.numParams();
        System.out.printf(
                Locale.ROOT,
                "%s: adam %.3f ms/it, learned %.3f ms/it%n",
                name,
                median(a),
                median(l));
        // the updater alone is cheap: more iterations for the clock's resolution
        double[] parts = updaterBreakdown(learned, n, iters * 20, rounds);
        double adamUpd = adamUpdaterMs(n, iters * 20, rounds);
        return new Result(name, n, median(a), median(l), parts[0], parts[1] - parts[0], adamUpd);
    }

    private static double fitMs(MultiLayerNetwork net, DataSet ds, int iters) {
        long t0 = now();
        for (int i = 0; i < iters; i++) {
            net.fit(ds);
        }
        return (now() - t0) / 1e6 / iters;
    }

    /** {kernel alone on float[], the adapter's applyUpdater (kernel + copies)} in ms per step. */
    private static double[] updaterBreakdown(LearnedUpdater u, int n, int iters, int rounds) {
        LstmOptimizer core = u.optimizer();
        OptimizerState s = core.newState(n);
        float[] g = new float[n];
        float[] upd = new float[n];
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            g[i] = (float) (rnd.nextGaussian() * 1e-2);
        }
        INDArray view = Nd4j.zeros(DataType.FLOAT, 1, (long) n * core.stateSizePerCoordinate());
        GradientUpdater<?> gu = u.instantiate(view, true);
        INDArray grad = Nd4j.createFromArray(g);
        Supplier<Double> kernel =
                () -> {
                    long t0 = now();
                    for (int i = 0; i < iters; i++) {
                        core.step(s, g, upd);
                    }
                    return (now() - t0) / 1e6 / iters;
                };
        Supplier<Double> adapter =
                () -> {
                    long t0 = now();
                    for (int i = 0; i < iters; i++) {
                        grad.assign(0.01); // DL4J hands a fresh gradient each iteration
                        gu.applyUpdater(grad, i, 0);
                    }
                    return (now() - t0) / 1e6 / iters;
                };
        kernel.get();
        adapter.get();
        double[] k = new double[rounds];
        double[] a = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            k[r] = kernel.get();
            a[r] = adapter.get();
        }
        return new double[] {median(k), median(a)};
    }

    private static double adamUpdaterMs(int n, int iters, int rounds) {
        INDArray view = Nd4j.zeros(DataType.FLOAT, 1, 2L * n);
        GradientUpdater<?> gu = new Adam(1e-3).instantiate(view, true);
        INDArray grad = Nd4j.zeros(DataType.FLOAT, n);
        double[] t = new double[rounds + 1];
        for (int r = 0; r <= rounds; r++) {
            long t0 = now();
            for (int i = 0; i < iters; i++) {
                grad.assign(0.01);
                gu.applyUpdater(grad, i, 0);
            }
            t[r] = (now() - t0) / 1e6 / iters;
        }
        return median(Arrays.copyOfRange(t, 1, t.length));
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
