package org.l2o4j.core.meta;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.task.ScaledTask;
import org.l2o4j.core.task.TaskFamily;

/**
 * Everything a {@link MetaTrainer} run needs. Immutable; built and validated by {@link Builder}.
 *
 * <p>Defaults (brackets) follow the paper and DeepMind's code: horizon 100, unroll 20, uniform
 * weighting, outer Adam with learning rate 1e-3, meta-gradient clipping at global norm 1, one task
 * per meta-iteration, all coordinates in the backward pass, 20 validation tasks, validation and
 * checkpoint every 50 meta-iterations.
 */
public final class MetaTrainingConfig {
    /** Tasks to meta-train on (the training split). */
    private final TaskFamily taskFamily;

    /** Held-out tasks for validation (seeds disjoint from the training seeds). */
    private final TaskFamily validationFamily;

    /** Number of validation tasks. */
    private final int validationTasks;

    /** The architecture (of {@link #initialWeights} when fine-tuning). */
    private final LstmConfig lstmConfig;

    /** Weights to fine-tune, or null to start from a fresh initialisation. */
    private final LstmWeights initialWeights;

    /** Optimizee steps per run. */
    private final int horizon;

    /** Steps per truncation (one outer step each). */
    private final int unroll;

    /** Meta-loss weighting. */
    private final MetaLossWeighting weighting;

    /** The weighting of the validation meta-loss, or null for {@link #weighting}. */
    private final MetaLossWeighting validationWeighting;

    /** Outer Adam learning rate. */
    private final double learningRate;

    /** Global-norm clip of the meta-gradient ({@code +inf} = none). */
    private final double clipNorm;

    /** Tasks optimized side by side per meta-iteration (their meta-gradients are averaged). */
    private final int tasksPerIteration;

    /** Meta-iterations (each is one full-horizon run of every task of the iteration). */
    private final int iterations;

    /** Coordinates in the backward pass (0 = all); rounded up to whole blocks of 64. */
    private final int coordinateSubsample;

    /** Worker threads. */
    private final int threads;

    /** The arithmetic of the training pass. */
    private final BpttPrecision trainKernel;

    /** Seed of the initialisation, task sampling and subsampling. */
    private final long seed;

    /** Log10 range of the random loss and parameter scales of training tasks (0 = off). */
    private final double randomScale;

    /**
     * Whether every outer step's meta-gradient is scaled to the clip norm (not only larger ones).
     */
    private final boolean normalizeMetaGradient;

    /** Antithetic pairs of the PES estimator, or 0 for truncated BPTT. */
    private final int pesPairs;

    /** Standard deviation of PES's perturbations (unused without PES). */
    private final double pesSigma;

    /** Which of phi's entries meta-training moves, or null for all. */
    private final boolean[] trainable;

    /** What {@link #trainable} is, in words (null with it). */
    private final String trainableDescription;

    /** The curriculum over horizon and unroll, or null for none. */
    private final Curriculum curriculum;

    /** Checkpoint file, or null for none. */
    private final Path checkpointPath;

    /** Write a checkpoint every this many meta-iterations. */
    private final int checkpointEvery;

    /** Continue from {@link #checkpointPath}. */
    private final boolean resume;

    /** Validate every this many meta-iterations. */
    private final int validateEvery;

    /**
     * Stop once the process CPU time spent in meta-iterations passes this many seconds (0 = no CPU
     * budget; {@link #iterations} is then the only limit).
     */
    private final double cpuBudgetSeconds;

    /** Progress listener (never null). */
    private final MetaTrainingListener listener;

    /** Extra metadata written into the result (e.g. the command line). */
    private final Map<String, String> extraMetadata;

    private MetaTrainingConfig(Builder b) {
        this.taskFamily = b.taskFamily;
        this.validationFamily = b.validationFamily == null ? b.taskFamily : b.validationFamily;
        this.validationTasks = b.validationTasks;
        this.initialWeights = b.initialWeights;
        this.lstmConfig = b.initialWeights != null ? b.initialWeights.config() : b.lstmConfig;
        this.horizon = b.horizon;
        this.unroll = b.unroll;
        this.weighting = b.weighting;
        this.validationWeighting = b.validationWeighting;
        this.learningRate = b.learningRate;
        this.clipNorm = b.clipNorm;
        this.tasksPerIteration = b.tasksPerIteration;
        this.iterations = b.iterations;
        this.coordinateSubsample = b.coordinateSubsample;
        this.threads = b.threads;
        this.trainKernel = b.trainKernel;
        this.seed = b.seed;
        this.randomScale = b.randomScale;
        this.normalizeMetaGradient = b.normalizeMetaGradient;
        this.pesPairs = b.pesPairs;
        this.pesSigma = b.pesSigma;
        this.trainable = b.trainable;
        this.trainableDescription = b.trainableDescription;
        this.curriculum = b.curriculum;
        this.checkpointPath = b.checkpointPath;
        this.checkpointEvery = b.checkpointEvery;
        this.resume = b.resume;
        this.validateEvery = b.validateEvery;
        this.cpuBudgetSeconds = b.cpuBudgetSeconds;
        this.listener = b.listener == null ? new MetaTrainingListener() {} : b.listener;
        this.extraMetadata = Map.copyOf(b.extraMetadata);
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised from this config. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.taskFamily = taskFamily;
        b.validationFamily = validationFamily;
        b.validationTasks = validationTasks;
        b.lstmConfig = lstmConfig;
        b.initialWeights = initialWeights;
        b.horizon = horizon;
        b.unroll = unroll;
        b.weighting = weighting;
        b.validationWeighting = validationWeighting;
        b.learningRate = learningRate;
        b.clipNorm = clipNorm;
        b.tasksPerIteration = tasksPerIteration;
        b.iterations = iterations;
        b.coordinateSubsample = coordinateSubsample;
        b.threads = threads;
        b.trainKernel = trainKernel;
        b.seed = seed;
        b.randomScale = randomScale;
        b.normalizeMetaGradient = normalizeMetaGradient;
        b.pesPairs = pesPairs;
        b.pesSigma = pesSigma;
        b.trainable = trainable;
        b.trainableDescription = trainableDescription;
        b.curriculum = curriculum;
        b.cpuBudgetSeconds = cpuBudgetSeconds;
        b.checkpointPath = checkpointPath;
        b.checkpointEvery = checkpointEvery;
        b.resume = resume;
        b.validateEvery = validateEvery;
        b.listener = listener;
        b.extraMetadata = new LinkedHashMap<>(extraMetadata);
        return b;
    }

    public TaskFamily taskFamily() {
        return taskFamily;
    }

    public TaskFamily validationFamily() {
        return validationFamily;
    }

    public int validationTasks() {
        return validationTasks;
    }

    public LstmConfig lstmConfig() {
        return lstmConfig;
    }

    /** The weights being fine-tuned, or null. */
    public LstmWeights initialWeights() {
        return initialWeights;
    }

    /** Optimizee steps per run; with a curriculum, its last stage's. */
    public int horizon() {
        return horizon;
    }

    /** Steps per truncation; with a curriculum, its last stage's. */
    public int unroll() {
        return unroll;
    }

    /** The curriculum over horizon and unroll, or null for none. */
    public Curriculum curriculum() {
        return curriculum;
    }

    /**
     * This config for curriculum stage {@code s}: its horizon and unroll, without the curriculum
     * (what the stage's truncations and validations run with).
     *
     * @throws IllegalStateException without a curriculum
     */
    public MetaTrainingConfig stageConfig(int s) {
        if (curriculum == null) {
            throw new IllegalStateException("no curriculum");
        }
        Curriculum.Stage st = curriculum.stage(s);
        Builder b = toBuilder();
        b.curriculum = null;
        return b.horizon(st.horizon()).unroll(st.unroll()).build();
    }

    /** Truncations per run: {@code ceil(horizon / unroll)}. */
    public int truncationsPerRun() {
        return (horizon + unroll - 1) / unroll;
    }

    public MetaLossWeighting weighting() {
        return weighting;
    }

    /**
     * The weighting of the meta-loss measured on validation tasks, which chooses the returned
     * weights: {@link #weighting()} unless the builder set another.
     */
    public MetaLossWeighting validationWeighting() {
        return validationWeighting != null ? validationWeighting : weighting;
    }

    public double learningRate() {
        return learningRate;
    }

    public double clipNorm() {
        return clipNorm;
    }

    public int tasksPerIteration() {
        return tasksPerIteration;
    }

    public int iterations() {
        return iterations;
    }

    public int coordinateSubsample() {
        return coordinateSubsample;
    }

    public int threads() {
        return threads;
    }

    /** The training kernel ({@link BpttPrecision#FLOAT} unless set). */
    public BpttPrecision trainKernel() {
        return trainKernel;
    }

    public long seed() {
        return seed;
    }

    /** Log10 range of the random scales of training tasks (0 = off; see the builder). */
    public double randomScale() {
        return randomScale;
    }

    /** Whether every outer step's meta-gradient is scaled to the clip norm (see the builder). */
    public boolean normalizeMetaGradient() {
        return normalizeMetaGradient;
    }

    /**
     * The number of antithetic pairs of the PES meta-gradient estimator ({@link Builder#pes(int,
     * double)}), or 0 when the meta-gradient is first-order truncated BPTT (the default).
     */
    public int pesPairs() {
        return pesPairs;
    }

    /**
     * The standard deviation of PES's perturbations of phi (meaningless when {@link #pesPairs()} is
     * 0).
     */
    public double pesSigma() {
        return pesSigma;
    }

    /**
     * Which of the optimizer's flat parameters meta-training moves (a copy), or null when it moves
     * all of them (the default); see {@link Builder#trainable}.
     */
    public boolean[] trainable() {
        return trainable == null ? null : trainable.clone();
    }

    /**
     * The trainable parameters in words with their count, e.g. {@code new-features (96 of 1505
     * weights)}, or null when all are trained.
     */
    public String trainableDescription() {
        if (trainable == null) {
            return null;
        }
        int k = 0;
        for (boolean t : trainable) {
            k += t ? 1 : 0;
        }
        return trainableDescription + " (" + k + " of " + trainable.length + " weights)";
    }

    /**
     * The meta-gradient estimator as written in the weight file's {@code meta_gradient}: {@code
     * first-order truncated BPTT}, or {@code PES (P antithetic pairs, sigma S)}.
     */
    public String estimatorDescription() {
        return pesPairs == 0
                ? "first-order truncated BPTT"
                : "PES (" + pesPairs + " antithetic pairs, sigma " + pesSigma + ")";
    }

    /** The checkpoint file, or null. */
    public Path checkpointPath() {
        return checkpointPath;
    }

    public int checkpointEvery() {
        return checkpointEvery;
    }

    public boolean resume() {
        return resume;
    }

    public int validateEvery() {
        return validateEvery;
    }

    /**
     * The CPU budget in seconds (0 = none): meta-training stops after the first meta-iteration at
     * which the process CPU time spent in meta-iterations (outer steps included; the validations
     * and checkpoint writes between them excluded) reaches it. Not part of the checkpoint's
     * fingerprint: a resumed run may raise it, like {@link #iterations()}.
     */
    public double cpuBudgetSeconds() {
        return cpuBudgetSeconds;
    }

    public MetaTrainingListener listener() {
        return listener;
    }

    public Map<String, String> extraMetadata() {
        return extraMetadata;
    }

    /**
     * The settings a checkpoint must agree with to be resumed (everything that changes the
     * trajectory; threads do not: results are identical for any thread count). The double training
     * kernel adds nothing, so checkpoints written before the float kernel existed (all double)
     * still resume with {@code --train-kernel double}; the float one adds {@code
     * ;train_kernel=float} (its vector and scalar variants may resume each other's checkpoints, on
     * a slightly different trajectory). Random scaling adds {@code ;random_scale=R} only when on, a
     * curriculum {@code ;curriculum=SPEC} (and {@code ;curriculum_patience=N} when it moves on by
     * patience).
     */
    String fingerprint() {
        return "family="
                + taskFamily.name()
                + ";validation="
                + validationFamily.name()
                + "x"
                + validationTasks
                + ";lstm="
                + lstmConfig
                + ";init="
                + (initialWeights == null ? "random" : "fine-tune")
                + ";horizon="
                + horizon
                + ";unroll="
                + unroll
                + ";weighting="
                + weighting
                + ";lr="
                + learningRate
                + ";clip="
                + clipNorm
                + ";tasks="
                + tasksPerIteration
                + ";subsample="
                + coordinateSubsample
                + ";seed="
                + seed
                + ";validate-every="
                + validateEvery
                + (trainKernel == BpttPrecision.DOUBLE ? "" : ";train_kernel=" + trainKernel.id())
                + (randomScale == 0 ? "" : ";random_scale=" + randomScale)
                + (normalizeMetaGradient ? ";normalize_meta_gradient=true" : "")
                + (pesPairs == 0 ? "" : ";pes=" + pesPairs + "x" + pesSigma)
                + (trainable == null
                        ? ""
                        : ";trainable="
                                + trainableDescription()
                                + "#"
                                + java.util.Arrays.hashCode(trainable))
                + (validationWeighting == null
                        ? ""
                        : ";validation_weighting=" + validationWeighting)
                + (curriculum == null
                        ? ""
                        : ";curriculum="
                                + curriculum
                                + (curriculum.scheduled()
                                        ? ""
                                        : ";curriculum_patience=" + curriculum.patience()));
    }

    /** Builder; {@link #build()} validates. */
    public static final class Builder {
        private TaskFamily taskFamily;
        private TaskFamily validationFamily;
        private int validationTasks = 20;
        private LstmConfig lstmConfig = LstmConfig.paperDefaults();
        private LstmWeights initialWeights;
        private int horizon = 100;
        private int unroll = 20;
        private MetaLossWeighting weighting = MetaLossWeighting.uniform();
        private MetaLossWeighting validationWeighting;
        private double learningRate = 1e-3;
        private double clipNorm = 1.0;
        private int tasksPerIteration = 1;
        private int iterations = -1;
        private int coordinateSubsample = 0;
        private int threads = Runtime.getRuntime().availableProcessors();
        private BpttPrecision trainKernel = BpttPrecision.FLOAT;
        private long seed = 0;
        private double randomScale = 0;
        private boolean normalizeMetaGradient = false;
        private int pesPairs = 0;
        private double pesSigma = 0.01;
        private boolean[] trainable;
        private String trainableDescription;
        private Curriculum curriculum;
        private Path checkpointPath;
        private int checkpointEvery = 50;
        private boolean resume;
        private int validateEvery = 50;
        private double cpuBudgetSeconds;
        private MetaTrainingListener listener;
        private Map<String, String> extraMetadata = new LinkedHashMap<>();

        private Builder() {}

        /** The training task family (required). */
        public Builder taskFamily(TaskFamily f) {
            this.taskFamily = f;
            return this;
        }

        /** The validation task family [the training family]. */
        public Builder validationFamily(TaskFamily f) {
            this.validationFamily = f;
            return this;
        }

        /** Number of validation tasks, >= 1 [20]. */
        public Builder validationTasks(int n) {
            this.validationTasks = n;
            return this;
        }

        /** Architecture of a freshly initialised optimizer [paper defaults]. */
        public Builder lstmConfig(LstmConfig c) {
            this.lstmConfig = c;
            return this;
        }

        /** Weights to fine-tune (their architecture wins over {@link #lstmConfig}) [none]. */
        public Builder initialWeights(LstmWeights w) {
            this.initialWeights = w;
            return this;
        }

        /** Optimizee steps per run, >= 1 [100]. */
        public Builder horizon(int t) {
            this.horizon = t;
            return this;
        }

        /** Steps per truncation, 1..horizon [20]. */
        public Builder unroll(int u) {
            this.unroll = u;
            return this;
        }

        /** Meta-loss weighting [uniform]. */
        public Builder weighting(MetaLossWeighting w) {
            this.weighting = w;
            return this;
        }

        /**
         * The weighting of the meta-loss measured on the validation tasks, which chooses the
         * weights {@link MetaTrainer#train()} returns [null: the training weighting]. For a
         * training objective whose parts have losses of very different sizes (e.g. {@code
         * linear+steps:100} over 3,000 steps, where the step-100 loss is 10-100x the late ones and
         * so decides the validation meta-loss alone), choose on the part that matters (e.g. {@code
         * linear}). Recorded in the weight file and the checkpoint fingerprint.
         */
        public Builder validationWeighting(MetaLossWeighting w) {
            this.validationWeighting = w;
            return this;
        }

        /** Outer Adam learning rate, > 0 [1e-3]. */
        public Builder learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** Global-norm clip, > 0, {@code +inf} for none [1]. */
        public Builder clipNorm(double c) {
            this.clipNorm = c;
            return this;
        }

        /** Tasks per meta-iteration, >= 1 [1]. */
        public Builder tasksPerIteration(int m) {
            this.tasksPerIteration = m;
            return this;
        }

        /** Meta-iterations, >= 1 (required). */
        public Builder iterations(int k) {
            this.iterations = k;
            return this;
        }

        /** Coordinates in the backward pass, >= 0, 0 = all [0]. */
        public Builder coordinateSubsample(int s) {
            this.coordinateSubsample = s;
            return this;
        }

        /**
         * The training kernel [{@link BpttPrecision#FLOAT}]; {@link BpttPrecision#DOUBLE}
         * reproduces runs made before the float kernel existed.
         */
        public Builder trainKernel(BpttPrecision k) {
            this.trainKernel = java.util.Objects.requireNonNull(k, "trainKernel");
            return this;
        }

        /** Worker threads, >= 1 [available processors]. */
        public Builder threads(int t) {
            this.threads = t;
            return this;
        }

        /** Seed [0]. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Random scaling of training tasks [0 = off]: each training task's loss is multiplied by
         * {@code 10^u} and its parameters reparameterised by {@code 10^v}, with {@code u, v}
         * uniform in {@code [-r, r)} drawn from the task's seed ({@link
         * org.l2o4j.core.task.ScaledTask}); validation tasks stay unscaled.
         */
        public Builder randomScale(double log10Range) {
            this.randomScale = log10Range;
            return this;
        }

        /**
         * Scale every outer step's meta-gradient to a fixed norm, not only those above the clip
         * norm [false]: the clip norm times the truncation's share of the meta-loss weight (the sum
         * of its steps' weights over the largest such sum among the horizon's truncations). Each
         * truncation then moves phi by its weighting's share whatever the scale of its losses:
         * equally for {@code uniform} or for {@code steps:S1,S2} with one step per truncation, in
         * proportion for {@code linear} or {@code linear+steps:100}. For runs whose truncations see
         * losses of very different sizes (an early truncation's 0.1-1 and a late one's 1e-3 and
         * below), where clipping alone leaves the late truncations' steps 100-1000x smaller. A zero
         * or non-finite meta-gradient makes no step.
         */
        public Builder normalizeMetaGradient(boolean on) {
            this.normalizeMetaGradient = on;
            return this;
        }

        /**
         * Estimate the meta-gradient with PES, persistent evolution strategies (Vicol et al. 2021),
         * instead of first-order truncated BPTT [off]. Each meta-iteration runs {@code pairs}
         * antithetic pairs of copies of its tasks over the whole horizon, forward only; for
         * truncation {@code k} every pair draws {@code eps ~ N(0, sigma^2 I)}, runs its two copies
         * with {@code phi + eps} and {@code phi - eps} from where each copy stood, adds {@code eps}
         * to the pair's running sum {@code xi} (zero at the start of the horizon), and the estimate
         * is {@code sum over pairs of xi (L+ - L-) / (2 sigma^2 pairs)} with {@code L+-} the
         * copies' weighted losses of the truncation (mean over tasks). Summed over a horizon with
         * phi fixed it is an unbiased estimate of the gradient of the whole horizon's
         * Gaussian-smoothed meta-loss, the losses after the truncation included, which truncated
         * BPTT drops; no second-order terms are dropped either. It costs {@code 2 pairs} forward
         * runs per task and no backward. The outer step, clipping and {@link
         * #normalizeMetaGradient} are as for BPTT. Not with a coordinate subsample (PES uses no
         * backward) or a remote truncation executor.
         *
         * @param pairs antithetic pairs, >= 1
         * @param sigma the perturbations' standard deviation, finite and > 0
         */
        public Builder pes(int pairs, double sigma) {
            if (pairs < 1) {
                throw new IllegalArgumentException(
                        "PES antithetic pairs must be >= 1 but was " + pairs);
            }
            this.pesPairs = pairs;
            this.pesSigma = sigma;
            return this;
        }

        /**
         * Train only some of the optimizer's parameters [all]: entry {@code p} of {@code mask} true
         * for each flat parameter (canonical order, {@link LstmWeights#parameters()}) that the
         * outer steps may move; the others keep their initial values exactly (their meta-gradient
         * is set to zero before the norm is taken and clipped, and PES does not perturb them). E.g.
         * {@link LstmWeights#newFeatureParameters}: only the weights of input columns added to a
         * trained optimizer, so it keeps what it does where those columns are zero.
         *
         * @param mask one entry per parameter of the optimizer, at least one true
         * @param description what the mask is, for the weight file ({@code trainable}) and the
         *     checkpoint fingerprint, e.g. {@code new-features}
         */
        public Builder trainable(boolean[] mask, String description) {
            this.trainable = mask == null ? null : mask.clone();
            this.trainableDescription = mask == null ? null : Objects.requireNonNull(description);
            return this;
        }

        /** Back to first-order truncated BPTT (the default). */
        public Builder bptt() {
            this.pesPairs = 0;
            return this;
        }

        /**
         * A curriculum over horizon and unroll [none] (Chen et al. 2020; see {@link Curriculum}).
         * When set, {@link #build()} takes the horizon and unroll of its last stage in place of
         * {@link #horizon} and {@link #unroll}; each stage runs with its own.
         */
        public Builder curriculum(Curriculum c) {
            this.curriculum = c;
            return this;
        }

        /** Checkpoint file [none]. */
        public Builder checkpointPath(Path p) {
            this.checkpointPath = p;
            return this;
        }

        /** Checkpoint every K meta-iterations, >= 1 [50]. */
        public Builder checkpointEvery(int k) {
            this.checkpointEvery = k;
            return this;
        }

        /** Resume from the checkpoint file (which must exist) [false]. */
        public Builder resume(boolean r) {
            this.resume = r;
            return this;
        }

        /** Validate every K meta-iterations, >= 1 [50]. */
        public Builder validateEvery(int k) {
            this.validateEvery = k;
            return this;
        }

        /**
         * CPU budget in seconds, finite and >= 0, 0 = none [0]: stop after the meta-iteration at
         * which the process CPU time spent in meta-iterations (validation and checkpoint writes
         * excluded) reaches it; {@link #iterations} stays the upper limit. See {@link
         * MetaTrainingConfig#cpuBudgetSeconds()}.
         */
        public Builder cpuBudgetSeconds(double seconds) {
            this.cpuBudgetSeconds = seconds;
            return this;
        }

        /** Progress listener [none]. */
        public Builder listener(MetaTrainingListener l) {
            this.listener = l;
            return this;
        }

        /** Adds a metadata entry to the resulting weights (e.g. {@code command}). */
        public Builder putMetadata(String key, String value) {
            this.extraMetadata.put(
                    Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the bad value and what was expected
         */
        public MetaTrainingConfig build() {
            if (taskFamily == null) {
                throw new IllegalArgumentException("a task family is required");
            }
            if (initialWeights == null && lstmConfig == null) {
                throw new IllegalArgumentException("an LSTM config or initial weights is required");
            }
            Objects.requireNonNull(weighting, "weighting");
            if (curriculum != null) {
                horizon = curriculum.last().horizon();
                unroll = curriculum.last().unroll();
            }
            check(validationTasks >= 1, "validation tasks must be >= 1", validationTasks);
            check(horizon >= 1, "horizon must be >= 1", horizon);
            if (unroll < 1 || unroll > horizon) {
                throw new IllegalArgumentException(
                        "unroll must be in 1..horizon (" + horizon + ") but was " + unroll);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException(
                        "learning rate must be finite and > 0 but was " + learningRate);
            }
            if (!(clipNorm > 0)) {
                throw new IllegalArgumentException(
                        "clip norm must be > 0 (Infinity for none) but was " + clipNorm);
            }
            if (normalizeMetaGradient && Double.isInfinite(clipNorm)) {
                throw new IllegalArgumentException(
                        "normalizing the meta-gradient scales it to the clip norm, which must be"
                                + " finite but was "
                                + clipNorm);
            }
            if (pesPairs != 0) {
                if (!(pesSigma > 0) || Double.isInfinite(pesSigma)) {
                    throw new IllegalArgumentException(
                            "PES sigma must be finite and > 0 but was " + pesSigma);
                }
                if (coordinateSubsample != 0) {
                    throw new IllegalArgumentException(
                            "PES runs no backward pass, so a coordinate subsample has nothing to"
                                    + " subsample; expected 0 but was "
                                    + coordinateSubsample);
                }
            }
            if (trainable != null) {
                int n =
                        (initialWeights != null ? initialWeights.config() : lstmConfig)
                                .numParameters();
                if (trainable.length != n) {
                    throw new IllegalArgumentException(
                            "the trainable mask must have one entry per optimizer parameter ("
                                    + n
                                    + ") but has "
                                    + trainable.length);
                }
                boolean any = false;
                for (boolean t : trainable) {
                    any |= t;
                }
                if (!any) {
                    throw new IllegalArgumentException(
                            "the trainable mask leaves nothing to train ("
                                    + trainableDescription
                                    + ": 0 of "
                                    + n
                                    + " weights)");
                }
            }
            check(tasksPerIteration >= 1, "tasks per iteration must be >= 1", tasksPerIteration);
            if (iterations < 1) {
                throw new IllegalArgumentException(
                        "iterations must be set and >= 1 but was " + iterations);
            }
            check(
                    coordinateSubsample >= 0,
                    "coordinate subsample must be >= 0",
                    coordinateSubsample);
            check(threads >= 1, "threads must be >= 1", threads);
            ScaledTask.checkRange(randomScale);
            check(checkpointEvery >= 1, "checkpoint-every must be >= 1", checkpointEvery);
            check(validateEvery >= 1, "validate-every must be >= 1", validateEvery);
            if (!(cpuBudgetSeconds >= 0) || Double.isInfinite(cpuBudgetSeconds)) {
                throw new IllegalArgumentException(
                        "CPU budget must be finite and >= 0 seconds (0 = none) but was "
                                + cpuBudgetSeconds);
            }
            if (cpuBudgetSeconds > 0 && Double.isNaN(MetaTrainer.processCpuSeconds())) {
                throw new IllegalArgumentException(
                        "a CPU budget needs the process CPU time, which this JVM does not report"
                                + " (com.sun.management.OperatingSystemMXBean)");
            }
            if (resume && checkpointPath == null) {
                throw new IllegalArgumentException("resume needs a checkpoint path");
            }
            return new MetaTrainingConfig(this);
        }

        private static void check(boolean ok, String what, long found) {
            if (!ok) {
                throw new IllegalArgumentException(what + " but was " + found);
            }
        }
    }
}
