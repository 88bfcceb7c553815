package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.BarChartPlot;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.TaskFamily;

/** Section 4: LSTM layers, hidden units and preprocessing of the optimizer itself. */
public final class ArchitectureSection implements StudySection {

    @Override
    public String key() {
        return "architecture";
    }

    @Override
    public String header() {
        return "## 4. Optimizer architecture";
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TaskFamily test = ctx.family(Map.of(), "test");
        Map<String, LstmConfig> variants = new LinkedHashMap<>();
        for (int l : c.lstmLayers) {
            variants.putIfAbsent(
                    l + "x" + c.lstmBaseHidden + " log-sign",
                    StudyContext.lstm(l, c.lstmBaseHidden, Preprocessing.LOG_SIGN));
        }
        for (int h : c.lstmHidden) {
            variants.putIfAbsent(
                    "2x" + h + " log-sign", StudyContext.lstm(2, h, Preprocessing.LOG_SIGN));
        }
        variants.putIfAbsent(
                "2x" + c.lstmBaseHidden + " none",
                StudyContext.lstm(2, c.lstmBaseHidden, Preprocessing.NONE));
        MarkdownTable t =
                new MarkdownTable(
                        "LSTM",
                        "parameters",
                        "state floats / coordinate",
                        "final loss mean",
                        "std",
                        "95% CI",
                        "diverged",
                        "meta-training wall (s)");
        List<String> cats = new ArrayList<>();
        double[] mean = new double[variants.size()];
        double[] ci = new double[variants.size()];
        int i = 0;
        for (Map.Entry<String, LstmConfig> e : variants.entrySet()) {
            TrainingCache.Trained tr =
                    ctx.train("architecture", e.getValue(), "uniform", c.ablationIterations);
            OptimizerResult r = ctx.learned("learned " + e.getKey(), tr, test, c.horizon);
            Statistics.Summary s = r.finalLoss();
            t.row(
                    e.getKey(),
                    e.getValue().numParameters(),
                    e.getValue().stateSizePerCoordinate(),
                    MarkdownTable.num(s.mean()),
                    MarkdownTable.num(s.std()),
                    MarkdownTable.interval(s.ciLow(), s.ciHigh()),
                    r.divergedCount() + "/" + r.runs().size(),
                    String.format(Locale.ROOT, "%.1f", tr.wallSeconds()));
            cats.add(e.getKey());
            mean[i] = s.mean();
            ci[i] = s.ci95HalfWidth();
            i++;
        }
        List<String> refs = new ArrayList<>();
        for (String b : c.longHorizonBaselines) {
            if (c.baselines.contains(b)) {
                OptimizerResult r = ctx.baseline(b, test, c.horizon);
                Statistics.Summary s = r.finalLoss();
                refs.add(
                        b
                                + " (lr "
                                + MarkdownTable.num(r.learningRate())
                                + "): "
                                + MarkdownTable.num(s.mean())
                                + " ± "
                                + MarkdownTable.num(s.std())
                                + ", 95% CI "
                                + MarkdownTable.interval(s.ciLow(), s.ciHigh())
                                + ", diverged "
                                + r.divergedCount()
                                + "/"
                                + r.runs().size());
            }
        }
        new BarChartPlot(
                        "Optimizer architecture: final loss at T="
                                + c.horizon
                                + " ("
                                + c.seeds
                                + " test tasks)",
                        "LSTM (layers x hidden units, input preprocessing)",
                        ctx.lossAxis())
                .categories(cats)
                .series("learned", mean, ci)
                .write(ctx.dir.resolve("architecture.png"));
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                "Each variant is meta-trained with the ablation budget ("
                        + c.ablationIterations
                        + " meta-iterations, uniform weighting) and evaluated at T = H = "
                        + c.horizon
                        + ". Reference baselines at the same tasks: "
                        + (refs.isEmpty() ? "none" : String.join("; ", refs))
                        + ".\n\n");
        sb.append(t.render()).append('\n');
        sb.append(StudyContext.img("architecture.png", "final loss by LSTM architecture"));
        sb.append("Error bars: 95% CI of the mean.\n\n");
        return sb.toString();
    }
}
