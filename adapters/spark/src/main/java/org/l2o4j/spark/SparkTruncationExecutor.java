package org.l2o4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.l2o4j.core.meta.MetaGradientContribution;
import org.l2o4j.core.meta.TaskState;
import org.l2o4j.core.meta.TaskTruncation;
import org.l2o4j.core.meta.TruncationContext;
import org.l2o4j.core.meta.TruncationExecutor;
import org.l2o4j.core.meta.TruncationLane;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/**
 * Runs each truncation's tasks as one Spark job: the optimizer weights are broadcast, the tasks'
 * carried {@link TaskState}s (kept on the driver) are partitioned over the executors, each Spark
 * task advances its optimizees through the truncation ({@link TaskTruncation}) and returns its
 * {@link MetaGradientContribution} with the new state, and the driver puts the results in task
 * order. A Spark task's result depends only on (the weights, the task's seed, the iteration, the
 * truncation index, the carried state), so a retried or speculative attempt, on any executor,
 * returns the same bits; a lost executor loses only work Spark reruns.
 */
public final class SparkTruncationExecutor implements TruncationExecutor {
    private final JavaSparkContext jsc;
    private final boolean ownContext;
    private final TruncationContext ctx;
    private final String taskSpec;
    private final int slices;
    private String trainKernel;
    private final Map<String, String> shippedFiles;
    private TaskState[] states;
    private int iteration = -1;

    /** Test hook: (iteration, truncation, task) whose first attempt throws, or null. */
    private volatile int[] failFirstAttempt;

    /** Test hook: (iteration, truncation, task) whose first attempt stalls, or null. */
    private volatile int[] stallFirstAttempt;

    /** Test hook: where a stalled first attempt writes its executor JVM's pid. */
    private volatile String stallPidFile;

    /** First attempts failed on purpose in this JVM (local mode: the tests' count). */
    static final AtomicInteger INJECTED_FAILURES = new AtomicInteger();

    // timing of the last truncation and totals, in nanoseconds
    private long lastBroadcast;
    private long lastCompute;
    private long lastOverhead;
    private long truncations;
    private long sumBroadcast;
    private long sumCompute;
    private long sumOverhead;
    private final Set<String> executorsSeen = new HashSet<>();

    /**
     * @param jsc the Spark context (not stopped by {@link #close} unless {@code ownContext})
     * @param taskSpec the task family as {@link TaskFamilies#parse} reads it
     * @param slices Spark tasks per truncation (at most the tasks per iteration), or 0 for {@code
     *     min(P, defaultParallelism)}
     */
    public SparkTruncationExecutor(
            JavaSparkContext jsc,
            boolean ownContext,
            TruncationContext ctx,
            String taskSpec,
            int slices) {
        this.jsc = jsc;
        this.ownContext = ownContext;
        this.ctx = ctx;
        this.taskSpec = taskSpec;
        int p = ctx.tasksPerIteration();
        this.slices = slices > 0 ? Math.min(slices, p) : Math.min(p, jsc.defaultParallelism());
        registerFrameworkFamilies();
        TaskFamilies.parse(taskSpec); // fail fast on the driver
        this.shippedFiles = shipFiles(jsc, taskSpec);
        try (TruncationLane lane = ctx.newLane(1)) {
            this.trainKernel = lane.trainKernelId();
        }
    }

    /** Task spec options whose value is a file on the driver that executors get a copy of. */
    static final Pattern FILE_OPTION = Pattern.compile("(?<=[\\[;,])(model=)([^;,\\]]+)");

    /**
     * Ships the files the task spec names ({@code model=FILE}, e.g. a {@code dl4j-model}'s network)
     * to the executors with {@link JavaSparkContext#addFile}, so that no shared filesystem is
     * assumed: returns the spec's value for each such file and the name executors find it under
     * with {@link SparkFiles#get}.
     */
    static Map<String, String> shipFiles(JavaSparkContext jsc, String spec) {
        Map<String, String> shipped = new java.util.TreeMap<>();
        Matcher m = FILE_OPTION.matcher(spec);
        while (m.find()) {
            String value = m.group(2).trim();
            java.nio.file.Path file = java.nio.file.Path.of(value);
            if (!shipped.containsKey(value) && java.nio.file.Files.isRegularFile(file)) {
                jsc.addFile(file.toAbsolutePath().toString());
                shipped.put(value, file.getFileName().toString());
            }
        }
        return shipped;
    }

    /** {@code spec} with each shipped file's value replaced by the executor's local copy. */
    static String localSpec(String spec, Map<String, String> shipped) {
        if (shipped.isEmpty()) {
            return spec;
        }
        Matcher m = FILE_OPTION.matcher(spec);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = shipped.get(m.group(2).trim());
            String value = name != null ? SparkFiles.get(name) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Frameworks' task families, when on the class path: what the command line registers. */
    private static final String[] FRAMEWORK_FAMILIES = {"org.l2o4j.dl4j.Dl4jTaskFamilies"};

    /**
     * Registers the task families of the frameworks on this JVM's class path ({@code dl4j-model}
     * when DL4J is there), on the driver and on each executor before it parses the task spec.
     */
    static synchronized void registerFrameworkFamilies() {
        for (String cls : FRAMEWORK_FAMILIES) {
            try {
                Class.forName(cls).getMethod("register").invoke(null);
            } catch (ClassNotFoundException | LinkageError e) {
                // not on the class path: its families stay unknown (a clear error if used)
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot register the task families of " + cls, e);
            }
        }
    }

    /** Test hook: the training kernel id results must report instead of the driver's. */
    void expectTrainKernel(String id) {
        this.trainKernel = id;
    }

    /** The spec's files that executors get a copy of: spec value to file name. */
    public Map<String, String> shippedFiles() {
        return Map.copyOf(shippedFiles);
    }

    /** Makes the first attempt of the given Spark task throw (tests). */
    public void failFirstAttempt(int iteration, int truncation, int task) {
        this.failFirstAttempt = new int[] {iteration, truncation, task};
    }

    /**
     * Makes the first attempt of the given Spark task write its executor JVM's process id to {@code
     * pidFile} (a path on the executor's machine) and then wait, up to two minutes, for that JVM to
     * be killed (tests: an executor lost mid-truncation). Later attempts run normally.
     */
    public void stallFirstAttempt(int iteration, int truncation, int task, String pidFile) {
        this.stallPidFile = pidFile;
        this.stallFirstAttempt = new int[] {iteration, truncation, task};
    }

    /** The number of Spark tasks (partitions) per truncation. */
    public int slices() {
        return slices;
    }

    @Override
    public void beginIteration(int it) {
        iteration = it;
        states = null;
    }

    @Override
    public MetaGradientContribution[] runTruncation(int k, double[] phi) {
        int p = ctx.tasksPerIteration();
        long t0 = System.nanoTime();
        Broadcast<double[]> weights = jsc.broadcast(phi.clone());
        long t1 = System.nanoTime();
        int[] fail = failFirstAttempt;
        int[] stall = stallFirstAttempt;
        List<Work> work = new ArrayList<>(p);
        for (int m = 0; m < p; m++) {
            boolean f = fail != null && fail[0] == iteration && fail[1] == k && fail[2] == m;
            boolean s = stall != null && stall[0] == iteration && stall[1] == k && stall[2] == m;
            work.add(
                    new Work(
                            iteration,
                            m,
                            k,
                            states != null ? states[m] : null,
                            f,
                            s ? stallPidFile : null));
        }
        List<Result> results;
        try {
            results =
                    jsc.parallelize(work, slices)
                            .map(new RunTask(ctx, taskSpec, shippedFiles, weights))
                            .collect();
        } finally {
            weights.destroy();
        }
        long t2 = System.nanoTime();
        MetaGradientContribution[] out = new MetaGradientContribution[p];
        TaskState[] next = new TaskState[p];
        long maxCompute = 0;
        // per Spark task (partition): they run at once when there are no more than the cores
        Map<Integer, Long> perPartition = new java.util.TreeMap<>();
        for (Result r : results) {
            int m = r.contribution.task;
            if (out[m] != null) {
                throw new IllegalStateException("two results for task " + m);
            }
            out[m] = r.contribution.withoutState();
            next[m] = r.contribution.carried;
            perPartition.merge(r.partition, r.computeNanos, Long::sum);
            executorsSeen.add(r.executor);
            if (!r.trainKernel.equals(trainKernel)) {
                throw new IllegalStateException(
                        "Spark executor "
                                + r.executor
                                + " runs the "
                                + r.trainKernel
                                + " training kernel, the driver "
                                + trainKernel
                                + ": the weights would differ from the driver's; start the"
                                + " executors with the driver's JVM options (for the Vector API:"
                                + " spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector)");
            }
        }
        for (long v : perPartition.values()) {
            maxCompute = Math.max(maxCompute, v);
        }
        for (int m = 0; m < p; m++) {
            if (out[m] == null) {
                throw new IllegalStateException("no result for task " + m);
            }
        }
        states = next;
        lastBroadcast = t1 - t0;
        lastCompute = maxCompute;
        lastOverhead = Math.max(0, t2 - t1 - maxCompute);
        truncations++;
        sumBroadcast += lastBroadcast;
        sumCompute += lastCompute;
        sumOverhead += lastOverhead;
        return out;
    }

    /**
     * Executors in use and the mean time per truncation so far: broadcast (making the weights'
     * broadcast on the driver), compute (the longest Spark task's time inside its tasks: the
     * critical path when the Spark tasks run at once) and collect (the rest of the job's wall time:
     * scheduling, shipping states and results, the collect).
     */
    @Override
    public String describe() {
        if (truncations == 0) {
            return "spark " + jsc.master() + ", no truncation yet";
        }
        double n = truncations * 1e6;
        return String.format(
                Locale.ROOT,
                "spark %s: %d executor(s) used, %d task(s) per truncation; per truncation"
                        + " compute %.1f ms, broadcast %.1f ms, collect %.1f ms",
                jsc.master(),
                executorsSeen.size(),
                slices,
                sumCompute / n,
                sumBroadcast / n,
                sumOverhead / n);
    }

    /** Mean milliseconds per truncation so far: {compute, broadcast, collect}. */
    public double[] meanTimesMillis() {
        double n = Math.max(1, truncations) * 1e6;
        return new double[] {sumCompute / n, sumBroadcast / n, sumOverhead / n};
    }

    /** The executors that have returned results. */
    public Set<String> executorsSeen() {
        return Set.copyOf(executorsSeen);
    }

    @Override
    public void close() {
        states = null;
        if (ownContext) {
            jsc.stop();
        }
    }

    /** One task's input: its identity, the truncation and its carried state (null at k = 0). */
    static final class Work implements Serializable {
        private static final long serialVersionUID = 1L;
        final int iteration;
        final int task;
        final int truncation;
        final TaskState state;
        final boolean failFirstAttempt;
        final String stallPidFile;

        Work(
                int iteration,
                int task,
                int truncation,
                TaskState state,
                boolean failFirstAttempt,
                String stallPidFile) {
            this.iteration = iteration;
            this.task = task;
            this.truncation = truncation;
            this.state = state;
            this.failFirstAttempt = failFirstAttempt;
            this.stallPidFile = stallPidFile;
        }
    }

    /** One task's output. */
    static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        final MetaGradientContribution contribution;
        final String executor;
        final int partition;
        final long computeNanos;
        final String trainKernel;

        Result(
                MetaGradientContribution contribution,
                String executor,
                int partition,
                long computeNanos,
                String trainKernel) {
            this.contribution = contribution;
            this.executor = executor;
            this.partition = partition;
            this.computeNanos = computeNanos;
            this.trainKernel = trainKernel;
        }
    }

    /** Runs one task's truncation on an executor. */
    static final class RunTask implements Function<Work, Result> {
        private static final long serialVersionUID = 1L;

        /** Task families per spec, per executor JVM (they may hold loaded datasets). */
        static final Map<String, TaskFamily> FAMILIES = new ConcurrentHashMap<>();

        /** Whether this JVM has registered the frameworks' task families. */
        private static volatile boolean registered;

        private final TruncationContext ctx;
        private final String taskSpec;
        private final Map<String, String> shippedFiles;
        private final Broadcast<double[]> weights;

        RunTask(
                TruncationContext ctx,
                String taskSpec,
                Map<String, String> shippedFiles,
                Broadcast<double[]> weights) {
            this.ctx = ctx;
            this.taskSpec = taskSpec;
            this.shippedFiles = new java.util.TreeMap<>(shippedFiles);
            this.weights = weights;
        }

        @Override
        public Result call(Work w) {
            TaskContext tc = TaskContext.get();
            if (w.failFirstAttempt && tc != null && tc.attemptNumber() == 0) {
                INJECTED_FAILURES.incrementAndGet();
                throw new IllegalStateException(
                        "injected failure of the first attempt of task "
                                + w.task
                                + ", truncation "
                                + w.truncation);
            }
            if (w.stallPidFile != null && tc != null && tc.attemptNumber() == 0) {
                stallUntilKilled(w.stallPidFile);
            }
            long t0 = System.nanoTime();
            if (!registered) {
                registerFrameworkFamilies();
                registered = true;
            }
            TaskFamily family =
                    FAMILIES.computeIfAbsent(
                            localSpec(taskSpec, shippedFiles), TaskFamilies::parse);
            double[] phi = weights.value();
            MetaGradientContribution c;
            TaskState carried;
            String kernel;
            try (TruncationLane lane = ctx.newLane(1)) {
                kernel = lane.trainKernelId();
                TaskTruncation t =
                        w.state == null
                                ? TaskTruncation.start(lane, family, w.iteration, w.task)
                                : TaskTruncation.restore(lane, family, w.state);
                c = t.run(phi, w.truncation);
                carried = t.state();
            }
            MetaGradientContribution out =
                    new MetaGradientContribution(
                            c.task, c.gradient, c.diverged, c.meta, c.loss, carried);
            SparkEnv env = SparkEnv.get();
            String executor = env != null ? env.executorId() : "driver";
            int partition = tc != null ? tc.partitionId() : 0;
            return new Result(out, executor, partition, System.nanoTime() - t0, kernel);
        }

        /** Writes this JVM's pid to {@code pidFile}, then waits up to two minutes to be killed. */
        private static void stallUntilKilled(String pidFile) {
            try {
                java.nio.file.Path target = java.nio.file.Path.of(pidFile);
                java.nio.file.Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
                java.nio.file.Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()));
                java.nio.file.Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Thread.sleep(120_000);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("stalled attempt interrupted", e);
            }
        }
    }
}
