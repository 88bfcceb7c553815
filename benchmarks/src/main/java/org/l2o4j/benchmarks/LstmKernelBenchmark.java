package org.l2o4j.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.OptimizerState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH benchmark of one optimizer step over {@code coords} coordinates: the learned optimizer (the
 * paper's 2x20 LSTM, random weights) with each kernel, and Adam for comparison. The score is time
 * per step; coordinates/second = coords / score.
 *
 * <p>How to run (from the repository root):
 *
 * <pre>
 *   ./mvnw -q -pl benchmarks -am -DskipTests package
 *   java -jar benchmarks/target/benchmarks.jar LstmKernelBenchmark
 *   java -jar benchmarks/target/benchmarks.jar LstmKernelBenchmark -p coords=1000000 -p threads=2
 *   java -jar benchmarks/target/benchmarks.jar LstmKernelBenchmark -p stateType=bfloat16
 * </pre>
 *
 * The forked JVMs get {@code --add-modules jdk.incubator.vector} (see {@link Fork}); the scalar
 * kernel is measured with {@code -p kernel=scalar}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class LstmKernelBenchmark {
    /** Coordinates per step. */
    @Param({"10000", "1000000"})
    public int coords;

    /** Threads of the learned optimizer. */
    @Param({"1", "2"})
    public int threads;

    /** Kernel: vector or scalar. */
    @Param({"vector", "scalar"})
    public String kernel;

    /** How the state is stored: float32, bfloat16 or float16. */
    @Param({"float32", "bfloat16", "float16"})
    public String stateType;

    private LstmOptimizer learned;
    private OptimizerState learnedState;
    private Adam adam;
    private OptimizerState adamState;
    private float[] grad;
    private float[] update;

    @Setup(Level.Trial)
    public void setUp() {
        LstmConfig c = LstmConfig.paperDefaults();
        Random r = new Random(1);
        float[] p = new float[c.numParameters()];
        double a = 1.0 / Math.sqrt(c.hidden());
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) ((2 * r.nextDouble() - 1) * a);
        }
        learned =
                LstmOptimizer.of(new LstmWeights(c, p))
                        .withKernel(Kernel.parse(kernel))
                        .withThreads(threads)
                        .withStateType(StateType.parse(stateType));
        learnedState = learned.newState(coords);
        adam = new Adam(1e-3);
        adamState = adam.newState(coords);
        grad = new float[coords];
        for (int i = 0; i < coords; i++) {
            grad[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 5));
        }
        update = new float[coords];
    }

    /** One step of the learned optimizer (the LSTM forward for every coordinate). */
    @Benchmark
    public void learnedStep(Blackhole bh) {
        learned.step(learnedState, grad, update);
        bh.consume(update);
    }

    /** One Adam step (single-threaded; independent of the kernel and threads parameters). */
    @Benchmark
    public void adamStep(Blackhole bh) {
        adam.step(adamState, grad, update);
        bh.consume(update);
    }
}
