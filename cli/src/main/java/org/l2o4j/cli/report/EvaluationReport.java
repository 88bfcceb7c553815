package org.l2o4j.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.l2o4j.core.eval.EvaluationResult;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.eval.TuningResult;

/**
 * Writes an evaluation to a directory: {@code results.csv} (every loss), {@code curves.png} (mean
 * loss with a 10-90th percentile band, log scale) and {@code report.md} (tables with mean, std, 95%
 * CI and diverged count, and the learning-rate searches).
 */
public final class EvaluationReport {
    /** The CSV file name. */
    public static final String CSV = "results.csv";

    /** The plot file name. */
    public static final String PNG = "curves.png";

    /** The markdown file name. */
    public static final String MARKDOWN = "report.md";

    private EvaluationReport() {}

    /**
     * Writes the three files into {@code dir} (created if needed).
     *
     * @param lossUnit the loss axis title with its unit
     * @param command the command line that produced the result, quoted in the report
     */
    public static void write(Path dir, EvaluationResult result, String lossUnit, String command)
            throws IOException {
        Files.createDirectories(dir);
        ResultsCsv.write(dir.resolve(CSV), result);
        LossCurvePlot.write(
                dir.resolve(PNG),
                "Loss on " + result.task() + " (" + result.evaluationSeeds().length + " seeds)",
                lossUnit,
                curves(result));
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation on ").append(result.task()).append("\n\n");
        if (command != null && !command.isBlank()) {
            md.append("Command: `").append(command).append("`\n\n");
        }
        md.append(describe(result)).append('\n');
        md.append(finalLossTable(result).render()).append('\n');
        md.append("![Loss curves](").append(PNG).append(")\n\n");
        md.append(
                        "Plot: mean loss over seeds (line) and the 10th-90th percentile band; values"
                                + " <= 0 are drawn at the axis floor. Every loss is in `")
                .append(CSV)
                .append("`.\n\n");
        md.append("## Learning-rate tuning\n\n").append(tuningText(result));
        Files.writeString(dir.resolve(MARKDOWN), md.toString(), StandardCharsets.UTF_8);
    }

    /** The loss curves of every optimizer, thinned to at most 600 points each. */
    public static List<LossCurves> curves(EvaluationResult result) {
        List<LossCurves> out = new ArrayList<>();
        for (OptimizerResult o : result.optimizers()) {
            String label =
                    Double.isNaN(o.learningRate())
                            ? o.name()
                            : o.name() + " (lr " + MarkdownTable.num(o.learningRate()) + ")";
            out.add(LossCurves.of(label, o, 600));
        }
        return out;
    }

    /** One paragraph on the protocol: horizon, seeds, tuning, divergence rule. */
    public static String describe(EvaluationResult result) {
        long[] e = result.evaluationSeeds();
        long[] v = result.validationSeeds();
        return "Horizon "
                + result.steps()
                + " steps; "
                + e.length
                + " evaluation tasks (seeds "
                + range(e)
                + "), the same initial points and minibatches for every optimizer. Baseline"
                + " learning rates were chosen by grid search on "
                + v.length
                + " separate validation tasks (seeds "
                + range(v)
                + ") by the lowest mean final loss, a diverged run counting as +inf. A run"
                + " diverges when its loss is NaN/Inf or above "
                + MarkdownTable.num(Evaluator.DEFAULT_DIVERGENCE_FACTOR)
                + "x its initial loss, or its gradient is not finite; diverged runs are counted"
                + " and excluded from the loss statistics. 95% CI: Student's t interval of the"
                + " mean.\n";
    }

    /** The main table: one row per optimizer. */
    public static MarkdownTable finalLossTable(EvaluationResult result) {
        MarkdownTable t =
                new MarkdownTable(
                        "optimizer",
                        "learning rate",
                        "final loss mean",
                        "std",
                        "95% CI",
                        "diverged",
                        "mean loss over run (mean ± std)",
                        "optimizer time per step (µs)");
        for (OptimizerResult o : result.optimizers()) {
            Statistics.Summary s = o.finalLoss();
            Statistics.Summary m = o.meanLossOverRun();
            Statistics.Summary time = o.optimizerSecondsPerStep();
            t.row(
                    o.name(),
                    Double.isNaN(o.learningRate()) ? "-" : MarkdownTable.num(o.learningRate()),
                    MarkdownTable.num(s.mean()),
                    MarkdownTable.num(s.std()),
                    MarkdownTable.interval(s.ciLow(), s.ciHigh()),
                    o.divergedCount() + "/" + o.runs().size(),
                    MarkdownTable.num(m.mean()) + " ± " + MarkdownTable.num(m.std()),
                    MarkdownTable.num(time.mean() * 1e6));
        }
        return t;
    }

    /** The grid-search tables, one per tuned baseline. */
    public static String tuningText(EvaluationResult result) {
        StringBuilder sb = new StringBuilder();
        for (OptimizerResult o : result.optimizers()) {
            TuningResult tr = o.tuning();
            if (tr == null) {
                continue;
            }
            sb.append("### ")
                    .append(o.name())
                    .append(": chosen learning rate ")
                    .append(MarkdownTable.num(tr.bestLearningRate()))
                    .append("\n\n");
            MarkdownTable t =
                    new MarkdownTable(
                            "learning rate",
                            "mean final loss (validation)",
                            "std (finite runs)",
                            "diverged");
            for (TuningResult.GridPoint p : tr.points()) {
                String lr = MarkdownTable.num(p.learningRate());
                if (p.learningRate() == tr.bestLearningRate()) {
                    lr = "**" + lr + "**";
                }
                t.row(
                        lr,
                        MarkdownTable.num(p.meanFinalLoss()),
                        MarkdownTable.num(p.finiteFinalLoss().std()),
                        p.diverged() + "/" + tr.validationSeeds().length);
            }
            sb.append(t.render()).append('\n');
        }
        if (sb.length() == 0) {
            sb.append("No baselines were tuned.\n");
        }
        return sb.toString();
    }

    private static String range(long[] s) {
        if (s.length == 0) {
            return "none";
        }
        long min = Arrays.stream(s).min().orElseThrow();
        long max = Arrays.stream(s).max().orElseThrow();
        return s.length == max - min + 1 ? min + ".." + max : Arrays.toString(s);
    }
}
