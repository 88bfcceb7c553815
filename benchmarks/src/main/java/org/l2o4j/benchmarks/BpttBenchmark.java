package org.l2o4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.meta.BpttPrecision;
import org.l2o4j.core.meta.TrainThroughput;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of one meta-training pass over {@code coords} coordinates: the forward with stored
 * activations over an unroll of 20 steps, the first-order backward through time and the block-order
 * sum of the meta-gradient (the paper's 2x20 LSTM, synthetic gradients), with each training kernel:
 * the float32 one with the Vector API ({@code float-vector}) or in plain Java ({@code
 * float-scalar}), and the double-precision oracle ({@code double}). The score is time per pass;
 * coordinate-steps/second = 20 * coords / score.
 *
 * <pre>
 *   ./mvnw -q -pl benchmarks -am -DskipTests package
 *   java -jar benchmarks/target/benchmarks.jar BpttBenchmark
 *   java -jar benchmarks/target/benchmarks.jar BpttBenchmark -p coords=16384 -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class BpttBenchmark {
    /** Unroll of the pass (the paper's truncation). */
    public static final int UNROLL = 20;

    /** Coordinates (blocks of 64 run in parallel). */
    @Param({"1024", "16384"})
    public int coords;

    /** Worker threads. */
    @Param({"1", "2"})
    public int threads;

    /** Training kernel: float-vector, float-scalar or double. */
    @Param({"float-vector", "float-scalar", "double"})
    public String kernel;

    private TrainThroughput.Pass pass;

    @Setup(Level.Trial)
    public void setUp() {
        BpttPrecision kind = kernel.equals("double") ? BpttPrecision.DOUBLE : BpttPrecision.FLOAT;
        Kernel floatKind = kernel.equals("float-scalar") ? Kernel.SCALAR : Kernel.VECTOR;
        pass =
                new TrainThroughput.Pass(
                        LstmConfig.paperDefaults(), coords, UNROLL, threads, kind, floatKind);
        if (!pass.trainKernel().equals(kernel)) {
            throw new IllegalStateException("asked for " + kernel + ", got " + pass.trainKernel());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pass.close();
    }

    /** One pass; returns the meta-gradient so that nothing is optimised away. */
    @Benchmark
    public double[] trainPass() {
        return pass.run();
    }
}
