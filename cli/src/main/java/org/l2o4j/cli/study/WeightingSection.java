package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.l2o4j.cli.report.LossCurvePlot;
import org.l2o4j.cli.report.LossCurves;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.task.TaskFamily;

/** Section 3: uniform vs final vs discounted meta-loss weights, at H and a longer horizon. */
public final class WeightingSection implements StudySection {

    @Override
    public String key() {
        return "weighting";
    }

    @Override
    public String header() {
        return "## 3. Meta-loss weighting";
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TaskFamily test = ctx.family(Map.of(), "test");
        int longSteps = ctx.longMultiplier() * c.horizon;
        MarkdownTable t =
                new MarkdownTable(
                        "weighting",
                        "T",
                        "final loss mean",
                        "std",
                        "95% CI",
                        "diverged",
                        "mean loss over the run (mean ± std)");
        List<LossCurves> curves = new ArrayList<>();
        for (String w : c.weightings) {
            TrainingCache.Trained tr =
                    ctx.train("weighting", ctx.baseLstm(), w, c.ablationIterations);
            OptimizerResult full = ctx.learned("learned " + w, tr, test, longSteps);
            for (int steps : new int[] {c.horizon, longSteps}) {
                OptimizerResult r = steps == longSteps ? full : StudyContext.truncate(full, steps);
                weightRow(t, w, steps, r);
                if (steps == longSteps && steps == c.horizon) {
                    break;
                }
            }
            curves.add(LossCurves.of("learned, " + w, full, 800));
        }
        for (String b : c.baselines) {
            if (!c.longHorizonBaselines.contains(b)) {
                continue;
            }
            for (int steps : new int[] {c.horizon, longSteps}) {
                OptimizerResult r = ctx.baseline(b, test, steps);
                weightRow(t, b + " (lr " + MarkdownTable.num(r.learningRate()) + ")", steps, r);
                if (steps == longSteps) {
                    curves.add(LossCurves.of(b + " (tuned at T=" + steps + ")", r, 800));
                }
                if (longSteps == c.horizon) {
                    break;
                }
            }
        }
        LossCurvePlot.write(
                ctx.dir.resolve("weighting-curves.png"),
                "Meta-loss weighting: loss curves to T="
                        + longSteps
                        + " ("
                        + c.seeds
                        + " test tasks)",
                ctx.lossAxis().replace("final loss", "loss"),
                curves);
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                "The reviewer: uniform weights minimise the integral of the loss, not the final"
                        + " loss. Each weighting trains its own "
                        + ctx.baseLstm()
                        + " optimizer with the ablation budget ("
                        + c.ablationIterations
                        + " meta-iterations, H = "
                        + c.horizon
                        + "). `final`: only the last step; `discounted:G`: w_t = G^(T-t)."
                        + " Evaluated at T = H and T = "
                        + longSteps
                        + "; the mean loss over the run is the quantity uniform weighting"
                        + " optimises.\n\n");
        sb.append(t.render()).append('\n');
        sb.append(StudyContext.img("weighting-curves.png", "loss curves by weighting"));
        sb.append("Line: mean over tasks; band: 10th-90th percentile.\n\n");
        return sb.toString();
    }

    private static void weightRow(MarkdownTable t, String name, int steps, OptimizerResult r) {
        Statistics.Summary s = r.finalLoss();
        Statistics.Summary m = r.meanLossOverRun();
        t.row(
                name,
                steps,
                MarkdownTable.num(s.mean()),
                MarkdownTable.num(s.std()),
                MarkdownTable.interval(s.ciLow(), s.ciHigh()),
                r.divergedCount() + "/" + r.runs().size(),
                MarkdownTable.num(m.mean()) + " ± " + MarkdownTable.num(m.std()));
    }
}
