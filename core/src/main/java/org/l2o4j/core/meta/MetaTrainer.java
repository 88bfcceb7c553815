package org.l2o4j.core.meta;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.task.Task;

/**
 * Meta-trains a coordinatewise LSTM optimizer with the first-order meta-gradient and truncated
 * backpropagation through time (docs/design.md section 2).
 *
 * <h2>What one meta-iteration does</h2>
 *
 * It samples {@code tasksPerIteration} training tasks and optimizes them side by side for {@code
 * horizon} steps with the current optimizer (double precision, the same math as {@link
 * org.l2o4j.core.lstm.LstmOptimizer}). The horizon is cut into truncations of {@code unroll} steps;
 * the optimizee and the LSTM states carry across truncations, and after each truncation the
 * meta-gradient of that truncation's part of the meta-loss drives one step of the outer optimizer
 * ({@link OuterAdam}, after clipping to global norm {@code clipNorm}, or with {@link
 * MetaTrainingConfig#normalizeMetaGradient()} after scaling to {@code clipNorm} times the
 * truncation's share of the weighting), so later truncations of the same run already use the
 * updated optimizer, as in the paper.
 *
 * <h2>Which losses belong to a truncation</h2>
 *
 * With {@code theta_0} the initial point and {@code theta_{s+1} = theta_s + g_s} where {@code g_s}
 * is the optimizer's update computed from {@code grad_s = grad f(theta_s)} (minibatch {@code s}),
 * truncation {@code k} covers the updates {@code g_s}, {@code s in [kU, min((k+1)U, T))}, and its
 * loss is {@code L_k = sum_{t = kU+1 .. min((k+1)U, T)} w_t f(theta_t)} with {@code f(theta_t)}
 * evaluated on minibatch {@code t}; the truncations' losses sum to the full meta-loss {@code L =
 * sum_{t=1..T} w_t f(theta_t)} ({@link MetaLossWeighting}, weights summing to 1). First-order:
 * optimizee gradients are constants, so {@code dL_k/dg_s = sum_{t=s+1}^{end of k} w_t grad_t} (per
 * coordinate) is the upstream gradient of the update {@code g_s}, and {@code dL_k/dphi} is
 * backpropagation through the LSTM alone; gradients into the LSTM state before the truncation are
 * dropped. A truncation whose weights are all zero (earlier truncations under {@code final}) has no
 * meta-gradient and makes no outer step.
 *
 * <h2>Estimator, determinism, threads</h2>
 *
 * The meta-gradient is the mean over the iteration's tasks, and it decomposes by task: each task is
 * a {@link TaskTruncation} whose contribution to truncation {@code k} ({@link
 * MetaGradientContribution}) depends only on (phi, the task's seed, the iteration, {@code k}, the
 * task's carried {@link TaskState}); the contributions are added in task order in double and
 * divided by the number of tasks {@code P}. A {@link TruncationExecutor} runs the tasks'
 * truncations: in this JVM by default ({@link LocalTruncationExecutor}), or on a cluster (the
 * {@code l2o4j-spark} adapter) with bit-identical results. Within a task, coordinates are processed
 * in blocks of {@value DoubleBptt#BLOCK}; each block accumulates its own meta-gradient, and the
 * blocks are summed in block order, so results are bit-identical for a given seed whatever the
 * thread count. With a coordinate subsample {@code S > 0}, each task's coordinates are shuffled
 * with the task's own stream, and each task backpropagates {@code min(blocks, ceil(ceil(S/64)/P))}
 * of its blocks per truncation, chosen with its own stream and scaled by {@code
 * blocks/backpropagated} (unbiased). Task 0 uses the streams all tasks shared before this
 * decomposition, so one-task runs are unchanged by it; runs with several tasks per iteration differ
 * from those of earlier versions. Backpropagated blocks run the training kernel's forward with
 * stored activations and its backward: by default the float32 {@link FloatBptt} (Vector API, or its
 * scalar fallback), or the double-precision {@link DoubleBptt} with {@link
 * MetaTrainingConfig#trainKernel()} {@link BpttPrecision#DOUBLE} (what every optimizer trained
 * before the float kernel used; it reproduces them bit for bit). The other coordinates only need
 * their updates and get them from the float inference kernel ({@link LstmOptimizer}, the code users
 * run), whose per-coordinate results do not depend on threads either. That kernel runs with {@link
 * org.l2o4j.core.lstm.ZeroGradientPolicy#UPDATE} (every coordinate steps, zero gradient or not), as
 * the training kernels do: meta-training optimizes the LSTM as it was before the zero-gradient
 * option existed, and the shipped optimizers regenerate bit-identically. Users' default {@code
 * FREEZE} only differs on exactly-zero gradients. A checkpoint resumed on a JVM without {@code
 * jdk.incubator.vector} (scalar float kernels) may therefore continue on a slightly different
 * trajectory. The weight file records the training kernel ({@code train_kernel}).
 *
 * <h2>PES</h2>
 *
 * With {@link MetaTrainingConfig#pesPairs()} {@code > 0} the meta-gradient of each truncation is
 * instead PES's ({@link MetaTrainingConfig.Builder#pes}, {@link PesEpisode}): the iteration's tasks
 * (same seeds and scales) run forward only in {@code 2 x pairs} copies with antithetic
 * perturbations of phi, each copy's point and optimizer state carried across truncations; the outer
 * step (clip or normalization) is the same. It runs in this JVM (no {@link
 * #executor(TruncationExecutor)}) with the float inference kernel, so {@link
 * MetaTrainingConfig#trainKernel()} and the coordinate subsample play no part. Its perturbations
 * come from their own stream ({@code seed}, iteration, truncation, pair), so runs are
 * deterministic, independent of the thread count, and resume bit-identically.
 *
 * <p>With {@link MetaTrainingConfig#trainable()} set, every outer step (either estimator) first
 * zeroes the meta-gradient of the frozen weights, so they keep their initial values exactly.
 *
 * <h2>Seeds</h2>
 *
 * Training task seeds are in {@code [2^62, 2^63)}, validation task seeds are {@code 2^61 + 0..V-1},
 * so any seed below {@code 2^61} (for example 0..999 in an evaluation) is never seen in
 * meta-training. With {@link MetaTrainingConfig#randomScale()} {@code r > 0}, each training task is
 * a {@link org.l2o4j.core.task.ScaledTask} whose loss and parameter scales ({@code 10^U(-r, r)})
 * are drawn from its seed; validation tasks are never scaled.
 *
 * <h2>Initialisation</h2>
 *
 * A fresh optimizer ({@link #initialParameters}) has every LSTM weight and bias uniform in {@code
 * (-1/sqrt(H), 1/sqrt(H))} (PyTorch's LSTM default), forget-gate biases set to 1, output weights
 * uniform in {@code (-1/sqrt(H), 1/sqrt(H))} and output bias 0.
 *
 * <h2>Validation and checkpoints</h2>
 *
 * The weighted meta-loss on the validation tasks (mean over tasks; float inference kernel on the
 * float weights, exactly what {@link #train()} returns) is measured before training and every
 * {@code validateEvery} meta-iterations and at the end; {@link #train()} returns the best weights
 * seen. With a CPU budget ({@link MetaTrainingConfig#cpuBudgetSeconds()}) the end is the first
 * meta-iteration after which the process CPU time spent in meta-iterations (validation and
 * checkpoint writes excluded, summed over resumed sessions in the checkpoint) reaches the budget,
 * or the last iteration, whichever comes first; the weight file records the CPU seconds, the budget
 * and which of the two ended the run ({@link WeightMetadata#STOPPED_BY}). Checkpoints ({@link
 * Checkpoint}) are written every {@code checkpointEvery} meta-iterations, at the end, and from a
 * shutdown hook on SIGINT/SIGTERM ({@link CheckpointWriter}: the state of the last completed
 * meta-iteration; {@link MetaTrainingListener#onShutdownCheckpoint} then says where). Checkpoints
 * carry a SHA-256 of their content, checked before resuming ({@link DamagedCheckpointException}).
 * The weight file's metadata keys are in {@link WeightMetadata}.
 *
 * <h2>Curriculum</h2>
 *
 * With {@link MetaTrainingConfig#curriculum()} (a {@link Curriculum}), the iterations run stage by
 * stage, each with its own horizon, unroll and meta-loss weights ({@link
 * MetaTrainingConfig#stageConfig}, a fresh truncation lane per stage; the weights and the outer
 * optimizer's state carry on). Validation uses the current stage's horizon; at a stage change the
 * current weights are validated at the new horizon and become the stage's best, so {@link #train()}
 * returns the best weights of the last stage reached. The stage, its count of validations without
 * improvement and the stages' start iterations are in the checkpoint, so a resumed run continues
 * exactly as an uninterrupted one. A curriculum runs in this JVM only (no {@link
 * #executor(TruncationExecutor)}).
 */
public final class MetaTrainer {
    private static final long STREAM_INIT = 0x7A5C_0004L;
    private static final long STREAM_PES = 0x7A5C_0005L;

    private final MetaTrainingConfig config;
    private final DoubleBptt kernel;

    /** The float training kernel, or null when the config asks for the double one. */
    private final FloatBptt floatKernel;

    /** The meta-loss weights of the current stage's horizon (the only one without curriculum). */
    private double[] weights;

    /**
     * Each truncation's share of the current stage's meta-loss weight relative to the largest one
     * ({@code sum of w_t over its steps / max over truncations}): the norm, as a fraction of the
     * clip norm, that {@link MetaTrainingConfig#normalizeMetaGradient()} gives its meta-gradient.
     */
    private double[] truncationShares;

    /** The validation meta-loss weights of the current stage's horizon. */
    private double[] validationWeights;

    /**
     * The parameters the outer steps may move ({@link MetaTrainingConfig#trainable()}), or null for
     * all.
     */
    private final boolean[] trainable;

    /** The config of the current curriculum stage ({@link #config} without a curriculum). */
    private MetaTrainingConfig stageConfig;

    private final OuterOptimizer outer;
    private Checkpoint state;
    private Task[] validationTasks;
    private TruncationExecutor executor;
    private final MetaProfile profile = MetaProfile.ENABLED ? new MetaProfile() : null;

    /** A trainer for {@code config}; nothing runs until {@link #train()}. */
    public MetaTrainer(MetaTrainingConfig config) {
        this.config = config;
        this.kernel = new DoubleBptt(config.lstmConfig());
        this.floatKernel =
                config.trainKernel() == BpttPrecision.FLOAT
                        ? FloatBptt.create(config.lstmConfig())
                        : null;
        useStage(config);
        this.outer = new OuterAdam(config.learningRate());
        this.trainable = config.trainable();
    }

    /** Switches the horizon, unroll and meta-loss weights to curriculum stage {@code s}. */
    private void enterStage(int s) {
        useStage(config.stageConfig(s));
    }

    /** Makes {@code stage} current, with the weights and shares of its horizon and unroll. */
    private void useStage(MetaTrainingConfig stage) {
        stageConfig = stage;
        weights = config.weighting().weights(stage.horizon());
        truncationShares = truncationShares(weights, stage.unroll());
        validationWeights = config.validationWeighting().weights(stage.horizon());
    }

    /**
     * The weight of each truncation of {@code unroll} steps ({@code w[kU+1 .. min((k+1)U, T)]}
     * summed) over the largest such sum.
     */
    static double[] truncationShares(double[] weights, int unroll) {
        int horizon = weights.length - 1;
        int n = (horizon + unroll - 1) / unroll;
        double[] share = new double[n];
        double max = 0;
        for (int k = 0; k < n; k++) {
            for (int t = k * unroll + 1; t <= Math.min((k + 1) * unroll, horizon); t++) {
                share[k] += weights[t];
            }
            max = Math.max(max, share[k]);
        }
        for (int k = 0; k < n; k++) {
            share[k] /= max;
        }
        return share;
    }

    /** The truncation executor of the current stage (the user's, or one in this JVM). */
    private TruncationExecutor stageExecutor(Workers workers) {
        if (executor != null) {
            return executor;
        }
        TruncationLane lane = new TruncationLane(TruncationContext.of(stageConfig), workers);
        lane.profile = profile;
        return new LocalTruncationExecutor(lane, config.taskFamily());
    }

    /**
     * Runs the truncations with {@code ex} (e.g. on a cluster) instead of in this JVM; the trainer
     * still owns the weights, the outer optimizer, validation and checkpoints. It does not close
     * {@code ex}. Results are bit-identical whatever the executor.
     *
     * @return this trainer
     */
    public MetaTrainer executor(TruncationExecutor ex) {
        this.executor = ex;
        return this;
    }

    /** The training kernel in use: {@code float-vector}, {@code float-scalar} or {@code double}. */
    public String trainKernelId() {
        return floatKernel != null ? floatKernel.id() : "double";
    }

    /** The validation history so far: {iteration, meta-loss, final loss} rows. */
    public List<double[]> validationHistory() {
        List<double[]> out = new ArrayList<>();
        if (state != null) {
            for (double[] h : state.history) {
                out.add(h.clone());
            }
        }
        return out;
    }

    /**
     * Runs (or resumes) meta-training.
     *
     * @return the best weights on validation, with provenance metadata
     * @throws IOException if a checkpoint cannot be read or written
     */
    public LstmWeights train() throws IOException {
        long startNanos = System.nanoTime();
        Path ckpt = config.checkpointPath();
        try (Workers workers = new Workers(config.threads())) {
            if (config.curriculum() != null && executor != null) {
                throw new IllegalStateException(
                        "a curriculum runs its truncations in this JVM; it cannot use the"
                                + " executor "
                                + executor.getClass().getSimpleName());
            }
            if (config.pesPairs() > 0 && executor != null) {
                throw new IllegalStateException(
                        "PES runs its copies in this JVM; it cannot use the executor "
                                + executor.getClass().getSimpleName());
            }
            if (config.resume()) {
                state = readCheckpoint();
            } else {
                state = fresh();
            }
            if (config.curriculum() != null) {
                enterStage(state.stage);
            }
            if (!config.resume()) {
                ValidationOutcome v = validate(workers, state.phi);
                state.bestLoss = v.metaLoss;
                state.bestPhi = state.phi.clone();
                state.bestIteration = 0;
                state.history.add(new double[] {0, v.metaLoss, v.finalLoss});
                config.listener()
                        .onValidation(
                                new MetaTrainingListener.ValidationResult(
                                        0, v.metaLoss, v.finalLoss, true, v.metaLoss));
            }
            double wallBefore = state.wallSeconds;
            try (CheckpointWriter saver =
                    ckpt != null ? new CheckpointWriter(ckpt, config.listener(), state) : null) {
                int total = config.iterations();
                int startIt = state.completedIterations;
                config.listener().onStart(startIt, total);
                long sessionStart = System.nanoTime();
                TruncationExecutor ex = stageExecutor(workers);
                Curriculum cur = config.curriculum();
                if (cur != null) {
                    config.listener()
                            .onStage(
                                    new MetaTrainingListener.StageChange(
                                            state.stage,
                                            cur.size(),
                                            startIt,
                                            stageConfig.horizon(),
                                            stageConfig.unroll()));
                }
                double budget = config.cpuBudgetSeconds();
                for (int it = startIt; it < total; it++) {
                    if (budget > 0 && state.cpuSeconds >= budget) {
                        // a resumed run whose budget was already spent
                        config.listener()
                                .onCpuBudgetSpent(
                                        state.completedIterations, state.cpuSeconds, budget);
                        break;
                    }
                    double cpu0 = processCpuSeconds();
                    double[] stats =
                            config.pesPairs() > 0
                                    ? runPesIteration(workers, it)
                                    : runIteration(ex, it);
                    state.cpuSeconds += processCpuSeconds() - cpu0;
                    boolean budgetSpent = budget > 0 && state.cpuSeconds >= budget;
                    if (profile != null) {
                        System.err.println(profile.report("iteration " + (it + 1)));
                    }
                    int done = it + 1;
                    state.completedIterations = done;
                    state.optimizationRuns += config.tasksPerIteration();
                    double sessionSec = (System.nanoTime() - sessionStart) / 1e9;
                    state.wallSeconds = wallBefore + (System.nanoTime() - startNanos) / 1e9;
                    // a scheduled stage change at this iteration replaces its regular validation
                    boolean scheduledChange =
                            cur != null
                                    && cur.scheduled()
                                    && state.stage + 1 < cur.size()
                                    && done == cur.stage(state.stage + 1).start();
                    boolean last = done == total || budgetSpent;
                    if ((done % config.validateEvery() == 0 || last) && !scheduledChange) {
                        long tv = System.nanoTime();
                        ValidationOutcome v = validate(workers, state.phi);
                        if (profile != null) {
                            profile.add(MetaProfile.VALIDATION, tv);
                            System.err.println(profile.report("validation " + done));
                        }
                        boolean best = v.metaLoss < state.bestLoss;
                        if (best) {
                            state.bestLoss = v.metaLoss;
                            state.bestPhi = state.phi.clone();
                            state.bestIteration = done;
                            state.staleValidations = 0;
                        } else {
                            state.staleValidations++;
                        }
                        state.history.add(new double[] {done, v.metaLoss, v.finalLoss});
                        config.listener()
                                .onValidation(
                                        new MetaTrainingListener.ValidationResult(
                                                done,
                                                v.metaLoss,
                                                v.finalLoss,
                                                best,
                                                state.bestLoss));
                    }
                    boolean patienceChange =
                            cur != null
                                    && !cur.scheduled()
                                    && state.stage + 1 < cur.size()
                                    && state.staleValidations >= cur.patience();
                    if (scheduledChange || patienceChange) {
                        state.stage++;
                        state.staleValidations = 0;
                        state.stageStarts.add(done);
                        enterStage(state.stage);
                        ex = stageExecutor(workers);
                        config.listener()
                                .onStage(
                                        new MetaTrainingListener.StageChange(
                                                state.stage,
                                                cur.size(),
                                                done,
                                                stageConfig.horizon(),
                                                stageConfig.unroll()));
                        // the new stage's first best: the current weights at its horizon
                        ValidationOutcome v = validate(workers, state.phi);
                        state.bestLoss = v.metaLoss;
                        state.bestPhi = state.phi.clone();
                        state.bestIteration = done;
                        state.history.add(new double[] {done, v.metaLoss, v.finalLoss});
                        config.listener()
                                .onValidation(
                                        new MetaTrainingListener.ValidationResult(
                                                done, v.metaLoss, v.finalLoss, true, v.metaLoss));
                    }
                    state.wallSeconds = wallBefore + (System.nanoTime() - startNanos) / 1e9;
                    if (saver != null) {
                        saver.publish(state);
                        if (done % config.checkpointEvery() == 0 || last) {
                            saver.writePublished();
                            config.listener().onCheckpoint(ckpt, done);
                        }
                    }
                    int doneThisSession = done - startIt;
                    double eta =
                            doneThisSession > 0
                                    ? sessionSec / doneThisSession * (total - done)
                                    : Double.NaN;
                    config.listener()
                            .onIteration(
                                    new MetaTrainingListener.IterationProgress(
                                            done,
                                            total,
                                            stats[0],
                                            stats[1],
                                            stats[2],
                                            state.wallSeconds,
                                            eta));
                    if (budgetSpent && done < total) {
                        config.listener().onCpuBudgetSpent(done, state.cpuSeconds, budget);
                        break;
                    }
                }
            }
            return result();
        }
    }

    /**
     * Reads and checks (checksum, settings, size) the checkpoint this trainer would resume from,
     * without training.
     *
     * @return its completed meta-iterations
     * @throws CheckpointException if it is missing, damaged ({@link DamagedCheckpointException}) or
     *     of other settings
     */
    public int checkpointedIterations() throws IOException {
        return readCheckpoint().completedIterations;
    }

    private Checkpoint readCheckpoint() throws IOException {
        Path ckpt = config.checkpointPath();
        Checkpoint c = Checkpoint.read(ckpt);
        if (!c.fingerprint.equals(config.fingerprint())) {
            throw new CheckpointException(
                    ckpt,
                    "Checkpoint "
                            + ckpt
                            + " was written with different settings; expected ["
                            + config.fingerprint()
                            + "] but found ["
                            + c.fingerprint
                            + "]");
        }
        if (c.phi.length != kernel.numParams) {
            throw new CheckpointException(
                    ckpt, "Checkpoint " + ckpt + " has " + c.phi.length + " parameters");
        }
        return c;
    }

    private Checkpoint fresh() {
        Checkpoint c = new Checkpoint();
        c.fingerprint = config.fingerprint();
        c.phi =
                config.initialWeights() != null
                        ? toDouble(config.initialWeights().parameters())
                        : initialParameters(config.lstmConfig(), config.seed());
        c.outer = outer.newState(c.phi.length);
        return c;
    }

    private LstmWeights result() {
        Map<String, String> md = new LinkedHashMap<>();
        md.put(WeightMetadata.TASK_FAMILY, config.taskFamily().name());
        md.put(WeightMetadata.WEIGHTING, config.weighting().toString());
        // with a curriculum: the stage reached, whose horizon the returned weights were chosen at
        md.put(WeightMetadata.HORIZON, Integer.toString(stageConfig.horizon()));
        md.put(WeightMetadata.UNROLL, Integer.toString(stageConfig.unroll()));
        md.put(WeightMetadata.SEED, Long.toString(config.seed()));
        md.put(WeightMetadata.THREADS, Integer.toString(config.threads()));
        md.put(WeightMetadata.ITERATIONS, Integer.toString(state.completedIterations));
        md.put(WeightMetadata.OPTIMIZATION_RUNS, Long.toString(state.optimizationRuns));
        md.put(WeightMetadata.TRUNCATIONS, Long.toString(state.truncations));
        md.put(
                WeightMetadata.WALL_TIME_SECONDS,
                String.format(Locale.ROOT, "%.1f", state.wallSeconds));
        md.put(WeightMetadata.CPU_SECONDS, String.format(Locale.ROOT, "%.2f", state.cpuSeconds));
        if (config.cpuBudgetSeconds() > 0) {
            md.put(WeightMetadata.CPU_BUDGET_SECONDS, Double.toString(config.cpuBudgetSeconds()));
        }
        md.put(
                WeightMetadata.STOPPED_BY,
                state.completedIterations < config.iterations()
                        ? WeightMetadata.STOPPED_BY_CPU_BUDGET
                        : WeightMetadata.STOPPED_BY_ITERATIONS);
        md.put(WeightMetadata.CREATED, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        if (config.initialWeights() != null) {
            // The command line replaces this with the file name and its sha256.
            md.put(WeightMetadata.INITIALIZED_FROM, "weights given to the trainer");
        }
        md.put(WeightMetadata.TRAIN_KERNEL, trainKernelId());
        md.put(WeightMetadata.VALIDATION_FAMILY, config.validationFamily().name());
        md.put(WeightMetadata.VALIDATION_TASKS, Integer.toString(config.validationTasks()));
        md.put(WeightMetadata.TASKS_PER_ITERATION, Integer.toString(config.tasksPerIteration()));
        md.put(WeightMetadata.OUTER_OPTIMIZER, outer.id());
        md.put(WeightMetadata.CLIP_NORM, Double.toString(config.clipNorm()));
        if (config.normalizeMetaGradient()) {
            md.put(WeightMetadata.NORMALIZE_META_GRADIENT, "true");
        }
        if (!config.validationWeighting().equals(config.weighting())) {
            md.put(WeightMetadata.VALIDATION_WEIGHTING, config.validationWeighting().toString());
        }
        md.put(WeightMetadata.COORDINATE_SUBSAMPLE, Integer.toString(config.coordinateSubsample()));
        md.put(WeightMetadata.META_GRADIENT, config.estimatorDescription());
        if (trainable != null) {
            md.put(WeightMetadata.TRAINABLE, config.trainableDescription());
        }
        md.put(WeightMetadata.SKIPPED_OUTER_STEPS, Long.toString(state.skippedOuterSteps));
        md.put(WeightMetadata.DIVERGED_RUNS, Long.toString(state.divergedRuns));
        md.put(
                WeightMetadata.LSTM_INIT,
                config.initialWeights() != null
                        ? "fine-tune"
                        : initDescription(config.lstmConfig(), config.seed()));
        if (config.randomScale() != 0) {
            md.put(WeightMetadata.RANDOM_SCALE, Double.toString(config.randomScale()));
        }
        Curriculum cur = config.curriculum();
        if (cur != null) {
            md.put(WeightMetadata.CURRICULUM, cur.toString());
            if (!cur.scheduled()) {
                md.put(WeightMetadata.CURRICULUM_PATIENCE, Integer.toString(cur.patience()));
            }
            md.put(WeightMetadata.CURRICULUM_STAGE, (state.stage + 1) + " of " + cur.size());
            StringBuilder starts = new StringBuilder();
            for (int st : state.stageStarts) {
                starts.append(starts.length() == 0 ? "" : ",").append(st);
            }
            md.put(WeightMetadata.CURRICULUM_STAGE_STARTS, starts.toString());
        }
        md.put(WeightMetadata.BEST_VALIDATION_LOSS, Double.toString(state.bestLoss));
        md.put(WeightMetadata.BEST_ITERATION, Integer.toString(state.bestIteration));
        md.putAll(config.extraMetadata());
        return new LstmWeights(config.lstmConfig(), toFloat(state.bestPhi), md);
    }

    /**
     * One meta-iteration: sample tasks, run the horizon in truncations, one outer step per
     * truncation. Returns {meta-loss, final loss, mean pre-clip gradient norm}.
     */
    private double[] runIteration(TruncationExecutor ex, int it) {
        int mTasks = config.tasksPerIteration();
        int horizon = stageConfig.horizon();
        int unroll = stageConfig.unroll();
        double normSum = 0;
        int normCount = 0;
        boolean diverged = false;
        MetaGradientContribution[] last = null;
        ex.beginIteration(it);
        for (int k = 0; k * unroll < horizon; k++) {
            MetaGradientContribution[] cs = ex.runTruncation(k, state.phi);
            last = cs;
            state.truncations++;
            for (MetaGradientContribution c : cs) {
                diverged |= c.diverged;
            }
            if (diverged) {
                state.divergedRuns++;
                break;
            }
            double[] grad = MetaGradientContribution.sum(cs, kernel.numParams);
            double norm = grad == null ? Double.NaN : outerStep(grad, k);
            if (!Double.isNaN(norm)) {
                normSum += norm;
                normCount++;
            }
        }
        double meta = 0;
        double loss = 0;
        for (MetaGradientContribution c : last) {
            meta += c.meta;
            loss += c.loss;
        }
        return new double[] {
            diverged ? Double.NaN : meta / mTasks,
            diverged ? Double.NaN : loss / mTasks,
            normCount > 0 ? normSum / normCount : Double.NaN
        };
    }

    /**
     * One outer step with truncation {@code k}'s meta-gradient {@code grad}: clipped, or with
     * {@link MetaTrainingConfig#normalizeMetaGradient()} scaled to the clip norm times the
     * truncation's share. Returns the pre-clip norm, or NaN when no step was made (a non-finite
     * gradient, counted as skipped).
     */
    private double outerStep(double[] grad, int k) {
        if (trainable != null) {
            for (int p = 0; p < grad.length; p++) {
                if (!trainable[p]) {
                    grad[p] = 0;
                }
            }
        }
        double norm2 = 0;
        for (int p = 0; p < grad.length; p++) {
            norm2 += grad[p] * grad[p];
        }
        double norm = Math.sqrt(norm2);
        if (!Double.isFinite(norm)) {
            state.skippedOuterSteps++;
            return Double.NaN;
        }
        double clip = config.clipNorm();
        boolean normalize = config.normalizeMetaGradient();
        if (normalize && norm == 0) {
            return norm; // nothing to scale to the clip norm: no step
        }
        // clipped: scaled down to the clip norm when above it; normalized: scaled to the clip
        // norm times the truncation's share of the meta-loss weight (1 for the largest)
        double scale =
                normalize ? clip * truncationShares[k] / norm : norm > clip ? clip / norm : 1.0;
        outer.step(state.phi, grad, scale, state.outer);
        return norm;
    }

    /**
     * One meta-iteration under PES ({@link MetaTrainingConfig#pesPairs()}): the iteration's tasks
     * (the same seeds and random scales as BPTT's) in antithetic pairs of copies over the horizon,
     * one outer step per truncation with its {@link PesEpisode} estimate. Returns {meta-loss, final
     * loss, mean pre-clip gradient norm}, the first two means over the copies.
     */
    private double[] runPesIteration(Workers workers, int it) {
        TruncationContext ctx = TruncationContext.of(stageConfig);
        Task[] tasks = new Task[config.tasksPerIteration()];
        for (int m = 0; m < tasks.length; m++) {
            tasks[m] = ctx.trainingTask(config.taskFamily(), it, m);
        }
        long stream = mix(mix(config.seed() ^ STREAM_PES) + it);
        double normSum = 0;
        int normCount = 0;
        PesEpisode ep;
        try {
            ep =
                    new PesEpisode(
                            kernel,
                            workers,
                            tasks,
                            weights,
                            stageConfig.unroll(),
                            config.pesPairs(),
                            config.pesSigma(),
                            stream,
                            trainable);
            for (int k = 0; k < ep.truncations(); k++) {
                double[] grad = ep.truncation(state.phi, k);
                state.truncations++;
                double norm = grad == null ? Double.NaN : outerStep(grad, k);
                if (!Double.isNaN(norm)) {
                    normSum += norm;
                    normCount++;
                }
            }
        } catch (Rollout.NonFiniteLossException e) {
            state.divergedRuns++;
            return new double[] {
                Double.NaN, Double.NaN, normCount > 0 ? normSum / normCount : Double.NaN
            };
        }
        return new double[] {
            ep.meanMeta(), ep.meanLoss(), normCount > 0 ? normSum / normCount : Double.NaN
        };
    }

    /**
     * CPU time of this process so far in seconds (every thread: workers, the caller, GC and JIT),
     * or NaN where the JVM does not report it; what {@link MetaTrainingConfig#cpuBudgetSeconds()}
     * counts, between the start and the end of each meta-iteration.
     */
    public static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            long ns = sun.getProcessCpuTime();
            return ns < 0 ? Double.NaN : ns * 1e-9;
        }
        return Double.NaN;
    }

    /** The seed of validation task {@code v}. */
    static long validationSeed(int v) {
        return (1L << 61) + v;
    }

    private static final class ValidationOutcome {
        final double metaLoss;
        final double finalLoss;

        ValidationOutcome(double metaLoss, double finalLoss) {
            this.metaLoss = metaLoss;
            this.finalLoss = finalLoss;
        }
    }

    private ValidationOutcome validate(Workers workers, double[] phi) {
        if (validationTasks == null) {
            validationTasks = new Task[config.validationTasks()];
            for (int v = 0; v < validationTasks.length; v++) {
                validationTasks[v] = config.validationFamily().sample(validationSeed(v));
            }
        }
        double[] r =
                rollout(
                        kernel,
                        workers,
                        phi,
                        validationTasks,
                        validationWeights,
                        stageConfig.horizon(),
                        true);
        return new ValidationOutcome(r[0], r[1]);
    }

    /**
     * Runs the optimizer {@code phi} (forward only) on {@code tasks} side by side for {@code
     * horizon} steps; returns {weighted meta-loss, final loss}, both means over the tasks, or
     * +infinity for both if a loss became non-finite.
     *
     * @param fast use the float inference kernel (validation) instead of the double one
     */
    static double[] rollout(
            DoubleBptt kernel,
            Workers workers,
            double[] phi,
            Task[] tasks,
            double[] weights,
            int horizon,
            boolean fast) {
        // the float inference kernel keeps its state in the rollout's float state: no double
        // blocks (for 20 mnist-mlp tasks they were about 1 GB of double state and accumulators)
        Rollout r = new Rollout(kernel, tasks, null, null, !fast);
        int n = r.size;
        double[] grad = new double[n];
        double[] update = new double[n];
        double meta = 0;
        try {
            r.evaluate(workers, 0, grad);
            LstmOptimizer opt =
                    fast ? Truncator.floatOptimizer(kernel, phi, workers.threads()) : null;
            for (int s = 0; s < horizon; s++) {
                if (fast) {
                    r.floatStep(opt, grad, update);
                } else {
                    final double[] th = r.thetaPositions();
                    workers.forEach(
                            r.blocks.length,
                            b -> kernel.forward(phi, r.blocks[b], grad, th, update, 0, false));
                }
                r.apply(update);
                r.evaluate(workers, s + 1, grad);
                meta += weights[s + 1] * r.meanLoss();
            }
        } catch (Rollout.NonFiniteLossException e) {
            return new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        }
        return new double[] {meta, r.meanLoss()};
    }

    /**
     * A fresh optimizer's parameters (see the class comment).
     *
     * @param config the architecture
     * @param seed the seed
     */
    public static double[] initialParameters(LstmConfig config, long seed) {
        SplittableRandom rng = new SplittableRandom(mix(seed ^ STREAM_INIT));
        if (config.cell() == CellType.MLP) {
            return initialMlpParameters(config, rng);
        }
        if (config.cell() == CellType.GRU) {
            // PyTorch's GRU default: every weight and bias uniform in +-1/sqrt(H); output bias 0
            double a = 1.0 / Math.sqrt(config.hidden());
            double[] phi = new double[config.numParameters()];
            for (int p = 0; p < phi.length; p++) {
                phi[p] = (2 * rng.nextDouble() - 1) * a;
            }
            phi[LstmWeights.outputWeightOffset(config) + config.hidden()] = 0.0;
            return phi;
        }
        int h = config.hidden();
        double a = 1.0 / Math.sqrt(h);
        double[] phi = new double[config.numParameters()];
        for (int p = 0; p < phi.length; p++) {
            phi[p] = (2 * rng.nextDouble() - 1) * a;
        }
        for (int l = 0; l < config.layers(); l++) {
            int b = LstmWeights.biasOffset(config, l);
            for (int j = 0; j < h; j++) {
                phi[b + h + j] = 1.0;
            }
        }
        phi[LstmWeights.outputWeightOffset(config) + h] = 0.0;
        return phi;
    }

    /**
     * A fresh MLP cell: hidden weights uniform in {@code (-1/sqrt(in), 1/sqrt(in))}, output weights
     * uniform in {@code (-0.1/sqrt(H), 0.1/sqrt(H))} (small first updates), biases 0.
     */
    private static double[] initialMlpParameters(LstmConfig config, SplittableRandom rng) {
        double[] phi = new double[config.numParameters()];
        int h = config.hidden();
        for (int l = 0; l < config.layers(); l++) {
            int in = config.layerInputSize(l);
            double a = 1.0 / Math.sqrt(in);
            int w = LstmWeights.mlpWeightOffset(config, l);
            for (int p = 0; p < h * in; p++) {
                phi[w + p] = (2 * rng.nextDouble() - 1) * a;
            }
        }
        int out = LstmWeights.outputWeightOffset(config);
        double a = 0.1 / Math.sqrt(h);
        for (int j = 0; j < h; j++) {
            phi[out + j] = (2 * rng.nextDouble() - 1) * a;
        }
        return phi;
    }

    /** How {@link #initialParameters} initialises {@code c}, for the weight file. */
    static String initDescription(LstmConfig c, long seed) {
        if (c.cell() == CellType.MLP) {
            return "uniform(+-1/sqrt(in)), output uniform(+-0.1/sqrt(H)), biases 0, seed " + seed;
        }
        if (c.cell() == CellType.GRU) {
            return "uniform(+-1/sqrt(H)), output bias 0, seed " + seed;
        }
        return "uniform(+-1/sqrt(H)), forget bias 1, output bias 0, seed " + seed;
    }

    /** A fresh optimizer as weights (see {@link #initialParameters}). */
    public static LstmWeights initialWeights(LstmConfig config, long seed) {
        return new LstmWeights(
                config,
                toFloat(initialParameters(config, seed)),
                Map.of(WeightMetadata.LSTM_INIT, initDescription(config, seed)));
    }

    /**
     * Measures the double-precision kernel's meta-training throughput.
     *
     * @return coordinate-steps per second (forward + backward)
     * @deprecated use {@link TrainThroughput#measure(LstmConfig, int, int, int, double,
     *     BpttPrecision)}, which also measures the float kernel
     */
    @Deprecated
    public static double measureThroughput(
            LstmConfig config, int coordinates, int unroll, int threads, double seconds) {
        return TrainThroughput.measure(
                        config, coordinates, unroll, threads, seconds, BpttPrecision.DOUBLE)
                .coordStepsPerSecond;
    }

    // The metadata keys moved to WeightMetadata (with the other keys of the weight file); these
    // aliases keep old callers compiling.

    /**
     * @deprecated use {@link WeightMetadata#VALIDATION_FAMILY}
     */
    @Deprecated
    public static final String META_VALIDATION_FAMILY = WeightMetadata.VALIDATION_FAMILY;

    /**
     * @deprecated use {@link WeightMetadata#VALIDATION_TASKS}
     */
    @Deprecated public static final String META_VALIDATION_TASKS = WeightMetadata.VALIDATION_TASKS;

    /**
     * @deprecated use {@link WeightMetadata#TASKS_PER_ITERATION}
     */
    @Deprecated
    public static final String META_TASKS_PER_ITERATION = WeightMetadata.TASKS_PER_ITERATION;

    /**
     * @deprecated use {@link WeightMetadata#OUTER_OPTIMIZER}
     */
    @Deprecated public static final String META_OUTER_OPTIMIZER = WeightMetadata.OUTER_OPTIMIZER;

    /**
     * @deprecated use {@link WeightMetadata#CLIP_NORM}
     */
    @Deprecated public static final String META_CLIP_NORM = WeightMetadata.CLIP_NORM;

    /**
     * @deprecated use {@link WeightMetadata#COORDINATE_SUBSAMPLE}
     */
    @Deprecated
    public static final String META_COORDINATE_SUBSAMPLE = WeightMetadata.COORDINATE_SUBSAMPLE;

    /**
     * @deprecated use {@link WeightMetadata#META_GRADIENT}
     */
    @Deprecated public static final String META_GRADIENT = WeightMetadata.META_GRADIENT;

    /**
     * @deprecated use {@link WeightMetadata#SKIPPED_OUTER_STEPS}
     */
    @Deprecated
    public static final String META_SKIPPED_OUTER_STEPS = WeightMetadata.SKIPPED_OUTER_STEPS;

    /**
     * @deprecated use {@link WeightMetadata#DIVERGED_RUNS}
     */
    @Deprecated public static final String META_DIVERGED_RUNS = WeightMetadata.DIVERGED_RUNS;

    /**
     * @deprecated use {@link WeightMetadata#LSTM_INIT}
     */
    @Deprecated public static final String META_LSTM_INIT = WeightMetadata.LSTM_INIT;

    /**
     * @deprecated use {@link WeightMetadata#BEST_VALIDATION_LOSS}
     */
    @Deprecated
    public static final String META_BEST_VALIDATION_LOSS = WeightMetadata.BEST_VALIDATION_LOSS;

    /**
     * @deprecated use {@link WeightMetadata#BEST_ITERATION}
     */
    @Deprecated public static final String META_BEST_ITERATION = WeightMetadata.BEST_ITERATION;

    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
