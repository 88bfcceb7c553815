package org.l2o4j.dl4j;

import java.util.Arrays;
import java.util.Locale;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamilies;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Milliseconds per optimizee step (forward and backward, loss and gradient, no update) of the
 * core's pure-Java {@code conv} task against DL4J running the same network: per block a 3x3
 * convolution with 'same' zero padding ({@code channels} channels), ReLU and 2x2 max-pooling,
 * {@code blocks} blocks, then a dense softmax layer with mean cross-entropy, on 28x28x1 inputs,
 * batch 128 (the defaults: 2 blocks of 8 channels, 4,594 parameters, the same count in both).
 *
 * <p>DL4J's step is {@code computeGradientAndScore()} on a fixed random minibatch (the cost does
 * not depend on the values); the task's is {@code lossAndGradient} on its own minibatch stream.
 * Rounds of the two are interleaved and the median round is reported; the clock is the process CPU
 * time (all threads, ND4J's native ones included) unless {@code -Dl2o4j.bench.clock=wall}. Speed is
 * measured here, never asserted in tests. How to run (one core each):
 *
 * <pre>
 * ./mvnw -q -o -pl adapters/dl4j -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/dl4j-cp.txt -Dmdep.includeScope=test
 * cd adapters/dl4j && OMP_NUM_THREADS=1 java --add-modules jdk.incubator.vector \
 *     -cp target/test-classes:target/classes:$(cat /tmp/dl4j-cp.txt) \
 *     org.l2o4j.dl4j.ConvStepBenchmark 10 5
 * </pre>
 */
public final class ConvStepBenchmark {
    private ConvStepBenchmark() {}

    /** Entry point: {@code [stepsPerRound] [rounds] [batch] [channels] [blocks]}. */
    public static void main(String[] args) {
        System.out.print(run(args));
    }

    /** The network of {@code conv[channels=C,blocks=B]} in DL4J (no updater). */
    static MultiLayerConfiguration network(int channels, int blocks) {
        NeuralNetConfiguration.ListBuilder b =
                new NeuralNetConfiguration.Builder()
                        .seed(1)
                        .updater(new NoOp())
                        .convolutionMode(ConvolutionMode.Same)
                        .list();
        for (int i = 0; i < blocks; i++) {
            b.layer(
                    new ConvolutionLayer.Builder(3, 3)
                            .stride(1, 1)
                            .nOut(channels)
                            .activation(Activation.RELU)
                            .build());
            b.layer(
                    new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                            .kernelSize(2, 2)
                            .stride(2, 2)
                            .build());
        }
        b.layer(
                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build());
        return b.setInputType(InputType.convolutionalFlat(28, 28, 1)).build();
    }

    /**
     * Runs the benchmark and returns its table.
     *
     * @param args {@code [stepsPerRound] [rounds] [batch] [channels] [blocks]} (defaults 10, 5,
     *     128, 8, 2)
     */
    public static String run(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int channels = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int blocks = args.length > 4 ? Integer.parseInt(args[4]) : 2;

        Task task =
                TaskFamilies.parse(
                                "conv[data-dir=bundled;batch="
                                        + batch
                                        + ";channels="
                                        + channels
                                        + ";blocks="
                                        + blocks
                                        + "]")
                        .sample(1);
        double[] theta = task.initialParameters();
        double[] grad = new double[task.dimension()];

        MultiLayerNetwork net = new MultiLayerNetwork(network(channels, blocks));
        net.init();
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, 784);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        net.setInput(x);
        net.setLabels(y);

        long[] t = {0};
        Runnable l2o =
                () -> {
                    for (int s = 0; s < steps; s++) {
                        task.lossAndGradient(theta, t[0]++, grad);
                    }
                };
        Runnable dl4j =
                () -> {
                    for (int s = 0; s < steps; s++) {
                        net.computeGradientAndScore();
                    }
                };
        // warm-up (JIT, native allocations)
        for (int w = 0; w < 2; w++) {
            l2o.run();
            dl4j.run();
        }
        double[] a = new double[rounds];
        double[] d = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            a[r] = msPerStep(l2o, steps);
            d[r] = msPerStep(dl4j, steps);
        }
        return String.format(
                Locale.ROOT,
                "conv forward+backward, batch %d, %d block(s) of %d channels: l2o4j conv task %d"
                        + " parameters, DL4J %d parameters; clock %s, %d cores visible,"
                        + " OMP_NUM_THREADS=%s, %d steps x %d rounds (median round)%n"
                        + "l2o4j conv task  %8.3f ms/step   (rounds: %s)%n"
                        + "DL4J 1.0.0-M2.1  %8.3f ms/step   (rounds: %s)%n"
                        + "ratio l2o4j/DL4J %8.2f%n",
                batch,
                blocks,
                channels,
                task.dimension(),
                net.numParams(),
                Dl4jOverheadBenchmark.CPU_CLOCK ? "process CPU time" : "wall time",
                Runtime.getRuntime().availableProcessors(),
                System.getenv("OMP_NUM_THREADS"),
                steps,
                rounds,
                median(a),
                fmt(a),
                median(d),
                fmt(d),
                median(a) / median(d));
    }

    private static double msPerStep(Runnable r, int steps) {
        long t0 = Dl4jOverheadBenchmark.now();
        r.run();
        return (Dl4jOverheadBenchmark.now() - t0) / 1e6 / steps;
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", x));
        }
        return sb.toString();
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
