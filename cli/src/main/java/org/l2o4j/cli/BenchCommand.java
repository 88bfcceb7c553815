package org.l2o4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.meta.BpttPrecision;
import org.l2o4j.core.meta.TrainThroughput;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code l2o bench}: throughput of the learned optimizer's step (the LSTM forward on the paper's
 * 2x20 architecture, the MLP cell 2x32 and the GRU 2x20 with their default features) and of Adam,
 * in coordinates per second and as the step's cost per parameter in nanoseconds (wall-clock and
 * process CPU time), with random weights and gradients. The learned cells run the kernel of {@code
 * --kernel} (the MLP cell has a Vector API step; the GRU's is plain Java for either).
 *
 * <p>Each measurement is warmed up, then timed in several repetitions; the median is reported.
 * Measurements are a list of named {@link Measurement}s, so more (e.g. {@code
 * train_coords_per_second} from the meta-trainer) can be added as fields of the JSON line.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measures the learned optimizer's step (LSTM forward, MLP and GRU cells) and Adam in"
                    + " coordinates/second and ns per parameter.",
            "With --json the last line is one JSON object."
        })
public final class BenchCommand implements Callable<Integer> {
    @Spec private CommandSpec spec;

    @Option(
            names = "--coords",
            defaultValue = "1000000",
            description = "Coordinates (parameters) per step (default: ${DEFAULT-VALUE}).")
    int coords;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "Threads for the learned optimizer's step (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--kernel",
            description = "vector or scalar (default: the JVM's selected kernel).")
    String kernel;

    @Option(
            names = "--seconds",
            defaultValue = "3",
            description =
                    "Timed seconds per measurement, after about half as much warm-up"
                            + " (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(
            names = "--repetitions",
            defaultValue = "5",
            description = "Timed repetitions; the median is reported (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(
            names = "--min-warmup-seconds",
            defaultValue = "5",
            description = "Shortest warm-up per measurement (default: ${DEFAULT-VALUE}).")
    double minWarmupSeconds;

    @Option(
            names = "--max-warmup-seconds",
            defaultValue = "60",
            description = "Longest warm-up per measurement (default: ${DEFAULT-VALUE}).")
    double maxWarmupSeconds;

    @Option(
            names = "--state-type",
            paramLabel = "float32|bfloat16|float16",
            defaultValue = "float32",
            description =
                    "How the learned optimizer stores its LSTM state: float32, or bfloat16 /"
                            + " float16 (half the memory; computes in float32)"
                            + " (default: ${DEFAULT-VALUE}).")
    String stateType;

    @Option(
            names = "--mlp-features",
            paramLabel = "LIST",
            description =
                    "Input features of the measured MLP cell (2 x 32 relu), comma-separated: "
                            + FeatureSet.ACCEPTED
                            + " (default: rms,mom:0.5,mom:0.9,mom:0.99).")
    String mlpFeatures;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    /**
     * One named throughput measurement; {@code steps} makes a step of {@code n} coordinates (with
     * its own state and arrays). A trainer measurement can be added the same way.
     */
    static final class Measurement {
        final String field;
        final String label;
        final IntFunction<Runnable> steps;

        Measurement(String field, String label, IntFunction<Runnable> steps) {
            this.field = field;
            this.label = label;
            this.steps = steps;
        }
    }

    /** Most coordinates the meta-training measurement uses (its memory grows with them). */
    static final int TRAIN_MAX_COORDS = 16_384;

    /** Unroll length of the meta-training measurement (the paper's truncation). */
    static final int TRAIN_UNROLL = 20;

    /** Large steps are first warmed up at this size, so the JIT never runs a huge slow step. */
    static final int PREWARM_COORDS = 8192;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (coords < 1) {
            throw new IllegalArgumentException("--coords must be >= 1 but was " + coords);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1 but was " + threads);
        }
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("--seconds must be > 0 but was " + seconds);
        }
        if (repetitions < 1) {
            throw new IllegalArgumentException("--repetitions must be >= 1 but was " + repetitions);
        }
        Kernel k = kernel == null ? Kernel.selected() : Kernel.parse(kernel);
        LstmConfig config = LstmConfig.paperDefaults();
        StateType type;
        try {
            type = StateType.parse(stateType);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--state-type: " + e.getMessage());
        }
        HeapChecks.require(
                HeapChecks.bench(coords, (int) type.bytesPerCoordinate(config), repetitions));
        LstmOptimizer learned =
                LstmOptimizer.of(randomWeights(config, 1))
                        .withKernel(k)
                        .withThreads(threads)
                        .withStateType(type);
        Adam adam = new Adam(1e-3);
        // the MLP cell with its defaults (2 x 32 relu, features rms and three momenta) and the GRU
        // with its (2 x 20, the same features), with the same kernel kind and threads
        LstmConfig mlpConfig = MLP_CONFIG;
        if (mlpFeatures != null) {
            try {
                mlpConfig = mlpConfig.toBuilder().features(FeatureSet.parse(mlpFeatures)).build();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--mlp-features: " + e.getMessage());
            }
        }
        LstmOptimizer mlp =
                LstmOptimizer.of(randomWeights(mlpConfig, 1)).withKernel(k).withThreads(threads);
        LstmOptimizer gru =
                LstmOptimizer.of(randomWeights(GRU_CONFIG, 1)).withKernel(k).withThreads(threads);
        List<Measurement> ms = new ArrayList<>();
        ms.add(
                new Measurement(
                        "forward_coords_per_second",
                        "learned step (LSTM forward)",
                        n -> stepper(learned, n)));
        ms.add(
                new Measurement(
                        "adam_coords_per_second", "adam step (1 thread)", n -> stepper(adam, n)));
        ms.add(
                new Measurement(
                        "mlp_coords_per_second", "learned step (MLP cell)", n -> stepper(mlp, n)));
        ms.add(
                new Measurement(
                        "gru_coords_per_second", "learned step (GRU cell)", n -> stepper(gru, n)));

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("coords", coords);
        result.put("threads", threads);
        result.put("kernel", k.id());
        out.printf(
                Locale.ROOT,
                "l2o bench: %d coords, %d threads, %s kernel, %s, Java %s, %d CPUs%n",
                coords,
                threads,
                k.id(),
                config,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        for (Measurement m : ms) {
            if (coords > 2 * PREWARM_COORDS) {
                measure(
                        m.steps.apply(PREWARM_COORDS),
                        PREWARM_COORDS,
                        seconds,
                        1,
                        minWarmupSeconds,
                        maxWarmupSeconds);
            }
            double[] rates =
                    measure(
                            m.steps.apply(coords),
                            coords,
                            seconds,
                            repetitions,
                            minWarmupSeconds,
                            maxWarmupSeconds);
            double median = median(rates);
            double cpuMedian = median(cpuRates);
            double threadCpuMedian = median(threadCpuRates);
            result.put(m.field, Math.round(median));
            // the step's cost per parameter: wall-clock, and the CPU time of the threads that
            // step (the caller and the kernel pool's workers; what to compare on a loaded machine,
            // where wall-clock includes waiting for a core)
            String cost = m.field.replace("_coords_per_second", "");
            result.put(cost + "_ns_per_parameter", nanosPer(median));
            if (threadCpuMedian > 0) {
                result.put(cost + "_cpu_ns_per_parameter", nanosPer(threadCpuMedian));
            }
            out.printf(
                    Locale.ROOT,
                    "%-30s %,15.0f coords/s (median of %d; min %,.0f, max %,.0f)%n",
                    m.label,
                    median,
                    rates.length,
                    Arrays.stream(rates).min().orElse(0),
                    Arrays.stream(rates).max().orElse(0));
            out.printf(
                    Locale.ROOT,
                    "%-30s %,15.0f coords per process CPU-second (median; shows CPU sharing)%n",
                    "",
                    cpuMedian);
            out.printf(
                    Locale.ROOT,
                    "%-30s %15.2f ns per parameter (wall), %.2f ns per parameter (CPU of the"
                            + " stepping threads)%n",
                    "",
                    1e9 / median,
                    1e9 / threadCpuMedian);
            out.flush();
        }
        // Heap bytes a warmed-up learned step allocates, all threads together: 0 once C2 has
        // compiled the kernel (the Vector API boxes vectors until then, and wherever C2 does not
        // inline a method a vector crosses). A benchmark figure, not a test: it depends on the JIT.
        String[] allocFields = {"forward", "mlp", "gru"};
        LstmOptimizer[] allocOpts = {learned, mlp, gru};
        for (int i = 0; i < allocFields.length; i++) {
            long allocated = allocatedPerStep(stepper(allocOpts[i], coords));
            if (allocated >= 0) {
                result.put(allocFields[i] + "_allocated_bytes_per_step", allocated);
                out.printf(
                        Locale.ROOT,
                        "%-30s %,15d bytes allocated per %s step (after warm-up)%n",
                        "",
                        allocated,
                        allocOpts[i].config().cell().id());
            }
        }
        // Meta-training (forward + first-order BPTT over an unroll of 20) with the float32
        // training kernel meta-train uses by default, of the same kind (vector or scalar) as the
        // forward above. Its activations take ~1.1 KB per coordinate-step, so it runs on at most
        // TRAIN_MAX_COORDS coordinates (the size of a backward subsample), whatever --coords says.
        int trainCoords = Math.min(coords, TRAIN_MAX_COORDS);
        TrainThroughput.Result train =
                TrainThroughput.measure(
                        config,
                        trainCoords,
                        TRAIN_UNROLL,
                        threads,
                        seconds,
                        BpttPrecision.FLOAT,
                        k);
        String trainKind = train.trainKernel.equals("float-vector") ? "vector" : "scalar";
        result.put("train_coords_per_second", Math.round(train.coordStepsPerSecond));
        result.put("train_coords", trainCoords);
        result.put("train_kernel", trainKind);
        out.printf(
                Locale.ROOT,
                "%-30s %,15.0f coord-steps/s (forward + backward, %d coords, unroll %d, %s)%n",
                "meta-training",
                train.coordStepsPerSecond,
                trainCoords,
                TRAIN_UNROLL,
                train.trainKernel);
        int stateBytes = 4 * learned.stateSizePerCoordinate();
        result.put("state_bytes_per_parameter", stateBytes);
        result.put("state_type", type.id());
        out.printf(
                Locale.ROOT,
                "optimizer state (%s): %d bytes per parameter (adam: %d)%n",
                type.id(),
                stateBytes,
                4 * adam.stateSizePerCoordinate());
        result.put("mlp_state_bytes_per_parameter", 4 * mlp.stateSizePerCoordinate());
        result.put("mlp_features", mlpConfig.features().id());
        out.printf(
                Locale.ROOT,
                "mlp cell (%s): %d bytes of state per parameter%n",
                mlpConfig,
                4 * mlp.stateSizePerCoordinate());
        if (json) {
            out.println(toJson(result));
        }
        out.flush();
        return 0;
    }

    /** Mean heap bytes per run of {@code step} over 5 runs after the measurements, or -1. */
    private static long allocatedPerStep(Runnable step) {
        if (!(java.lang.management.ManagementFactory.getThreadMXBean()
                instanceof com.sun.management.ThreadMXBean threads)) {
            return -1;
        }
        if (!threads.isThreadAllocatedMemorySupported()
                || !threads.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        step.run();
        long before = allThreadsAllocated(threads);
        for (int i = 0; i < 5; i++) {
            step.run();
        }
        long stepped = allThreadsAllocated(threads) - before;
        // the same reading around nothing: what reading the counters allocates itself
        before = allThreadsAllocated(threads);
        long reading = allThreadsAllocated(threads) - before;
        return Math.max(0, (stepped - reading) / 5);
    }

    private static long allThreadsAllocated(com.sun.management.ThreadMXBean threads) {
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    private static Runnable stepper(UpdateRule rule, int n) {
        float[] grad = randomGradients(n, 2);
        float[] update = new float[n];
        OptimizerState state = rule.newState(n);
        if (rule.needsParameters()) {
            // a learned optimizer with the param feature reads the parameter values too
            float[] params = randomGradients(n, 3);
            return () -> rule.step(state, params, grad, update);
        }
        return () -> rule.step(state, grad, update);
    }

    /**
     * Coordinates/second of each timed repetition. Warm-up: at least half the timed duration, and
     * then until the rate of successive warm-up windows stops improving by more than 3% (the Vector
     * API code is only fast once C2 has compiled it), at most {@code maxWarmup} seconds.
     */
    static double[] measure(
            Runnable step,
            int coords,
            double seconds,
            int reps,
            double minWarmup,
            double maxWarmup) {
        long repNanos = (long) (seconds * 1e9 / reps);
        long start = System.nanoTime();
        long minEnd = start + (long) (Math.max(seconds * 0.5, minWarmup) * 1e9);
        long maxEnd = start + (long) (maxWarmup * 1e9);
        double previous = 0;
        int stableWindows = 0;
        while (true) {
            double rate =
                    window(
                            step,
                            coords,
                            Math.max(
                                    repNanos, Math.min(200_000_000L, (long) (maxWarmup * 0.25e9))));
            long now = System.nanoTime();
            stableWindows = rate <= previous * 1.03 ? stableWindows + 1 : 0;
            previous = Math.max(previous, rate);
            if ((now >= minEnd && stableWindows >= 3) || now >= maxEnd) {
                break;
            }
        }
        double[] rates = new double[reps];
        cpuRates = new double[reps];
        threadCpuRates = new double[reps];
        for (int r = 0; r < reps; r++) {
            rates[r] = window(step, coords, repNanos);
            cpuRates[r] = lastCpuRate;
            threadCpuRates[r] = lastThreadCpuRate;
        }
        return rates;
    }

    /** Runs the step for at least {@code nanos} (and at least once); returns coords/second. */
    private static double window(Runnable step, int coords, long nanos) {
        long calls = 0;
        long[] stepping = steppingThreads();
        long threadCpu0 = threadCpuNanos(stepping);
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        long now;
        do {
            step.run();
            calls++;
            now = System.nanoTime();
        } while (now - start < nanos);
        long cpu = processCpuNanos() - cpu0;
        long threadCpu = threadCpuNanos(stepping) - threadCpu0;
        lastThreadCpuRate =
                threadCpu > 0 ? calls * (double) coords / (threadCpu * 1e-9) : Double.NaN;
        lastCpuRate = cpu > 0 ? calls * (double) coords / (cpu * 1e-9) : Double.NaN;
        return calls * (double) coords / ((now - start) * 1e-9);
    }

    /** Per repetition of the last {@link #measure}: coordinates per process CPU-second. */
    private static double[] cpuRates = new double[0];

    /** Coordinates per CPU-second of the whole process in the last window (diagnostic). */
    private static double lastCpuRate;

    /** Per repetition of the last {@link #measure}: coordinates per CPU-second of its threads. */
    private static double[] threadCpuRates = new double[0];

    /** Coordinates per CPU-second of the stepping threads in the last window. */
    private static double lastThreadCpuRate;

    /**
     * The threads that run a step: this one and the kernel pool's workers ({@code l2o4j-kernel-*}).
     * Their CPU time is read per thread in nanoseconds; the process's CPU time comes in 10 ms ticks
     * on Linux, too coarse for a window of a few slow steps.
     */
    private static long[] steppingThreads() {
        List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().getId());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("l2o4j-kernel-")) {
                ids.add(t.getId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    /** Summed CPU time of the threads (-1 where the JVM does not measure thread CPU time). */
    private static long threadCpuNanos(long[] ids) {
        java.lang.management.ThreadMXBean threads =
                java.lang.management.ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            return -1;
        }
        long sum = 0;
        for (long id : ids) {
            sum += Math.max(0, threads.getThreadCpuTime(id));
        }
        return sum;
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return -1;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
    }

    static String toJson(Map<String, Object> fields) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(e.getKey()).append("\":");
            Object v = e.getValue();
            if (v instanceof String) {
                sb.append('"').append(v).append('"');
            } else {
                sb.append(v);
            }
        }
        return sb.append('}').toString();
    }

    /** The MLP cell measured next to the LSTM: the defaults of {@code meta-train --cell mlp}. */
    static final LstmConfig MLP_CONFIG =
            LstmConfig.builder().cell(CellType.MLP).layers(2).hidden(32).build();

    /** The GRU cell measured next to the LSTM: the defaults of {@code meta-train --cell gru}. */
    static final LstmConfig GRU_CONFIG = LstmConfig.builder().cell(CellType.GRU).build();

    /** Nanoseconds per coordinate at {@code coordsPerSecond}, to two decimals. */
    static double nanosPer(double coordsPerSecond) {
        return Math.round(1e11 / coordsPerSecond) / 100.0;
    }

    static LstmWeights randomWeights(LstmConfig c, long seed) {
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        double a = 1.0 / Math.sqrt(c.hidden());
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) ((2 * r.nextDouble() - 1) * a);
        }
        return new LstmWeights(c, p);
    }

    static float[] randomGradients(int n, long seed) {
        Random r = new Random(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 5));
        }
        return g;
    }
}
