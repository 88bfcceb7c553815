package org.l2o4j.cli.study;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2o4j.core.eval.LearningRateGrid;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * The size of a study: how many seeds, which variants, how much meta-training. {@link #toy()} is
 * for tests (seconds), {@link #defaults()} is sized for about an hour on a free 2-core machine;
 * every field can be raised from the command line.
 *
 * <p>Mutable on purpose (the command line sets fields); the runner reads it once.
 */
public final class StudyConfig {
    /** Evaluation tasks per point (the reviewer asked for at least 10). */
    public int seeds = 10;

    /** Validation tasks for each baseline's learning-rate search. */
    public int tuningSeeds = 3;

    /** The baselines' learning-rate grid. */
    public LearningRateGrid grid = LearningRateGrid.defaultGrid();

    /** Baselines compared everywhere. */
    public List<String> baselines = List.of("sgd", "nag", "rmsprop", "adam");

    /** Baselines run at horizons above {@link #maxTunedMultiplier} (the expensive ones). */
    public List<String> longHorizonBaselines = List.of("nag", "adam");

    /** The command line that ran the study, recorded in the report (null: not recorded). */
    public String command;

    /** The task family meta-trained on (training split) and evaluated on (test split). */
    public String task = "mnist-mlp";

    /**
     * Options of the task family for every run (e.g. batch, data-dir). The data directory defaults
     * to the bundled subsets, so that a study gives the same numbers on every machine.
     */
    public Map<String, String> taskOptions = new LinkedHashMap<>(Map.of("data-dir", "bundled"));

    /** Meta-training horizon H (optimizee steps per run). */
    public int horizon = 100;

    /** Truncation length of the BPTT. */
    public int unroll = 20;

    /** Evaluation horizons as multiples of H. */
    public int[] horizonMultipliers = {1, 2, 10, 100};

    /**
     * Baselines are re-tuned at every horizon up to this multiple of H; longer horizons reuse the
     * rate tuned here (grid search at 100 H costs more than the rest of the study).
     */
    public int maxTunedMultiplier = 10;

    /** Section 2: hidden units of the MLP. */
    public int[] hiddenUnits = {10, 20, 40, 80, 160};

    /** Section 2: hidden layers of the MLP. */
    public int[] hiddenLayers = {1, 2, 3};

    /** Section 2: activations. */
    public List<String> activations = List.of("sigmoid", "relu", "tanh");

    /** Section 2: datasets. */
    public List<String> datasets = List.of("mnist", "fashion-mnist");

    /** The base task's own variant values (marked "base" in section 2). */
    public int baseHidden = 20;

    /** The base task's hidden layers. */
    public int baseLayers = 1;

    /** The base task's activation. */
    public String baseActivation = "sigmoid";

    /** The base task's dataset. */
    public String baseDataset = "mnist";

    /** Section 3: meta-loss weightings compared (MetaLossWeighting.parse syntax). */
    public List<String> weightings = List.of("uniform", "final", "discounted:0.9");

    /** The main optimizer's LSTM hidden units (2 layers, log-sign input, as the paper). */
    public int lstmBaseHidden = 20;

    /** Section 4: LSTM hidden sizes (2 layers). */
    public int[] lstmHidden = {5, 10, 20, 40};

    /** Section 4: LSTM layer counts (hidden 20). */
    public int[] lstmLayers = {1, 2};

    /**
     * The main optimizer's LSTM (and the weighting variants'); null: 2 layers of {@link
     * #lstmBaseHidden} units with log-sign input, as the paper.
     */
    public LstmConfig baseLstm;

    /** The sections to run, by {@link StudySection#key()}; null: all of them. */
    public List<String> sections;

    /** Meta-iterations of the main optimizer (sections 1, 2, 5). */
    public int baseIterations = 300;

    /**
     * Weights to use as the main optimizer instead of meta-training one (sections 1, 2, 5), e.g. a
     * shipped optimizer; its budget comes from its metadata. Null: meta-train it.
     */
    public LstmWeights mainWeights;

    /** How {@link #mainWeights} was named (id or file), for the report. */
    public String mainWeightsName;

    /** Meta-iterations of every ablation variant (sections 3, 4), the same for all of them. */
    public int ablationIterations = 100;

    /** Tasks per meta-iteration. */
    public int tasksPerIteration = 1;

    /** Coordinates backpropagated per truncation (0 = all); see MetaTrainingConfig. */
    public int coordinateSubsample = 2048;

    /** Validation tasks of the meta-trainer (picks the best weights). */
    public int validationTasks = 4;

    /** Validate every this many meta-iterations. */
    public int validateEvery = 10;

    /** Section 6: options of the {@code conv} family (besides data-dir, batch, dataset, split). */
    public Map<String, String> cnnOptions = new LinkedHashMap<>();

    /** Section 6: meta-iterations of the optimizer meta-trained on {@code conv}. */
    public int cnnIterations = 100;

    /** Section 6: its meta-loss weighting. */
    public String cnnWeighting = "uniform";

    /** Section 6: evaluation horizons as multiples of H (baselines re-tuned at each). */
    public int[] cnnMultipliers = {1, 10};

    /** Section 6: weights to use instead of meta-training (null: meta-train). */
    public LstmWeights cnnWeights;

    /** How {@link #cnnWeights} was named (id or file). */
    public String cnnWeightsName;

    /** Section 7: options of the {@code style} family for every run (e.g. size). */
    public Map<String, String> styleOptions = new LinkedHashMap<>();

    /** Section 7: meta-iterations of the optimizer meta-trained on {@code style}. */
    public int styleIterations = 100;

    /** Section 7: its meta-loss weighting. */
    public String styleWeighting = "uniform";

    /** Section 7: the longer evaluation horizon, as a multiple of H (1: only H). */
    public int styleMultiplier = 2;

    /** Section 7: baselines (tuned per variant and horizon). */
    public List<String> styleBaselines = List.of("adam");

    /** Section 7: image grids per test variant (the first seeds). */
    public int styleGridSeeds = 2;

    /** Section 7: weights to use instead of meta-training (null: meta-train). */
    public LstmWeights styleWeights;

    /** How {@link #styleWeights} was named (id or file). */
    public String styleWeightsName;

    /**
     * Section 8: the CPU budget of each variant, process CPU seconds spent in meta-iterations
     * (validation excluded).
     */
    public double cellsCpuBudget = 60;

    /** Section 8: the most meta-iterations of a variant, whatever its CPU. */
    public int cellsMaxIterations = 100_000;

    /** Section 8: the meta-loss weighting of every variant. */
    public String cellsWeighting = "uniform";

    /**
     * Section 8: the variants, {@code CELL/LAYERSxHIDDEN[/FEATURES][/ACTIVATION]} each ({@link
     * CellsSection#parseVariant}).
     */
    public List<String> cellVariants = CellsSection.DEFAULT_VARIANTS;

    /** Steps timed per optimizer in the cost section. */
    public int costSteps = 20;

    /** Shortest warm-up (JIT) per optimizer in the cost section, in milliseconds. */
    public int costWarmupMillis = 500;

    /** Coordinates of the large-model point in the cost section (the MLP is the other). */
    public int costLargeCoordinates = 1_000_000;

    /** Worker threads. */
    public int threads = Runtime.getRuntime().availableProcessors();

    /** Meta-training seed. */
    public long seed = 0;

    /** The sizes of the default study (about an hour on a free 2-core machine). */
    public static StudyConfig defaults() {
        return new StudyConfig();
    }

    /** A study that runs in seconds, for tests: tiny MLPs on the bundled data, 2-3 seeds. */
    public static StudyConfig toy() {
        StudyConfig c = new StudyConfig();
        c.seeds = 3;
        c.tuningSeeds = 1;
        c.grid = LearningRateGrid.of(0.01, 0.1, 1);
        c.baselines = List.of("sgd", "adam");
        c.longHorizonBaselines = List.of("adam");
        c.taskOptions.put("batch", "8");
        c.taskOptions.put("data-dir", "bundled");
        c.horizon = 4;
        c.unroll = 2;
        c.horizonMultipliers = new int[] {1, 2, 10};
        c.maxTunedMultiplier = 2;
        c.hiddenUnits = new int[] {2, 3};
        c.hiddenLayers = new int[] {1, 2};
        c.activations = List.of("sigmoid", "relu");
        c.datasets = List.of("mnist", "fashion-mnist");
        c.baseHidden = 2;
        c.weightings = List.of("uniform", "final", "discounted:0.9");
        c.lstmBaseHidden = 4;
        c.lstmHidden = new int[] {2, 4};
        c.lstmLayers = new int[] {1, 2};
        c.baseIterations = 2;
        c.ablationIterations = 1;
        c.coordinateSubsample = 0;
        c.validationTasks = 1;
        c.validateEvery = 1;
        c.costSteps = 3;
        c.costWarmupMillis = 20;
        c.costLargeCoordinates = 10_000;
        c.threads = 2;
        c.cnnOptions.put("channels", "2");
        c.cnnOptions.put("blocks", "1");
        c.cnnIterations = 1;
        c.styleOptions.put("size", "8");
        c.styleIterations = 1;
        c.styleGridSeeds = 1;
        c.cellsCpuBudget = 0.05;
        c.cellsMaxIterations = 3;
        c.cellVariants = List.of("lstm/2x4/log-sign", "gru/1x4/rms,mom:0.9", "mlp/1x8/rms/relu");
        return c;
    }
}
