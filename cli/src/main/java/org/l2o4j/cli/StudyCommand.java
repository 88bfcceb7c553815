package org.l2o4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2o4j.cli.study.CellsSection;
import org.l2o4j.cli.study.StudyConfig;
import org.l2o4j.cli.study.StudyRunner;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.LearningRateGrid;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.RunFiles;
import org.l2o4j.core.task.TaskFamilies;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2o study}: the full evaluation study (horizon, generalization, meta-loss weighting,
 * optimizer architecture, cost, convolutional nets, style transfer, cells at equal CPU budget) as a
 * markdown report with plots. The default size takes about an hour on a free 2-core machine; {@code
 * --toy} takes seconds; flags raise any budget.
 */
@Command(
        name = "study",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Meta-trains the optimizers of the study and writes report.md with tables (mean, std,"
                    + " 95%% CI, diverged count) and PNG plots: 1. horizon, 2. generalization,"
                    + " 3. meta-loss weighting, 4. optimizer architecture, 5. cost, 6. convolutional"
                    + " nets, 7. style transfer, 8. cells and features at equal CPU budget"
                    + " (--sections picks some).",
            "Heavy: the default size takes about an hour on a free 2-core machine."
        })
public final class StudyCommand implements Callable<Integer> {

    @Option(
            names = "--out",
            defaultValue = "study",
            paramLabel = "DIR",
            description = "Output directory [${DEFAULT-VALUE}].")
    Path out;

    @Option(names = "--toy", description = "A seconds-long study with tiny sizes (for tests).")
    boolean toy;

    @Option(names = "--seeds", description = "Evaluation tasks per point [10].")
    Integer seeds;

    @Option(
            names = "--tuning-seeds",
            description = "Validation tasks per learning-rate search [3].")
    Integer tuningSeeds;

    @Option(names = "--lr-grid", description = "Baseline learning rates: list or min:max:points.")
    String lrGrid;

    @Option(names = "--baselines", description = "Baselines [sgd,nag,rmsprop,adam].")
    String baselines;

    @Option(
            names = "--long-horizon-baselines",
            description = "Baselines run beyond --max-tuned-multiplier [nag,adam].")
    String longBaselines;

    @Option(
            names = "--horizon-multipliers",
            split = ",",
            description = "Evaluation horizons as multiples of H [1,2,10,100].")
    int[] multipliers;

    @Option(
            names = "--max-tuned-multiplier",
            description = "Re-tune baselines at horizons up to this multiple of H [10].")
    Integer maxTuned;

    @Option(
            names = "--base-iterations",
            description = "Meta-iterations of the main optimizer [300].")
    Integer baseIterations;

    @Option(
            names = "--main-optimizer",
            paramLabel = "ID|FILE",
            description =
                    "Use these weights (a pretrained id or a weight file) as the main optimizer"
                            + " of sections 1, 2 and 5 instead of meta-training one.")
    String mainOptimizer;

    @Option(
            names = "--ablation-iterations",
            description = "Meta-iterations of each ablation variant [100].")
    Integer ablationIterations;

    @Option(
            names = "--coordinate-subsample",
            description = "Coordinates in the meta-backward pass, 0 = all [2048].")
    Integer subsample;

    @Option(
            names = "--task-option",
            paramLabel = "KEY=VALUE",
            description =
                    "Option of the mnist-mlp family for every run, e.g. batch=64 or"
                            + " data-dir=/path/to/idx [data-dir=bundled: the bundled subsets, the"
                            + " same on every machine].")
    Map<String, String> taskOptions;

    @Option(
            names = "--sections",
            split = ",",
            paramLabel = "NAME",
            description =
                    "Sections to run, comma-separated, in report order whatever the order given:"
                            + " horizon, generalization, weighting, architecture, cost, cnn, style,"
                            + " cells [all].")
    List<String> sections;

    @Option(
            names = "--cnn-optimizer",
            paramLabel = "ID|FILE",
            description =
                    "Use these weights as the learned optimizer of the CNN section (6) instead of"
                            + " meta-training one on conv.")
    String cnnOptimizer;

    @Option(
            names = "--cnn-iterations",
            description = "Meta-iterations of the CNN section's optimizer [100].")
    Integer cnnIterations;

    @Option(
            names = "--style-optimizer",
            paramLabel = "ID|FILE",
            description =
                    "Use these weights as the learned optimizer of the style-transfer section (7)"
                            + " instead of meta-training one on style.")
    String styleOptimizer;

    @Option(
            names = "--style-iterations",
            description = "Meta-iterations of the style-transfer section's optimizer [100].")
    Integer styleIterations;

    @Option(
            names = "--cells-variants",
            paramLabel = "V;V;...",
            description =
                    "Section 8's optimizers, ';'-separated, each CELL/LAYERSxHIDDEN[/FEATURES]"
                            + "[/ACTIVATION], e.g. 'lstm/2x20/log-sign;mlp/2x32/rms,mom:0.9/relu'"
                            + " [lstm 2x20, 1x20, 2x10 log-sign; gru 2x20 log-sign and"
                            + " rms,mom:0.5,mom:0.9,mom:0.99; mlp 2x32 and 1x32 with those"
                            + " features, mlp 2x32 rms]. Each is meta-trained with --cpu-budget.")
    String cellVariants;

    @Option(
            names = "--cells-max-iterations",
            description = "Section 8: the most meta-iterations of a variant [100000].")
    Integer cellsMaxIterations;

    @Mixin MetaBudgetOptions budget = new MetaBudgetOptions();

    @Mixin LstmArchitectureOptions lstm = new LstmArchitectureOptions();

    @Mixin TaskVariantOptions data = new TaskVariantOptions();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The configuration these flags describe. */
    StudyConfig config() throws java.io.IOException {
        StudyConfig c = toy ? StudyConfig.toy() : StudyConfig.defaults();
        if (seeds != null) {
            c.seeds = seeds;
        }
        if (tuningSeeds != null) {
            c.tuningSeeds = tuningSeeds;
        }
        if (lrGrid != null) {
            c.grid = LearningRateGrid.parse(lrGrid);
        }
        if (baselines != null) {
            c.baselines = Baselines.parseList(baselines);
        }
        if (longBaselines != null) {
            c.longHorizonBaselines = Baselines.parseList(longBaselines);
        }
        if (multipliers != null) {
            for (int m : multipliers) {
                if (m < 1) {
                    throw new IllegalArgumentException(
                            "--horizon-multipliers must be >= 1 but got "
                                    + Arrays.toString(multipliers));
                }
            }
            c.horizonMultipliers = multipliers;
        }
        if (maxTuned != null) {
            c.maxTunedMultiplier = maxTuned;
        }
        if (budget.horizon != null) {
            c.horizon = budget.horizon;
        }
        if (budget.unroll != null) {
            c.unroll = budget.unroll;
        }
        if (baseIterations != null) {
            c.baseIterations = baseIterations;
        }
        if (mainOptimizer != null) {
            c.mainWeights = LearnedOptimizerLoader.load(mainOptimizer);
            c.mainWeightsName = mainOptimizer;
        }
        if (ablationIterations != null) {
            c.ablationIterations = ablationIterations;
        }
        if (budget.tasksPerIteration != null) {
            c.tasksPerIteration = budget.tasksPerIteration;
        }
        if (subsample != null) {
            c.coordinateSubsample = subsample;
        }
        if (budget.validationTasks != null) {
            c.validationTasks = budget.validationTasks;
        }
        if (taskOptions != null) {
            c.taskOptions.putAll(taskOptions);
        }
        if (budget.threads != null) {
            c.threads = budget.threads;
        }
        if (budget.seed != null) {
            c.seed = budget.seed;
        }
        if (lstm.any()) {
            if (mainOptimizer != null) {
                throw new IllegalArgumentException(
                        "--main-optimizer brings its own architecture; do not combine it with"
                                + " --lstm-layers, --lstm-hidden, --preprocessing, --log-sign-p or"
                                + " --output-scale");
            }
            c.baseLstm =
                    lstm.applyTo(
                                    LstmConfig.paperDefaults().toBuilder()
                                            .layers(2)
                                            .hidden(c.lstmBaseHidden),
                                    Preprocessing.LOG_SIGN)
                            .build();
        }
        if (data.hidden != null) {
            c.baseHidden = data.hidden;
        }
        if (data.layers != null) {
            c.baseLayers = data.layers;
        }
        if (data.activation != null) {
            c.baseActivation = data.activation;
        }
        if (data.dataset != null) {
            c.baseDataset = data.dataset;
        }
        if (data.batch != null) {
            c.taskOptions.put(TaskFamilies.BATCH, data.batch.toString());
        }
        if (data.dataDir != null) {
            c.taskOptions.put(TaskFamilies.DATA_DIR, data.dataDir);
        }
        if (cnnOptimizer != null) {
            c.cnnWeights = LearnedOptimizerLoader.load(cnnOptimizer);
            c.cnnWeightsName = cnnOptimizer;
        }
        if (cnnIterations != null) {
            c.cnnIterations = cnnIterations;
        }
        if (styleOptimizer != null) {
            c.styleWeights = LearnedOptimizerLoader.load(styleOptimizer);
            c.styleWeightsName = styleOptimizer;
        }
        if (styleIterations != null) {
            c.styleIterations = styleIterations;
        }
        if (budget.cpuBudget != null) {
            if (!(budget.cpuBudget > 0) || Double.isInfinite(budget.cpuBudget)) {
                throw new IllegalArgumentException(
                        "--cpu-budget must be a positive number of seconds but was "
                                + budget.cpuBudget);
            }
            c.cellsCpuBudget = budget.cpuBudget;
        }
        if (cellsMaxIterations != null) {
            if (cellsMaxIterations < 1) {
                throw new IllegalArgumentException(
                        "--cells-max-iterations must be >= 1 but was " + cellsMaxIterations);
            }
            c.cellsMaxIterations = cellsMaxIterations;
        }
        if (cellVariants != null) {
            List<String> vs =
                    Arrays.stream(cellVariants.split(";"))
                            .map(String::trim)
                            .filter(v -> !v.isEmpty())
                            .toList();
            if (vs.isEmpty()) {
                throw new IllegalArgumentException(
                        "--cells-variants must name at least one variant but was '"
                                + cellVariants
                                + "'");
            }
            for (String v : vs) {
                CellsSection.parseVariant(v); // validates each before the study starts
            }
            c.cellVariants = vs;
        }
        if (sections != null) {
            StudyRunner.select(sections); // validates the names
            c.sections = List.copyOf(sections);
        }
        List<String> missing =
                c.longHorizonBaselines.stream().filter(b -> !c.baselines.contains(b)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "--long-horizon-baselines "
                            + missing
                            + " must also be in --baselines "
                            + c.baselines);
        }
        return c;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (lrGrid != null) {
            // before parsing it: min:max:points allocates the points
            HeapChecks.require(HeapChecks.grid(lrGrid));
        }
        StudyConfig c;
        try {
            c = config();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        for (int m : c.horizonMultipliers) {
            if ((long) m * c.horizon > Integer.MAX_VALUE - 1) {
                throw new IllegalArgumentException(
                        "--horizon "
                                + c.horizon
                                + " x --horizon-multipliers "
                                + m
                                + " is more steps than a run can have ("
                                + (Integer.MAX_VALUE - 1)
                                + ")");
            }
        }
        HeapChecks.require(HeapChecks.study(c));
        HeapChecks.require(HeapChecks.studyMetaTraining(c));
        // before the hour of work, not after it
        RunFiles.checkWritableDirectory(out, "--out");
        c.command =
                CommandLines.render("study", spec.commandLine().getParseResult().originalArgs());
        Path report;
        try {
            report = new StudyRunner(c, out, err).run();
        } catch (FileSystemException e) {
            throw new IOException(
                    "cannot write the study to --out "
                            + out
                            + (e.getFile() != null ? " (" + e.getFile() + ")" : "")
                            + ": "
                            + RunFiles.reason(e),
                    e);
        }
        spec.commandLine().getOut().println(report.toAbsolutePath());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Runs the command alone (the {@code l2o} main registers it as a subcommand). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new StudyCommand()).execute(args));
    }
}
