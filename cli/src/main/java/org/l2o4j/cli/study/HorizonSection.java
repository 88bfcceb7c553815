package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.LossCurvePlot;
import org.l2o4j.cli.report.LossCurves;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.cli.report.SummaryLinePlot;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.task.TaskFamily;

/** Section 1: the main optimizer and the baselines at 1x, 2x, 10x, 100x H. */
public final class HorizonSection implements StudySection {

    @Override
    public String key() {
        return "horizon";
    }

    @Override
    public String header() {
        return "## 1. Horizon";
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TrainingCache.Trained base = ctx.main();
        TaskFamily test = ctx.family(Map.of(), "test");
        int[] mults = c.horizonMultipliers.clone();
        Arrays.sort(mults);
        int maxSteps = mults[mults.length - 1] * c.horizon;
        OptimizerResult learnedLong = ctx.learned("learned", base, test, maxSteps);
        for (int m : mults) {
            ctx.putLearnedIfAbsent(
                    base, test, m * c.horizon, StudyContext.truncate(learnedLong, m * c.horizon));
        }
        int maxTuned = 0;
        for (int m : mults) {
            if (m <= c.maxTunedMultiplier) {
                maxTuned = m;
            }
        }
        Map<Integer, List<OptimizerResult>> byMult = new LinkedHashMap<>();
        for (int m : mults) {
            int steps = m * c.horizon;
            List<OptimizerResult> rows = new ArrayList<>();
            rows.add(ctx.learned("learned", base, test, steps));
            if (m <= c.maxTunedMultiplier) {
                for (String b : c.baselines) {
                    rows.add(ctx.baseline(b, test, steps));
                }
            } else {
                for (String b : c.longHorizonBaselines) {
                    rows.add(ctx.longBaseline(b, test, maxTuned * c.horizon, steps, maxSteps));
                }
            }
            byMult.put(m, rows);
        }
        MarkdownTable t = StudyContext.resultTable("horizon T");
        for (Map.Entry<Integer, List<OptimizerResult>> e : byMult.entrySet()) {
            for (OptimizerResult r : e.getValue()) {
                StudyContext.addRow(t, e.getKey() + "x = " + e.getKey() * c.horizon, r);
            }
        }
        SummaryLinePlot plot =
                new SummaryLinePlot(
                        "Final loss vs horizon ("
                                + c.seeds
                                + " test tasks; meta-trained at T="
                                + c.horizon
                                + ")",
                        "horizon T (optimizer steps)",
                        ctx.lossAxis());
        Map<String, List<double[]>> pts = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<OptimizerResult>> e : byMult.entrySet()) {
            for (OptimizerResult r : e.getValue()) {
                Statistics.Summary s = r.finalLoss();
                pts.computeIfAbsent(r.name(), k -> new ArrayList<>())
                        .add(new double[] {e.getKey() * c.horizon, s.mean(), s.ci95HalfWidth()});
            }
        }
        for (Map.Entry<String, List<double[]>> e : pts.entrySet()) {
            double[][] a = e.getValue().toArray(new double[0][]);
            plot.series(
                    e.getKey(),
                    Arrays.stream(a).mapToDouble(x -> x[0]).toArray(),
                    Arrays.stream(a).mapToDouble(x -> x[1]).toArray(),
                    Arrays.stream(a).mapToDouble(x -> x[2]).toArray());
        }
        plot.write(ctx.dir.resolve("horizon-final-loss.png"));
        List<LossCurves> curves = new ArrayList<>();
        for (OptimizerResult r : byMult.get(mults[mults.length - 1])) {
            curves.add(LossCurves.of(r.name(), r, 800));
        }
        LossCurvePlot.write(
                ctx.dir.resolve("horizon-curves.png"),
                "Loss curves to " + maxSteps + " steps (" + c.seeds + " test tasks)",
                ctx.lossAxis().replace("final loss", "loss"),
                curves);
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "The main optimizer (%s, at H = %d)"
                                + " run for %s H. Baselines are re-tuned at each horizon up to %dx"
                                + " H; at longer horizons only %s run, with the rate tuned at %dx"
                                + " H (a grid search there would cost more than the rest of the"
                                + " study).%n%n",
                        ctx.describeMain(base),
                        c.horizon,
                        Arrays.toString(mults),
                        c.maxTunedMultiplier,
                        String.join(", ", c.longHorizonBaselines),
                        maxTuned));
        sb.append(t.render()).append('\n');
        sb.append(StudyContext.img("horizon-final-loss.png", "final loss vs horizon"));
        sb.append("Band: 95% CI of the mean.\n\n");
        sb.append(StudyContext.img("horizon-curves.png", "loss curves at the longest horizon"));
        sb.append("Line: mean over tasks; band: 10th-90th percentile.\n\n");
        return sb.toString();
    }
}
