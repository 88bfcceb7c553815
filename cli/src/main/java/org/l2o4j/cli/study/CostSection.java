package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.BarChartPlot;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.UpdateRule;

/**
 * Section 5: time per step and memory per parameter against SGD and Adam, and the meta-training
 * budget of every optimizer trained for the study.
 */
public final class CostSection implements StudySection {

    @Override
    public String key() {
        return "cost";
    }

    @Override
    public String header() {
        return "## 5. Cost";
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TrainingCache.Trained base = ctx.main();
        int mlp = ctx.family(Map.of(), "test").sample(Evaluator.EVALUATION_SEED_BASE).dimension();
        int[] sizes =
                mlp == c.costLargeCoordinates
                        ? new int[] {mlp}
                        : new int[] {mlp, c.costLargeCoordinates};
        Map<String, UpdateRule> rules = new LinkedHashMap<>();
        rules.put("sgd", Baselines.create("sgd", 0.1));
        for (String b : List.of("nag", "rmsprop", "adam")) {
            rules.put(b, Baselines.create(b, 0.01));
        }
        rules.put(
                "learned " + base.lstm().layers() + "x" + base.lstm().hidden() + ", 1 thread",
                LstmOptimizer.of(base.weights()).withThreads(1));
        if (c.threads > 1) {
            rules.put(
                    "learned "
                            + base.lstm().layers()
                            + "x"
                            + base.lstm().hidden()
                            + ", "
                            + c.threads
                            + " threads",
                    LstmOptimizer.of(base.weights()).withThreads(c.threads));
        }
        MarkdownTable t =
                new MarkdownTable(
                        "coordinates",
                        "optimizer",
                        "ns per coordinate-step (mean ± std)",
                        "time per step (ms)",
                        "x Adam",
                        "state bytes / parameter");
        List<String> cats = new ArrayList<>();
        double[] bar = new double[rules.size()];
        double[] barErr = new double[rules.size()];
        for (int n : sizes) {
            double adam = Double.NaN;
            Map<String, Statistics.Summary> times = new LinkedHashMap<>();
            for (Map.Entry<String, UpdateRule> e : rules.entrySet()) {
                times.put(e.getKey(), StepTimer.nanosPerCoordinate(c, e.getValue(), n, false));
            }
            adam = times.get("adam").mean();
            int k = 0;
            for (Map.Entry<String, Statistics.Summary> e : times.entrySet()) {
                Statistics.Summary s = e.getValue();
                int state = rules.get(e.getKey()).stateSizePerCoordinate() * Float.BYTES;
                t.row(
                        n,
                        e.getKey(),
                        MarkdownTable.num(s.mean()) + " ± " + MarkdownTable.num(s.std()),
                        MarkdownTable.num(s.mean() * n * 1e-6),
                        MarkdownTable.num(s.mean() / adam),
                        state);
                if (n == mlp) {
                    cats.add(e.getKey());
                    bar[k] = s.mean();
                    barErr[k] = s.ci95HalfWidth();
                }
                k++;
            }
        }
        new BarChartPlot(
                        "Optimizer step time on the " + mlp + "-parameter MLP",
                        "optimizer",
                        "time per coordinate-step (ns)")
                .categories(cats)
                .series("step time", bar, barErr)
                .write(ctx.dir.resolve("cost-step-time.png"));
        MarkdownTable budget =
                new MarkdownTable(
                        "optimizer",
                        "section",
                        "LSTM",
                        "weighting",
                        "meta-iterations",
                        "optimization runs",
                        "wall time (s)",
                        "CPU time (s)",
                        "weight file");
        for (TrainingCache.Trained tr : ctx.training.all()) {
            budget.row(
                    tr.name(),
                    tr.section(),
                    tr.lstmLabel(),
                    tr.weighting(),
                    tr.iterations(),
                    tr.runs(),
                    String.format(Locale.ROOT, "%.1f", tr.wallSeconds()),
                    String.format(Locale.ROOT, "%.1f", tr.cpuSeconds()),
                    tr.section().equals("main (given)")
                            ? tr.name()
                            : "weights/" + tr.name() + ".safetensors");
        }
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                "Time of `UpdateRule.step` alone on random gradients (same for every optimizer),"
                        + " after warm-up; "
                        + c.costSteps
                        + " steps per repetition, 5 repetitions; mean ± std over repetitions."
                        + " Measured while the study ran, on "
                        + Runtime.getRuntime().availableProcessors()
                        + " processors; the JMH benchmarks are the reference numbers. Memory: the"
                        + " optimizer state kept per parameter (4-byte floats); the learned"
                        + " optimizer's own weights ("
                        + base.lstm().numParameters()
                        + " floats) are shared by all coordinates.\n\n");
        sb.append(t.render()).append('\n');
        sb.append(StudyContext.img("cost-step-time.png", "optimizer step time"));
        sb.append("Error bars: 95% CI of the mean over repetitions.\n\n");
        sb.append("### Meta-training budget\n\n");
        sb.append(
                "Every optimizer trained for this study (one optimization run = one optimizee"
                        + " trained for H = "
                        + c.horizon
                        + " steps by the optimizer being meta-trained):\n\n");
        sb.append(budget.render()).append('\n');
        return sb.toString();
    }
}
