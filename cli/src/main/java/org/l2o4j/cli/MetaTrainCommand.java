package org.l2o4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.l2o4j.cli.report.Durations;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.io.Sha256;
import org.l2o4j.core.io.WeightFileException;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.BpttPrecision;
import org.l2o4j.core.meta.Curriculum;
import org.l2o4j.core.meta.DamagedCheckpointException;
import org.l2o4j.core.meta.GroupedMetaTrainer;
import org.l2o4j.core.meta.HeapEstimate;
import org.l2o4j.core.meta.MetaLossWeighting;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.MetaTrainingListener;
import org.l2o4j.core.meta.RunFiles;
import org.l2o4j.core.meta.RunLockedException;
import org.l2o4j.core.meta.TruncationContext;
import org.l2o4j.core.meta.TruncationExecutor;
import org.l2o4j.core.meta.TruncationExecutorProvider;
import org.l2o4j.core.task.QuadraticTaskFamily;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code l2o meta-train}: meta-trains an LSTM optimizer on a task family and writes its weights.
 *
 * <p>Per-task defaults (recorded in the weight file's metadata):
 *
 * <ul>
 *   <li>{@code quadratic}: raw-gradient input (preprocessing {@code none}, as in the paper; it did
 *       better than log-sign there, docs/design.md section 7), output scale 0.1, uniform weighting,
 *       1,000 meta-iterations of one task, all coordinates;
 *   <li>{@code mnist-mlp}: log-sign input (p = 10), output scale 0.1, {@code linear} weighting
 *       (ended below Adam at step 100 in the reference implementation, uniform did not), 1,000
 *       meta-iterations, backward on 2,048 random coordinates per truncation (3.8x more meta-steps
 *       per second at the same quality in the reference);
 *   <li>every other family ({@code conv}, {@code style}, ...): the defaults of {@code mnist-mlp}.
 * </ul>
 */
@Command(
        name = "meta-train",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Meta-train an LSTM optimizer (first-order truncated BPTT) and write its weights.",
            "Checkpoints every --checkpoint-every iterations and on Ctrl-C; continue with --resume."
        })
public final class MetaTrainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--task",
            required = true,
            description =
                    "Task family: quadratic, mnist-mlp, conv, style, or any family spec"
                            + " name[key=value;...].")
    String task;

    @Mixin TaskVariantOptions data;

    @Option(names = "--out", required = true, description = "Output weight file (.safetensors).")
    Path out;

    @Option(
            names = "--iterations",
            description = "Meta-iterations [quadratic 1000, mnist-mlp 1000].")
    Integer iterations;

    @Option(
            names = "--weighting",
            description =
                    "Meta-loss weighting: uniform|final|linear|discounted:G|steps:S1,S2,... (the final"
                            + " losses at those steps), or a sum of them with optional shares,"
                            + " e.g. linear+steps:100 or 0.7*linear+0.3*steps:100"
                            + " [quadratic uniform, mnist-mlp linear].")
    String weighting;

    @Option(
            names = "--validation-weighting",
            description =
                    "The weighting of the meta-loss on the validation tasks, which chooses the"
                            + " weights written (same forms as --weighting), e.g. linear when"
                            + " training on linear+steps:100, whose step-100 loss would otherwise"
                            + " decide alone [the --weighting].")
    String validationWeighting;

    @Option(names = "--lr", description = "Outer Adam learning rate [1e-3].")
    double learningRate = 1e-3;

    @Option(names = "--clip", description = "Meta-gradient clip norm [1].")
    double clip = 1.0;

    @Option(
            names = "--normalize-meta-gradient",
            description =
                    "Scale every outer step's meta-gradient to the --clip norm times its"
                            + " truncation's share of the --weighting (1 for the largest), not"
                            + " only larger ones, so that each truncation moves the optimizer by"
                            + " its share whatever the size of its losses (for steps:S1,S2,... or"
                            + " linear+steps:100 over long runs, whose late losses are 100-1000x"
                            + " smaller than the early ones) [off].")
    boolean normalizeMetaGradient;

    @Option(
            names = "--train-only",
            description =
                    "Train only some of the optimizer's weights: new-features, with --init FILE"
                            + " --features LIST, trains only the first layer's weights of the"
                            + " input columns LIST adds to the file's (e.g. time:1000 columns,"
                            + " which are near 0 early in a run: what the file does early is"
                            + " kept); every other weight keeps the file's value exactly [all].")
    String trainOnly;

    @Option(
            names = "--estimator",
            description =
                    "The meta-gradient estimator: bptt (first-order truncated backpropagation"
                            + " through time; sees the losses of each truncation only) or pes"
                            + " (persistent evolution strategies, Vicol et al. 2021: antithetic"
                            + " pairs of forward runs over the whole horizon; unbiased for the"
                            + " whole horizon's meta-loss, with no backward, but noisier per"
                            + " outer step) [bptt].")
    String estimator;

    @Option(
            names = "--pes-pairs",
            description = "Antithetic pairs per meta-iteration with --estimator pes [8].")
    Integer pesPairs;

    @Option(
            names = "--pes-sigma",
            description =
                    "Standard deviation of PES's perturbations of the optimizer's weights with"
                            + " --estimator pes [0.01].")
    Double pesSigma;

    @Option(
            names = "--subsample",
            description =
                    "Coordinates in the backward pass, 0 = all [quadratic 0, mnist-mlp 2048].")
    Integer subsample;

    @Option(
            names = "--train-kernel",
            description =
                    "Training arithmetic of the LSTM cell: float (Vector API float32) or double"
                            + " (the original kernel; reproduces runs made before float existed)"
                            + " [float]. The MLP and GRU cells always train in double (the weight"
                            + " file records train_kernel double).")
    String trainKernel;

    @Option(
            names = "--random-scale",
            paramLabel = "LOG10_RANGE",
            description =
                    "Random scaling of each training task (Metz et al. 2020): its loss times"
                            + " 10^U(-R,R) and its parameters reparameterised by another such"
                            + " factor, drawn from the task's seed; validation tasks unscaled;"
                            + " 0 = off [0].")
    double randomScale;

    @Option(
            names = "--curriculum",
            paramLabel = "H:U,H:U,...",
            description =
                    "Curriculum over horizon and unroll (Chen et al. 2020): stages"
                            + " HORIZON:UNROLL from short to long, e.g. 50:10,100:20,200:20; the"
                            + " next stage begins after --curriculum-patience validations without"
                            + " a new best, or at the iterations given as H:U@ITERATION"
                            + " (50:10,100:20@200,200:20@400). Each stage validates at its own"
                            + " horizon; the best weights are chosen within the last stage"
                            + " reached. Replaces --horizon and --unroll [none].")
    String curriculum;

    @Option(
            names = "--curriculum-patience",
            paramLabel = "N",
            description =
                    "--curriculum without @ITERATION: validations in a row without a new best"
                            + " before the next stage [2].")
    Integer curriculumPatience;

    @Option(names = "--validate-every", description = "Validate every K iterations [50].")
    int validateEvery = 50;

    @Option(names = "--checkpoint-every", description = "Checkpoint every K iterations [50].")
    int checkpointEvery = 50;

    @Option(names = "--checkpoint", description = "Checkpoint file [<out>.ckpt].")
    Path checkpoint;

    @Option(names = "--resume", description = "Continue from the checkpoint.")
    boolean resume;

    @Option(
            names = "--overwrite",
            description =
                    "Start again although the checkpoint or --out of an earlier run exists"
                            + " (deletes that checkpoint).")
    boolean overwrite;

    @Mixin MetaBudgetOptions budget;

    @Mixin LstmArchitectureOptions lstm;

    @Option(
            names = "--init",
            description =
                    "Weights to fine-tune instead of a fresh optimizer, in the architecture of the"
                            + " file; of the architecture options only --features, which widens"
                            + " an mlp or gru file's features: the file's features (kept, in any"
                            + " order) plus new ones, whose first-layer weights start at zero, so"
                            + " training starts from the file's updates (bit for bit if the"
                            + " file's features keep their order, else up to float rounding).")
    Path init;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            description =
                    "Run each truncation's tasks on Apache Spark: local[N], local-cluster[...],"
                            + " spark://HOST:PORT, or 'submit' (the master spark-submit gives)."
                            + " Needs the l2o4j-spark adapter on the class path (bin/l2o adds it"
                            + " when --spark is given). Same weights as without it, bit for bit.")
    String spark;

    @Option(
            names = "--per-group",
            description =
                    "Meta-train one weight set per parameter group of the task (the paper's"
                            + " LSTM-sep; conv: conv-kernels, conv-biases, dense-weights,"
                            + " dense-biases) jointly, each group's meta-gradient from its own"
                            + " coordinates; writes a per-group weight file. Double training"
                            + " kernel, one task per iteration, no checkpoints.")
    boolean perGroup;

    @Option(
            names = "--blocks-per-group",
            description =
                    "--per-group: the most blocks of 64 coordinates of one group backpropagated"
                            + " per truncation (a random choice, rescaled) [16].")
    int blocksPerGroup = 16;

    /** The iteration limit of a run with {@code --cpu-budget} and no {@code --iterations}. */
    static final int CPU_BUDGET_ITERATION_CAP = 1_000_000;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outw = spec.commandLine().getOut();
        try {
            return run(err, outw);
        } catch (DamagedCheckpointException e) {
            // I/O errors go to the command line's handler: one line, exit 2
            throw new IOException(
                    e.getMessage()
                            + "; resume from a copy of an earlier checkpoint if you kept one"
                            + " (--checkpoint FILE), or start again with --overwrite",
                    e);
        } catch (RunLockedException e) {
            throw new IOException(
                    "--out "
                            + out
                            + " is in use by another meta-train ("
                            + e.holder()
                            + "; lock file "
                            + e.lockFile()
                            + "); wait for it to end or choose another --out",
                    e);
        } catch (IllegalArgumentException e) {
            return fail(err, e.getMessage());
        }
    }

    /** Refuses a --train-only value other than new-features. */
    private void checkTrainOnly() {
        if (!"new-features".equals(trainOnly)) {
            throw new IllegalArgumentException(
                    "--train-only must be new-features but was '" + trainOnly + "'");
        }
    }

    /**
     * Whether {@code --estimator} asks for PES; refuses an unknown estimator, and PES options
     * without it.
     */
    private boolean pesEstimator() {
        String e = estimator == null ? "bptt" : estimator.trim().toLowerCase(java.util.Locale.ROOT);
        if (!e.equals("bptt") && !e.equals("pes")) {
            throw new IllegalArgumentException(
                    "--estimator must be bptt or pes but was '" + estimator + "'");
        }
        if (e.equals("bptt") && (pesPairs != null || pesSigma != null)) {
            throw new IllegalArgumentException(
                    (pesPairs != null ? "--pes-pairs" : "--pes-sigma")
                            + " needs --estimator pes (the estimator is bptt)");
        }
        return e.equals("pes");
    }

    private static int fail(PrintWriter err, String message) {
        err.println("l2o meta-train: " + message);
        err.flush();
        return 2;
    }

    private int run(PrintWriter err, PrintWriter outw) throws IOException {
        if (curriculum != null && (perGroup || spark != null)) {
            throw new IllegalArgumentException(
                    "--curriculum cannot be combined with "
                            + (perGroup ? "--per-group" : "--spark")
                            + " (the stages run in this JVM with the shared-weights trainer)");
        }
        if (perGroup && validationWeighting != null) {
            throw new IllegalArgumentException(
                    "--validation-weighting is not supported with --per-group (its trainer"
                            + " validates with the --weighting)");
        }
        if (perGroup && normalizeMetaGradient) {
            throw new IllegalArgumentException(
                    "--normalize-meta-gradient is not supported with --per-group (its trainer"
                            + " clips per group)");
        }
        boolean pes = pesEstimator();
        if (pes && (perGroup || spark != null)) {
            throw new IllegalArgumentException(
                    "--estimator pes cannot be combined with "
                            + (perGroup ? "--per-group" : "--spark")
                            + " (its forward runs are in this JVM with the shared-weights"
                            + " trainer)");
        }
        if (trainOnly != null && perGroup) {
            throw new IllegalArgumentException(
                    "--train-only cannot be combined with --per-group (its trainer trains every"
                            + " weight of each group)");
        }
        if (perGroup) {
            return runPerGroup(err, outw);
        }
        if (resume && overwrite) {
            throw new IllegalArgumentException("give --resume or --overwrite, not both");
        }
        if (budget.cpuBudget != null && spark != null) {
            throw new IllegalArgumentException(
                    "--cpu-budget counts this process's CPU time, which does not include the work"
                            + " of Spark executors; give --cpu-budget or --spark, not both");
        }
        Progress progress = new Progress(err, System.console() != null, quiet);
        MetaTrainingConfig config = buildConfig(progress);
        Curriculum cur = config.curriculum();
        if (cur != null && cur.scheduled()) {
            for (Curriculum.Stage st : cur.stages()) {
                if (st.start() > config.iterations()) {
                    err.printf(
                            Locale.ROOT,
                            "l2o meta-train: curriculum stage %s starts after this run's %d"
                                    + " iterations; it is reached only if the run is continued"
                                    + " with --resume and more --iterations%n",
                            st,
                            config.iterations());
                }
            }
        }
        progress.cpuBudget = config.cpuBudgetSeconds();
        Path ckpt = config.checkpointPath();
        // Before any work: both files can be written (parent directories are created).
        RunFiles.checkWritableFile(out, "--out");
        RunFiles.checkWritableFile(ckpt, "checkpoint");
        checkHeap(config);
        try (RunFiles.Lock lock = RunFiles.lock(lockFile(out))) {
            progress.lock = lock;
            if (lock.staleHolder() != null) {
                err.println(
                        "l2o meta-train: reusing the lock file "
                                + lock.file()
                                + " left by a process that ended without removing it"
                                + (lock.staleHolder().isEmpty()
                                        ? ""
                                        : " (" + lock.staleHolder() + ")"));
            }
            if (!resume && !overwrite && (Files.exists(ckpt) || Files.exists(out))) {
                Path existing = Files.exists(ckpt) ? ckpt : out;
                throw new IllegalArgumentException(
                        (existing == ckpt ? "the checkpoint " : "the output ")
                                + existing
                                + " exists (an earlier run); continue it with --resume, or"
                                + " start again with --overwrite (deletes it)");
            }
            List<Path> stale = new ArrayList<>(RunFiles.removeStaleTemporaries(ckpt));
            stale.addAll(RunFiles.removeStaleTemporaries(out));
            if (!stale.isEmpty()) {
                err.println(
                        "l2o meta-train: removed "
                                + stale.size()
                                + " temporary file(s) of an interrupted write: "
                                + stale.stream()
                                        .map(p -> p.getFileName().toString())
                                        .collect(Collectors.joining(", ")));
            }
            if (overwrite) {
                Files.deleteIfExists(ckpt);
            }
            MetaTrainer trainer = new MetaTrainer(config);
            if (resume) {
                int done = trainer.checkpointedIterations();
                int total = config.iterations();
                if (done > total || (done == total && Files.exists(out))) {
                    err.printf(
                            Locale.ROOT,
                            "l2o meta-train: the checkpoint %s already has %d of %d iterations;"
                                    + " nothing to do (raise --iterations to continue)%n",
                            ckpt,
                            done,
                            total);
                    err.flush();
                    return 0;
                }
            }
            LstmWeights w;
            if (spark != null) {
                try (TruncationExecutor ex = sparkExecutor(config)) {
                    progress.executor = ex;
                    w = trainer.executor(ex).train();
                    if (!quiet) {
                        err.println("meta-train: " + ex.describe());
                    }
                }
            } else {
                w = trainer.train();
            }
            try {
                WeightFiles.write(out, w);
            } catch (IOException e) {
                throw new IOException("cannot write --out " + out + ": " + RunFiles.reason(e), e);
            }
            Map<String, String> md = w.metadata();
            outw.printf(
                    Locale.ROOT,
                    "wrote %s: best validation meta-loss %s at iteration %s of %s (%s runs, %s s)%n",
                    out,
                    md.get(WeightMetadata.BEST_VALIDATION_LOSS),
                    md.get(WeightMetadata.BEST_ITERATION),
                    md.get(WeightMetadata.ITERATIONS),
                    md.get(WeightMetadata.OPTIMIZATION_RUNS),
                    md.get(WeightMetadata.WALL_TIME_SECONDS));
            if (config.cpuBudgetSeconds() > 0) {
                outw.printf(
                        Locale.ROOT,
                        "%s: %s CPU-s in meta-iterations of the --cpu-budget %s s, %s of at most %d"
                                + " iterations%n",
                        WeightMetadata.STOPPED_BY_CPU_BUDGET.equals(
                                        md.get(WeightMetadata.STOPPED_BY))
                                ? "stopped by the CPU budget"
                                : "all iterations done within the CPU budget",
                        md.get(WeightMetadata.CPU_SECONDS),
                        md.get(WeightMetadata.CPU_BUDGET_SECONDS),
                        md.get(WeightMetadata.ITERATIONS),
                        config.iterations());
            }
            outw.flush();
            return 0;
        }
    }

    /**
     * The Spark executor, found with {@link ServiceLoader} so that this module needs no Spark at
     * compile time (and the demo never loads it).
     */
    private TruncationExecutor sparkExecutor(MetaTrainingConfig config) {
        for (TruncationExecutorProvider p : ServiceLoader.load(TruncationExecutorProvider.class)) {
            if (p.name().equals("spark")) {
                return p.create(spark, TruncationContext.of(config), taskSpec());
            }
        }
        throw new IllegalArgumentException(
                "--spark needs the l2o4j-spark adapter (adapters/spark) on the class path;"
                        + " bin/l2o adds it when --spark is given");
    }

    /** The task family as {@link TaskFamilies#parse} reads it (what Spark executors rebuild). */
    String taskSpec() {
        if (task.contains("[")) {
            return task;
        }
        Map<String, String> opts = data.toOptions();
        if (opts.isEmpty()) {
            return task;
        }
        return task
                + opts.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(",", "[", "]"));
    }

    /** The lock file of an output: {@code OUT.lock} next to it. */
    static Path lockFile(Path out) {
        return Path.of(out + ".lock");
    }

    /** Refuses sizes whose arrays cannot fit in this JVM's heap (instead of OutOfMemoryError). */
    private static void checkHeap(MetaTrainingConfig config) {
        long dim = config.validationFamily().sample(1L << 61).dimension();
        int stages = config.curriculum() == null ? 1 : config.curriculum().size();
        for (int s = 0; s < stages; s++) {
            MetaTrainingConfig c = config.curriculum() == null ? config : config.stageConfig(s);
            String refusal =
                    HeapEstimate.metaTraining(c, dim).check(Runtime.getRuntime().maxMemory());
            if (refusal != null) {
                throw new IllegalArgumentException(
                        (stages > 1
                                        ? "curriculum stage "
                                                + c.horizon()
                                                + ":"
                                                + c.unroll()
                                                + ": "
                                        : "")
                                + refusal);
            }
        }
    }

    MetaTrainingConfig buildConfig(MetaTrainingListener listener) throws IOException {
        // the shared options (MetaBudgetOptions) with meta-train's defaults
        int horizon = MetaBudgetOptions.or(budget.horizon, 100);
        int unroll = MetaBudgetOptions.or(budget.unroll, 20);
        int tasksPerIteration = MetaBudgetOptions.or(budget.tasksPerIteration, 1);
        int validationTasks = MetaBudgetOptions.or(budget.validationTasks, 20);
        int threads =
                MetaBudgetOptions.or(budget.threads, Runtime.getRuntime().availableProcessors());
        long seed = budget.seed != null ? budget.seed : 0L;
        TaskFamily family = family();
        boolean quadratic = family instanceof QuadraticTaskFamily;
        boolean pes = pesEstimator();
        MetaTrainingConfig.Builder b = MetaTrainingConfig.builder().taskFamily(family);
        if (curriculum != null) {
            if (budget.horizon != null || budget.unroll != null) {
                throw new IllegalArgumentException(
                        "--curriculum gives the horizon and unroll of each stage (H:U,...); do"
                                + " not combine it with --horizon or --unroll");
            }
            b.curriculum(Curriculum.parse(curriculum, curriculumPatience));
        } else if (curriculumPatience != null) {
            throw new IllegalArgumentException(
                    "--curriculum-patience needs --curriculum (stages HORIZON:UNROLL,...)");
        }
        if (init != null) {
            if (lstm.anyButFeatures()) {
                throw new IllegalArgumentException(
                        "--init fine-tunes the architecture of its file; do not combine it with"
                                + " --cell, --lstm-layers, --lstm-hidden, --mlp-layers,"
                                + " --mlp-hidden, --mlp-activation, --preprocessing, --log-sign-p"
                                + " or --output-scale (--features may widen an mlp or gru file's"
                                + " features)");
            }
            LstmWeights start = readInit();
            String from = init.getFileName() + " (sha256 " + Sha256.of(init) + ")";
            if (lstm.features() != null) {
                FeatureSet old = start.config().features();
                FeatureSet wider = FeatureSet.parse(lstm.features());
                try {
                    start = LstmWeights.widenFeatures(start, wider);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "--init " + init + " with --features: " + e.getMessage(), e);
                }
                if (!wider.equals(old)) {
                    from += ", features widened from " + old.id() + " to " + wider.id();
                }
                if (trainOnly != null) {
                    checkTrainOnly();
                    if (wider.equals(old)) {
                        throw new IllegalArgumentException(
                                "--train-only new-features: --features "
                                        + wider.id()
                                        + " adds no feature to the file's "
                                        + old.id());
                    }
                    b.trainable(
                            LstmWeights.newFeatureParameters(old, start.config()), "new-features");
                }
            }
            b.initialWeights(start);
            b.putMetadata(WeightMetadata.INITIALIZED_FROM, from);
        }
        if (trainOnly != null && (init == null || lstm.features() == null)) {
            checkTrainOnly();
            throw new IllegalArgumentException(
                    "--train-only new-features needs --init FILE and --features LIST that widens"
                            + " the file's features (the new columns are what it trains)");
        }
        if (init == null) {
            LstmConfig.Builder lc =
                    lstm.applyTo(
                            LstmConfig.builder(),
                            quadratic ? Preprocessing.NONE : Preprocessing.LOG_SIGN);
            b.lstmConfig(lc.build());
        }
        double cpuBudget = budget.cpuBudget != null ? budget.cpuBudget : 0;
        if (budget.cpuBudget != null && !(cpuBudget > 0 && Double.isFinite(cpuBudget))) {
            throw new IllegalArgumentException(
                    "--cpu-budget must be a positive number of seconds but was "
                            + budget.cpuBudget);
        }
        b.iterations(
                        iterations != null
                                ? iterations
                                : cpuBudget > 0 ? CPU_BUDGET_ITERATION_CAP : 1000)
                .cpuBudgetSeconds(cpuBudget)
                .weighting(
                        MetaLossWeighting.parse(
                                weighting != null ? weighting : quadratic ? "uniform" : "linear"))
                .coordinateSubsample(subsample != null ? subsample : quadratic || pes ? 0 : 2048)
                .horizon(horizon)
                .unroll(unroll)
                .learningRate(learningRate)
                .clipNorm(clip)
                .tasksPerIteration(tasksPerIteration)
                .threads(threads)
                .seed(seed)
                .randomScale(randomScale)
                .normalizeMetaGradient(normalizeMetaGradient)
                .validationWeighting(
                        validationWeighting == null
                                ? null
                                : MetaLossWeighting.parse(validationWeighting))
                .validationTasks(validationTasks)
                .validateEvery(validateEvery)
                .checkpointEvery(checkpointEvery)
                .checkpointPath(checkpoint != null ? checkpoint : Path.of(out + ".ckpt"))
                .resume(resume)
                .trainKernel(
                        trainKernel != null
                                ? BpttPrecision.parse(trainKernel)
                                : BpttPrecision.FLOAT)
                .putMetadata(WeightMetadata.GIT_COMMIT, GitCommit.head())
                .putMetadata(WeightMetadata.COMMAND, commandLine());
        if (pes) {
            b.pes(pesPairs != null ? pesPairs : 8, pesSigma != null ? pesSigma : 0.01);
        }
        b.listener(listener);
        return b.build();
    }

    /** {@code --per-group}: {@link GroupedMetaTrainer} with the options that apply to it. */
    private int runPerGroup(PrintWriter err, PrintWriter outw) throws IOException {
        if (resume
                || spark != null
                || subsample != null
                || trainKernel != null
                || budget.cpuBudget != null) {
            throw new IllegalArgumentException(
                    "--per-group does not take --resume, --spark, --subsample, --train-kernel or"
                            + " --cpu-budget"
                            + " (it runs the double training kernel with --blocks-per-group, one"
                            + " task per iteration, without checkpoints)");
        }
        int tasksPerIteration = MetaBudgetOptions.or(budget.tasksPerIteration, 1);
        if (tasksPerIteration != 1) {
            throw new IllegalArgumentException(
                    "--per-group runs one task per iteration, not --tasks-per-iteration "
                            + tasksPerIteration);
        }
        if (Files.exists(out) && !overwrite) {
            throw new IllegalArgumentException(
                    "--out " + out + " exists; choose another --out or give --overwrite");
        }
        RunFiles.checkWritableFile(out, "--out");
        TaskFamily family = family();
        boolean quadratic = family instanceof QuadraticTaskFamily;
        GroupedWeights start = null;
        LstmConfig config;
        if (init != null) {
            if (lstm.any()) {
                throw new IllegalArgumentException(
                        "--init fine-tunes the architecture of its file; do not combine it with"
                                + " the architecture options (--per-group does not widen"
                                + " --features)");
            }
            try {
                start = GroupedWeightFiles.read(init);
            } catch (WeightFileException e) {
                throw new IOException(
                        "--init " + init + " is not a usable weight file: " + e.getMessage(), e);
            }
            config = start.config();
        } else {
            config =
                    lstm.applyTo(
                                    LstmConfig.builder(),
                                    quadratic ? Preprocessing.NONE : Preprocessing.LOG_SIGN)
                            .build();
        }
        int iters = iterations != null ? iterations : 1000;
        int every = Math.max(1, validateEvery);
        GroupedMetaTrainer.Config c =
                new GroupedMetaTrainer.Config()
                        .lstm(config)
                        .horizon(MetaBudgetOptions.or(budget.horizon, 100))
                        .unroll(MetaBudgetOptions.or(budget.unroll, 20))
                        .weighting(
                                MetaLossWeighting.parse(
                                        weighting != null
                                                ? weighting
                                                : quadratic ? "uniform" : "linear"))
                        .iterations(iters)
                        .learningRate(learningRate)
                        .clipNorm(clip)
                        .seed(budget.seed != null ? budget.seed : 0L)
                        .threads(
                                MetaBudgetOptions.or(
                                        budget.threads, Runtime.getRuntime().availableProcessors()))
                        .blocksPerGroup(blocksPerGroup)
                        .validationTasks(MetaBudgetOptions.or(budget.validationTasks, 20))
                        .validateEvery(every);
        long t0 = System.nanoTime();
        int tenth = Math.max(1, iters / 10);
        GroupedMetaTrainer trainer =
                new GroupedMetaTrainer(family, c, start)
                        .onIteration(
                                it -> {
                                    if (!quiet && ((it + 1) % tenth == 0 || it + 1 == iters)) {
                                        err.printf(
                                                "meta-train --per-group: iteration %d/%d (%.0f s)%n",
                                                it + 1, iters, (System.nanoTime() - t0) * 1e-9);
                                        err.flush();
                                    }
                                });
        GroupedWeights w = trainer.train();
        Map<String, String> md = new java.util.LinkedHashMap<>(w.metadata());
        md.put(WeightMetadata.COMMAND, commandLine());
        md.put(WeightMetadata.GIT_COMMIT, GitCommit.head());
        if (init != null) {
            md.put(
                    WeightMetadata.INITIALIZED_FROM,
                    init.getFileName() + " (sha256 " + Sha256.of(init) + ")");
        }
        GroupedWeightFiles.write(out, w.withMetadata(md));
        outw.printf(
                "Wrote %s: per-group optimizer, groups %s, %d iterations, %.1f s%n",
                out, w.groups(), iters, (System.nanoTime() - t0) * 1e-9);
        outw.flush();
        return 0;
    }

    /** Reads {@code --init}, saying what is wrong with it in one line. */
    private LstmWeights readInit() throws IOException {
        String head = "cannot read --init " + init + ": ";
        if (!Files.exists(init)) {
            throw new IOException(head + "no such file");
        }
        if (Files.isDirectory(init)) {
            throw new IOException(head + "it is a directory, not a weight file");
        }
        try {
            return WeightFiles.read(init);
        } catch (WeightFileException e) {
            throw new IOException(
                    "--init " + init + " is not a usable weight file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(head + RunFiles.reason(e), e);
        }
    }

    private TaskFamily family() {
        Map<String, String> opts = data.toOptions();
        if (task.contains("[")) {
            if (!opts.isEmpty()) {
                throw new IllegalArgumentException(
                        "give task options either inside --task name[...] or as flags, not both");
            }
            return TaskFamilies.parse(task);
        }
        return TaskFamilies.create(task, opts);
    }

    private String commandLine() {
        return CommandLines.render(
                "meta-train", spec.commandLine().getParseResult().originalArgs());
    }

    /** Progress bar on a terminal, plain log lines otherwise. */
    static final class Progress implements MetaTrainingListener {
        private final PrintWriter err;
        private final boolean terminal;
        private final boolean quiet;
        private double bestVal = Double.NaN;
        private long lastLine;

        /** A distributed executor whose description follows each iteration line, or null. */
        volatile TruncationExecutor executor;

        /** Released by the shutdown hook once the checkpoint is on disk. */
        volatile RunFiles.Lock lock;

        /** Set on shutdown: the training thread's last lines would follow the "stopped" one. */
        private volatile boolean stopped;

        /** The CPU budget in seconds (0 = none): progress lines then show no iteration total. */
        double cpuBudget;

        Progress(PrintWriter err, boolean terminal, boolean quiet) {
            this.err = err;
            this.terminal = terminal;
            this.quiet = quiet;
        }

        @Override
        public void onStart(int completed, int iterations) {
            if (quiet || stopped) {
                return;
            }
            if (completed >= iterations) {
                err.printf(
                        Locale.ROOT,
                        "meta-train: the checkpoint has all %d iterations; writing the output%n",
                        iterations);
            } else {
                err.printf(
                        Locale.ROOT,
                        "meta-train: %s iterations %d..%d%s%n",
                        completed == 0 ? "starting" : "resuming,",
                        completed + 1,
                        iterations,
                        cpuBudget > 0
                                ? ", or until " + cpuBudget + " CPU-s are spent in meta-iterations"
                                : "");
            }
            err.flush();
        }

        @Override
        public void onShutdownCheckpoint(Path path, int completedIterations) {
            stopped = true;
            if (terminal) {
                err.print("\r\033[K");
            }
            err.printf(
                    Locale.ROOT,
                    "l2o meta-train: stopped; wrote the checkpoint of iteration %d to %s"
                            + " (continue with --resume)%n",
                    completedIterations,
                    path);
            err.flush();
            RunFiles.Lock l = lock;
            if (l != null) {
                l.close();
            }
        }

        @Override
        public void onStage(StageChange c) {
            if (quiet || stopped) {
                return;
            }
            if (terminal) {
                err.print("\r\033[K");
            }
            err.printf(
                    Locale.ROOT,
                    "curriculum: stage %d of %d (horizon %d, unroll %d) from iteration %d%s%n",
                    c.stage() + 1,
                    c.stages(),
                    c.horizon(),
                    c.unroll(),
                    c.iteration(),
                    c.stage() > 0 ? "; the best weights are chosen within this stage" : "");
            err.flush();
        }

        @Override
        public void onCpuBudgetSpent(
                int completedIterations, double cpuSeconds, double budgetSeconds) {
            if (quiet || stopped) {
                return;
            }
            if (terminal) {
                err.print("\r\033[K");
            }
            err.printf(
                    Locale.ROOT,
                    "meta-train: CPU budget spent (%.2f of %s CPU-s in meta-iterations) after"
                            + " iteration %d; keeping the best validated weights%n",
                    cpuSeconds,
                    Double.toString(budgetSeconds),
                    completedIterations);
            err.flush();
        }

        @Override
        public void onValidation(ValidationResult v) {
            if (quiet || stopped) {
                return;
            }
            bestVal = v.bestMetaLoss();
            if (terminal) {
                err.print("\r\033[K");
            }
            err.printf(
                    Locale.ROOT,
                    "validation at iteration %d: meta-loss %.4g, final loss %.4g%s%n",
                    v.iteration(),
                    v.metaLoss(),
                    v.finalLoss(),
                    v.best() ? " (best)" : "");
            err.flush();
        }

        @Override
        public void onIteration(IterationProgress p) {
            if (quiet || stopped) {
                return;
            }
            long now = System.nanoTime();
            boolean last = p.iteration() == p.iterations();
            if (terminal) {
                if (now - lastLine < 100_000_000L && !last) {
                    return;
                }
                lastLine = now;
                int width = 30;
                int filled = (int) ((long) width * p.iteration() / p.iterations());
                err.printf(
                        Locale.ROOT,
                        "\r\033[K[%s%s] %d/%d meta-loss %.4g best val %.4g ETA %s",
                        "#".repeat(filled),
                        "-".repeat(width - filled),
                        p.iteration(),
                        p.iterations(),
                        p.metaLoss(),
                        bestVal,
                        Durations.format(cpuBudget > 0 ? Double.NaN : p.etaSeconds()));
                if (last) {
                    err.println();
                }
            } else {
                if (now - lastLine < 10_000_000_000L && !last) {
                    return;
                }
                lastLine = now;
                err.printf(
                        Locale.ROOT,
                        "iteration %d/%d meta-loss %.4g final loss %.4g grad norm %.3g elapsed %s"
                                + " ETA %s%n",
                        p.iteration(),
                        p.iterations(),
                        p.metaLoss(),
                        p.finalLoss(),
                        p.gradNorm(),
                        Durations.format(p.elapsedSeconds()),
                        Durations.format(cpuBudget > 0 ? Double.NaN : p.etaSeconds()));
                TruncationExecutor ex = executor;
                if (ex != null && ex.describe() != null) {
                    err.println("  " + ex.describe());
                }
            }
            err.flush();
        }
    }
}
