package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.BarChartPlot;
import org.l2o4j.cli.report.LossCurvePlot;
import org.l2o4j.cli.report.LossCurves;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.TaskFamily;

/**
 * Section 8: the review's last question ("How important is LSTM? Two layers? 20 units?"): learned
 * optimizers of different cells (LSTM, GRU, MLP), sizes and input features, each meta-trained from
 * scratch with the same CPU budget ({@link StudyConfig#cellsCpuBudget} process CPU seconds in
 * meta-iterations, validation excluded) on the study's family, and evaluated on held-out test tasks
 * against tuned Adam; with each one's state and step cost per parameter.
 *
 * <p>A variant is written {@code CELL/LAYERSxHIDDEN[/FEATURES][/ACTIVATION]} ({@link
 * #parseVariant}).
 */
public final class CellsSection implements StudySection {

    /** The variants of the default study (the paper's LSTM first). */
    public static final List<String> DEFAULT_VARIANTS =
            List.of(
                    "lstm/2x20/log-sign",
                    "lstm/1x20/log-sign",
                    "lstm/2x10/log-sign",
                    "gru/2x20/log-sign",
                    "gru/2x20/rms,mom:0.5,mom:0.9,mom:0.99",
                    "mlp/2x32/rms,mom:0.5,mom:0.9,mom:0.99/relu",
                    "mlp/1x32/rms,mom:0.5,mom:0.9,mom:0.99/relu",
                    "mlp/2x32/rms/relu");

    private static final String SYNTAX =
            "CELL/LAYERSxHIDDEN[/FEATURES][/ACTIVATION], e.g. lstm/2x20/log-sign or"
                    + " mlp/2x32/rms,mom:0.9/relu (CELL lstm|gru|mlp; FEATURES log-sign, grad,"
                    + " rms, mom:B, time:TAU, param comma-separated; ACTIVATION relu|tanh, mlp only)";

    @Override
    public String key() {
        return "cells";
    }

    @Override
    public String header() {
        return "## 8. Cells and features at equal CPU budget";
    }

    /**
     * The optimizer a variant describes, with the paper's output scale and log-sign p.
     *
     * @throws IllegalArgumentException naming the variant, what was expected and what was found
     */
    public static LstmConfig parseVariant(String spec) {
        String[] parts = spec.trim().split("/", -1);
        if (parts.length < 2 || parts.length > 4) {
            throw new IllegalArgumentException(
                    "cells variant '"
                            + spec
                            + "': expected "
                            + SYNTAX
                            + " but found "
                            + parts.length
                            + " part(s) separated by '/'");
        }
        try {
            CellType cell = CellType.fromId(parts[0].trim());
            String[] size = parts[1].trim().split("x", -1);
            if (size.length != 2) {
                throw new IllegalArgumentException(
                        "the size must be LAYERSxHIDDEN (e.g. 2x20) but was '" + parts[1] + "'");
            }
            int layers;
            int hidden;
            try {
                layers = Integer.parseInt(size[0].trim());
                hidden = Integer.parseInt(size[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "the size must be LAYERSxHIDDEN with whole numbers (e.g. 2x20) but was '"
                                + parts[1]
                                + "'",
                        e);
            }
            LstmConfig.Builder b = LstmConfig.builder().cell(cell).layers(layers).hidden(hidden);
            if (parts.length >= 3 && !parts[2].isBlank()) {
                b.features(FeatureSet.parse(parts[2].trim()));
            }
            if (parts.length == 4) {
                if (cell != CellType.MLP) {
                    throw new IllegalArgumentException(
                            "only the mlp cell takes an activation, but the "
                                    + cell.id()
                                    + " variant was given '"
                                    + parts[3]
                                    + "'");
                }
                b.activation(CellActivation.fromId(parts[3].trim()));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("cells variant")) {
                throw e;
            }
            throw new IllegalArgumentException(
                    "cells variant '" + spec + "' (" + SYNTAX + "): " + e.getMessage(), e);
        }
    }

    /** A variant's name in the tables: cell, size, activation (mlp), features. */
    static String name(LstmConfig c) {
        String l = TrainingCache.label(c);
        return c.cell() == CellType.LSTM ? "lstm " + l : l;
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TaskFamily train = ctx.family(Map.of(), "train");
        TaskFamily test = ctx.family(Map.of(), "test");
        int n = test.sample(Evaluator.EVALUATION_SEED_BASE).dimension();
        Map<String, LstmConfig> variants = new LinkedHashMap<>();
        for (String v : c.cellVariants) {
            LstmConfig cfg = parseVariant(v);
            variants.putIfAbsent(name(cfg), cfg);
        }
        LstmConfig paper = LstmConfig.paperDefaults();
        MarkdownTable t =
                new MarkdownTable(
                        "optimizer",
                        "weights",
                        "state bytes / parameter",
                        "step ns / parameter (mean ± std)",
                        "meta-iterations",
                        "budgeted CPU-s",
                        "CPU-s with validation",
                        "best iteration",
                        "final loss mean",
                        "std",
                        "95% CI",
                        "diverged");
        List<String> cats = new ArrayList<>();
        List<double[]> bars = new ArrayList<>();
        List<LossCurves> curves = new ArrayList<>();
        for (Map.Entry<String, LstmConfig> e : variants.entrySet()) {
            TrainingCache.Trained tr =
                    ctx.training.trainWithCpuBudget(
                            "cells",
                            e.getValue(),
                            c.cellsWeighting,
                            c.cellsCpuBudget,
                            c.cellsMaxIterations,
                            train);
            String label = e.getKey() + (e.getValue().equals(paper) ? " (paper)" : "");
            OptimizerResult r = ctx.learned(label, tr, test, c.horizon);
            UpdateRule rule = LstmOptimizer.of(tr.weights()).withThreads(1);
            Statistics.Summary step = StepTimer.nanosPerCoordinate(c, rule, n, true);
            Map<String, String> md = tr.weights().metadata();
            Statistics.Summary s = r.finalLoss();
            t.row(
                    label,
                    e.getValue().numParameters(),
                    rule.stateSizePerCoordinate() * Float.BYTES,
                    MarkdownTable.num(step.mean()) + " ± " + MarkdownTable.num(step.std()),
                    tr.iterations()
                            + (WeightMetadata.STOPPED_BY_ITERATIONS.equals(
                                            md.get(WeightMetadata.STOPPED_BY))
                                    ? " (cap)"
                                    : ""),
                    md.getOrDefault(WeightMetadata.CPU_SECONDS, "?"),
                    String.format(Locale.ROOT, "%.2f", tr.cpuSeconds()),
                    md.getOrDefault(WeightMetadata.BEST_ITERATION, "?"),
                    MarkdownTable.num(s.mean()),
                    MarkdownTable.num(s.std()),
                    MarkdownTable.interval(s.ciLow(), s.ciHigh()),
                    r.divergedCount() + "/" + r.runs().size());
            cats.add(plotLabel(label));
            bars.add(new double[] {s.mean(), s.ci95HalfWidth()});
            curves.add(LossCurves.of(label, r, 800));
        }
        OptimizerResult adam = ctx.baseline("adam", test, c.horizon);
        UpdateRule adamRule = Baselines.create("adam", adam.learningRate());
        Statistics.Summary adamStep = StepTimer.nanosPerCoordinate(c, adamRule, n, true);
        Statistics.Summary as = adam.finalLoss();
        String adamLabel = "adam, tuned (lr " + MarkdownTable.num(adam.learningRate()) + ")";
        t.row(
                adamLabel,
                "-",
                adamRule.stateSizePerCoordinate() * Float.BYTES,
                MarkdownTable.num(adamStep.mean()) + " ± " + MarkdownTable.num(adamStep.std()),
                "-",
                "-",
                "-",
                "-",
                MarkdownTable.num(as.mean()),
                MarkdownTable.num(as.std()),
                MarkdownTable.interval(as.ciLow(), as.ciHigh()),
                adam.divergedCount() + "/" + adam.runs().size());
        cats.add(plotLabel(adamLabel));
        bars.add(new double[] {as.mean(), as.ci95HalfWidth()});
        curves.add(LossCurves.of(adamLabel, adam, 800));
        double[] mean = new double[bars.size()];
        double[] ci = new double[bars.size()];
        for (int i = 0; i < bars.size(); i++) {
            mean[i] = bars.get(i)[0];
            ci[i] = bars.get(i)[1];
        }
        String budget = TrainingCache.plain(c.cellsCpuBudget);
        finalLossPlot(
                ctx.dir.resolve("cells-final-loss.png"),
                "Cells at "
                        + budget
                        + " CPU-s of meta-training each: final loss at T="
                        + c.horizon
                        + " ("
                        + c.seeds
                        + " test tasks)",
                ctx.lossAxis(),
                cats,
                mean,
                ci);
        LossCurvePlot.write(
                ctx.dir.resolve("cells-curves.png"),
                "Cells at "
                        + budget
                        + " CPU-s of meta-training each: loss curves ("
                        + c.seeds
                        + " test tasks)",
                ctx.lossAxis().replace("final loss", "loss"),
                curves);
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "The review's last question: how important is the LSTM, its two layers,"
                                + " its 20 units? Each optimizer below is meta-trained from scratch"
                                + " on the training split with the **same CPU budget: %s CPU-s**"
                                + " of process CPU time spent in meta-iterations (every thread of"
                                + " the JVM: %d worker threads, GC and JIT; the validations"
                                + " between iterations are not counted, for any variant), or %d"
                                + " meta-iterations if it gets there first, %s weighting, H = %d,"
                                + " unroll %d, %d task(s) per iteration, backward on %s"
                                + " coordinates, seed %d; it keeps its best weights on %d"
                                + " validation tasks, validated every %d iterations and at the"
                                + " end. A cheap cell gets more meta-iterations from the same"
                                + " budget; that is the point of the comparison. Evaluated at"
                                + " T = H = %d on the %d test tasks, with tuned Adam as the"
                                + " reference.%n%n",
                        budget,
                        c.threads,
                        c.cellsMaxIterations,
                        c.cellsWeighting,
                        c.horizon,
                        c.unroll,
                        c.tasksPerIteration,
                        c.coordinateSubsample == 0 ? "all" : c.coordinateSubsample + "",
                        c.seed,
                        c.validationTasks,
                        c.validateEvery,
                        c.horizon,
                        c.seeds));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Columns: *weights*, the optimizer's own parameters (shared by all"
                                + " coordinates); *state bytes / parameter*, the state it keeps per"
                                + " optimizee parameter (4-byte floats); *step ns / parameter*,"
                                + " thread CPU time of one `UpdateRule.step` on the %d-parameter"
                                + " test net, 1 thread, random gradients, after warm-up, mean ± std"
                                + " over 5 repetitions of %d steps, measured by this section on a"
                                + " machine shared with other jobs; *meta-iterations*, those"
                                + " reached within the budget ((cap): all of them, the budget was"
                                + " not spent); *budgeted CPU-s*, what the budget counted;"
                                + " *CPU-s with validation*, the process CPU of the whole"
                                + " meta-training; *best iteration*, the one whose weights were"
                                + " kept (0: the initial weights). LSTM cells take log-sign or"
                                + " raw-gradient input only (no rms/momentum features), so the"
                                + " effect of the features is shown on the GRU and MLP rows."
                                + " Weight files: `weights/cells-*.safetensors`.%n%n",
                        n,
                        c.costSteps));
        sb.append(t.render()).append('\n');
        sb.append(
                StudyContext.img("cells-final-loss.png", "final loss by cell at equal CPU budget"));
        sb.append("Error bars: 95% CI of the mean over the test tasks (one meta-training run per");
        sb.append(" variant: the spread over meta-training seeds is not in it).\n\n");
        sb.append(StudyContext.img("cells-curves.png", "loss curves by cell"));
        sb.append("Line: mean over tasks; band: 10th-90th percentile.\n\n");
        return sb.toString();
    }

    /**
     * A table row's name shortened for the bar chart's axis: momentum features {@code ,mom:B} as
     * {@code +mB}, {@code log-sign} as {@code ls}, tuned Adam as {@code adam (tuned)}.
     */
    public static String plotLabel(String rowName) {
        if (rowName.startsWith("adam")) {
            return "adam (tuned)";
        }
        return rowName.replace(",mom:", "+m").replace("log-sign", "ls");
    }

    /**
     * The bar chart of final losses (mean, 95% CI half-width per optimizer), labels rotated so that
     * long names stay readable.
     */
    public static void finalLossPlot(
            java.nio.file.Path file,
            String title,
            String yAxis,
            List<String> cats,
            double[] mean,
            double[] ci)
            throws IOException {
        new BarChartPlot(title, "optimizer", yAxis)
                .categories(cats)
                .series("final loss", mean, ci)
                .labelRotation(30)
                .write(file);
    }

    @Override
    public String setupNote(StudyContext ctx) {
        return "Section 8 meta-trains each of its "
                + ctx.c.cellVariants.size()
                + " variants with a CPU budget of "
                + TrainingCache.plain(ctx.c.cellsCpuBudget)
                + " CPU-s (process CPU in meta-iterations, validation excluded; at most "
                + ctx.c.cellsMaxIterations
                + " meta-iterations), "
                + ctx.c.cellsWeighting
                + " weighting; its budget table is in its section.";
    }
}
