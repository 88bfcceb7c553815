package org.l2o4j.core.io;

import java.util.List;
import java.util.Set;

/**
 * Key names and fixed values of the {@code __metadata__} map of an l2o4j weight file.
 *
 * <p>Two groups of keys exist. The <em>format and architecture</em> keys ({@link #RESERVED}) are
 * written by {@link WeightFiles} from the {@link org.l2o4j.core.lstm.LstmConfig} and consumed when
 * reading; they never appear in {@link org.l2o4j.core.lstm.LstmWeights#metadata()} after a read.
 * The <em>provenance</em> keys ({@link #PROVENANCE}) are written by the meta-trainer into {@code
 * LstmWeights.metadata()} and are copied to and from the file as given, like any other key; so are
 * the meta-training keys ({@link #VALIDATION_FAMILY} ... {@link #BEST_ITERATION}), the
 * meta-trainer's settings and results.
 */
public final class WeightMetadata {
    private WeightMetadata() {}

    /** Key of the format name; its value is {@link #FORMAT_NAME}. */
    public static final String FORMAT = "format";

    /** The format name of l2o4j optimizer weight files. */
    public static final String FORMAT_NAME = "l2o4j-lstm-optimizer";

    /** Key of the format version. */
    public static final String FORMAT_VERSION = "format_version";

    /**
     * The format version written for LSTM optimizers (today's architecture keys only); every file
     * written before other cells existed has it, and it still reads unchanged.
     */
    public static final String CURRENT_FORMAT_VERSION = "1";

    /**
     * The format version written for any other cell ({@link org.l2o4j.core.lstm.CellType#MLP},
     * {@link org.l2o4j.core.lstm.CellType#GRU}): version 1's keys plus {@link #FEATURES}, {@link
     * #HEAD} and, for the MLP, {@link #ACTIVATION}.
     */
    public static final String CELLS_FORMAT_VERSION = "2";

    /** The format versions this library reads. */
    public static final List<String> READABLE_FORMAT_VERSIONS =
            List.of(CURRENT_FORMAT_VERSION, CELLS_FORMAT_VERSION);

    /**
     * Key of the input features ({@link org.l2o4j.core.lstm.FeatureSet#id()}, e.g. {@code
     * rms,mom:0.5,mom:0.9,mom:0.99}); format version 2.
     */
    public static final String FEATURES = "features";

    /**
     * Key of the MLP cell's hidden activation ({@link org.l2o4j.core.lstm.CellActivation#id()});
     * format version 2, MLP cell only.
     */
    public static final String ACTIVATION = "activation";

    /** Key of the output head ({@link org.l2o4j.core.lstm.OutputHead#id()}); format version 2. */
    public static final String HEAD = "head";

    /** Key of the cell type ({@link org.l2o4j.core.lstm.CellType#id()}). */
    public static final String CELL = "cell";

    /** Key of the number of LSTM layers. */
    public static final String LAYERS = "layers";

    /** Key of the hidden units per layer. */
    public static final String HIDDEN = "hidden";

    /** Key of the preprocessing ({@link org.l2o4j.core.lstm.Preprocessing#id()}). */
    public static final String PREPROCESSING = "preprocessing";

    /** Key of p of the log-sign preprocessing (written for every preprocessing). */
    public static final String LOG_SIGN_P = "log_sign_p";

    /** Key of the output scale. */
    public static final String OUTPUT_SCALE = "output_scale";

    /** Key of the sign convention; its value is {@link #SIGN_CONVENTION_ADD}. */
    public static final String SIGN_CONVENTION = "sign_convention";

    /** The only sign convention: the update is added to the parameters. */
    public static final String SIGN_CONVENTION_ADD = "add: theta <- theta + update";

    /** Provenance: the meta-training task family (e.g. {@code mnist-mlp}). */
    public static final String TASK_FAMILY = "task_family";

    /** Provenance: the meta-loss weighting (e.g. {@code uniform}, {@code discounted:0.9}). */
    public static final String WEIGHTING = "weighting";

    /** Provenance: optimizee steps per meta-training run. */
    public static final String HORIZON = "horizon";

    /** Provenance: steps per truncation (unroll length). */
    public static final String UNROLL = "unroll";

    /** Provenance: the meta-training seed. */
    public static final String SEED = "seed";

    /** Provenance: threads used by meta-training. */
    public static final String THREADS = "threads";

    /** Provenance: outer (meta) iterations. */
    public static final String ITERATIONS = "iterations";

    /** Provenance: optimizee runs sampled during meta-training. */
    public static final String OPTIMIZATION_RUNS = "optimization_runs";

    /** Provenance: truncations (outer updates) performed. */
    public static final String TRUNCATIONS = "truncations";

    /** Provenance: meta-training wall time in seconds. */
    public static final String WALL_TIME_SECONDS = "wall_time_seconds";

    /** Provenance: the command line that produced the file. */
    public static final String COMMAND = "command";

    /** Provenance: creation time, ISO-8601 UTC. */
    public static final String CREATED = "created";

    /** Provenance: the l2o4j version that produced the file. */
    public static final String L2O4J_VERSION = "l2o4j_version";

    /**
     * Provenance: the weights this file was fine-tuned from (id or sha256), if any; followed by
     * {@code , features widened from OLD to NEW} when {@code meta-train --init FILE --features NEW}
     * added input features to them ({@link org.l2o4j.core.lstm.LstmWeights#widenFeatures}).
     */
    public static final String INITIALIZED_FROM = "initialized_from";

    /**
     * Provenance: the meta-training kernel ({@code float-vector}, {@code float-scalar} or {@code
     * double}); absent in files trained before the float kernel existed (all {@code double}).
     */
    public static final String TRAIN_KERNEL = "train_kernel";

    /**
     * Provenance: the git commit of the code that meta-trained the file ({@code git rev-parse
     * HEAD}, with {@code -dirty} if the tree had uncommitted changes), or {@code unknown}.
     */
    public static final String GIT_COMMIT = "git_commit";

    /**
     * Key of the group names of a per-group weight file, comma-separated in order (e.g. {@code
     * conv-kernels,conv-biases,dense-weights,dense-biases}); each group's tensors are named {@code
     * <group>.} + the shared names. A file without it is one shared weight set. Read and written by
     * {@link GroupedWeightFiles}; {@link WeightFiles#read} refuses a file that has it.
     */
    public static final String GROUPS = "groups";

    // Meta-training settings and results, written by org.l2o4j.core.meta.MetaTrainer next to the
    // provenance keys (until this version they were MetaTrainer.META_* constants).

    /** Meta-training: the validation task family. */
    public static final String VALIDATION_FAMILY = "validation_family";

    /** Meta-training: number of validation tasks. */
    public static final String VALIDATION_TASKS = "validation_tasks";

    /** Meta-training: tasks per meta-iteration. */
    public static final String TASKS_PER_ITERATION = "tasks_per_iteration";

    /** Meta-training: the outer optimizer (e.g. {@code adam(lr=0.001)}). */
    public static final String OUTER_OPTIMIZER = "outer_optimizer";

    /** Meta-training: meta-gradient clip norm. */
    public static final String CLIP_NORM = "clip_norm";

    /**
     * Meta-training: the meta-loss weighting that chose the weights on validation tasks, when it
     * differs from {@link #WEIGHTING} ({@code meta-train --validation-weighting}); absent: {@link
     * #WEIGHTING}.
     */
    public static final String VALIDATION_WEIGHTING = "validation_weighting";

    /**
     * Meta-training: which parameters it moved when not all, with their count ({@code meta-train
     * --train-only new-features}: e.g. {@code new-features (96 of 1505 weights)}); absent: all.
     */
    public static final String TRAINABLE = "trainable";

    /**
     * Meta-training: {@code true} if every outer step's meta-gradient was scaled to the clip norm
     * (absent otherwise: clipped only above it).
     */
    public static final String NORMALIZE_META_GRADIENT = "normalize_meta_gradient";

    /** Meta-training: coordinates in the backward pass (0 = all). */
    public static final String COORDINATE_SUBSAMPLE = "coordinate_subsample";

    /** Meta-training: the meta-gradient estimator. */
    public static final String META_GRADIENT = "meta_gradient";

    /** Meta-training: outer steps skipped for a non-finite meta-gradient. */
    public static final String SKIPPED_OUTER_STEPS = "skipped_outer_steps";

    /** Meta-training: training runs whose loss became non-finite. */
    public static final String DIVERGED_RUNS = "diverged_runs";

    /** Meta-training: how the optimizer was initialised (fresh, with its seed, or fine-tuned). */
    public static final String LSTM_INIT = "lstm_init";

    /**
     * Meta-training: the log10 range {@code r} of the random loss and parameter scales of the
     * training tasks ({@code 10^U(-r, r)} each, per task; {@code meta-train --random-scale});
     * absent when off.
     */
    public static final String RANDOM_SCALE = "random_scale";

    /**
     * Meta-training with a curriculum ({@code meta-train --curriculum}): its stages, e.g. {@code
     * 50:10,100:20,200:20} or {@code 50:10,100:20@40,200:20@80}; absent without one. Then {@link
     * #HORIZON} and {@link #UNROLL} are those of the stage reached at the end, at whose horizon the
     * returned weights were validated.
     */
    public static final String CURRICULUM = "curriculum";

    /** Meta-training: validations without improvement before the next curriculum stage. */
    public static final String CURRICULUM_PATIENCE = "curriculum_patience";

    /** Meta-training: the curriculum stage reached, e.g. {@code 3 of 3}. */
    public static final String CURRICULUM_STAGE = "curriculum_stage";

    /** Meta-training: the first meta-iteration of each stage reached, e.g. {@code 0,40,80}. */
    public static final String CURRICULUM_STAGE_STARTS = "curriculum_stage_starts";

    /** Meta-training: the best validation meta-loss (the returned weights'). */
    public static final String BEST_VALIDATION_LOSS = "best_validation_loss";

    /** Meta-training: the meta-iteration of the best validation (0 = initial weights). */
    public static final String BEST_ITERATION = "best_iteration";

    /**
     * Meta-training: process CPU seconds spent in meta-iterations (outer steps included; validation
     * and checkpoint writes excluded), over all sessions of a resumed run; absent in files trained
     * before it was recorded. What a CPU budget ({@link #CPU_BUDGET_SECONDS}) counts.
     */
    public static final String CPU_SECONDS = "meta_training_cpu_seconds";

    /**
     * Meta-training: the CPU budget in seconds ({@code meta-train --cpu-budget}); absent when none
     * was given.
     */
    public static final String CPU_BUDGET_SECONDS = "cpu_budget_seconds";

    /**
     * Meta-training: what ended it: {@link #STOPPED_BY_ITERATIONS} or {@link
     * #STOPPED_BY_CPU_BUDGET}.
     */
    public static final String STOPPED_BY = "stopped_by";

    /** {@link #STOPPED_BY}: all the configured meta-iterations ran. */
    public static final String STOPPED_BY_ITERATIONS = "iterations";

    /** {@link #STOPPED_BY}: the CPU budget was reached before the last meta-iteration. */
    public static final String STOPPED_BY_CPU_BUDGET = "cpu-budget";

    /** Keys written from the format and the architecture; not part of provenance metadata. */
    public static final Set<String> RESERVED =
            Set.of(
                    FORMAT,
                    FORMAT_VERSION,
                    CELL,
                    LAYERS,
                    HIDDEN,
                    PREPROCESSING,
                    LOG_SIGN_P,
                    OUTPUT_SCALE,
                    FEATURES,
                    ACTIVATION,
                    HEAD,
                    SIGN_CONVENTION);

    /** The provenance keys the meta-trainer writes, in the order they are documented. */
    public static final List<String> PROVENANCE =
            List.of(
                    TASK_FAMILY,
                    WEIGHTING,
                    HORIZON,
                    UNROLL,
                    SEED,
                    THREADS,
                    ITERATIONS,
                    OPTIMIZATION_RUNS,
                    TRUNCATIONS,
                    WALL_TIME_SECONDS,
                    COMMAND,
                    CREATED,
                    L2O4J_VERSION,
                    INITIALIZED_FROM);

    /** Whether {@code key} is written from the format or architecture rather than provenance. */
    public static boolean isReserved(String key) {
        return RESERVED.contains(key);
    }
}
