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
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.lstm.GroupedLstmOptimizer;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.meta.GroupedMetaTrainer;
import org.l2o4j.core.meta.MetaLossWeighting;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/**
 * Section 6: convolutional nets (the paper's CIFAR-10 experiment, on 28x28 MNIST here). A learned
 * optimizer meta-trained on the {@code conv} family's training split (or given with {@code
 * --cnn-optimizer}) against tuned baselines on its test split, at 1x and 10x the meta-training
 * horizon, with 95% CIs.
 *
 * <p>The paper's per-group optimizer (LSTM-sep: one weight set per parameter group, conv kernels,
 * conv biases, dense weights, dense biases) is meta-trained jointly with {@link GroupedMetaTrainer}
 * on the same family, weighting, horizon, unroll, iterations and validation tasks as the shared
 * one, when the study trains the shared one itself (not with {@code --cnn-optimizer}).
 */
public final class CnnSection implements StudySection {

    @Override
    public String key() {
        return "cnn";
    }

    @Override
    public String header() {
        return "## 6. Convolutional nets";
    }

    /** The {@code conv} family of the study on {@code split}. */
    static TaskFamily family(StudyConfig c, String split) {
        Map<String, String> o = new LinkedHashMap<>();
        var accepted = TaskFamilies.options("conv");
        for (Map.Entry<String, String> e : c.taskOptions.entrySet()) {
            if (accepted.contains(e.getKey())) {
                o.put(e.getKey(), e.getValue());
            }
        }
        if (accepted.contains(TaskFamilies.DATASET)) {
            o.put(TaskFamilies.DATASET, c.baseDataset);
        }
        o.putAll(c.cnnOptions);
        o.put(TaskFamilies.SPLIT, split);
        return TaskFamilies.create("conv", o);
    }

    /** The shared (one LSTM for every parameter) optimizer of this section. */
    static TrainingCache.Trained shared(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        if (c.cnnWeights != null) {
            return ctx.training.given("cnn|given", c.cnnWeightsName, "cnn (given)", c.cnnWeights);
        }
        return ctx.training.train(
                "cnn", ctx.baseLstm(), c.cnnWeighting, c.cnnIterations, family(c, "train"), "conv");
    }

    /**
     * The learned optimizers compared: today the shared one. Per-group optimizers (LSTM-sep) go
     * here once the core has them (issue 14).
     */
    private static Map<String, TrainingCache.Trained> learnedOptimizers(StudyContext ctx)
            throws IOException {
        Map<String, TrainingCache.Trained> m = new LinkedHashMap<>();
        m.put("learned (shared LSTM)", shared(ctx));
        return m;
    }

    /** The per-group optimizer and its budget. */
    record PerGroup(GroupedWeights weights, String name, double wallSeconds, double cpuSeconds) {}

    /** Label of the per-group optimizer's rows. */
    static final String PER_GROUP = "learned per group (LSTM-sep)";

    /** Meta-trains the per-group optimizer (null when the shared one is given, not trained). */
    static PerGroup perGroup(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        if (c.cnnWeights != null) {
            return null;
        }
        LstmConfig lstm = ctx.baseLstm();
        String name =
                String.format(
                        Locale.ROOT,
                        "conv-lstm-sep-%dx%d-%s-%s-it%d",
                        lstm.layers(),
                        lstm.hidden(),
                        lstm.preprocessing().id(),
                        c.cnnWeighting.replace(':', '-'),
                        c.cnnIterations);
        ctx.log.printf("meta-training %s (per group) ...%n", name);
        ctx.log.flush();
        double cpu0 = TrainingCache.processCpuSeconds();
        long t0 = System.nanoTime();
        GroupedWeights w =
                new GroupedMetaTrainer(
                                family(c, "train"),
                                new GroupedMetaTrainer.Config()
                                        .lstm(lstm)
                                        .horizon(c.horizon)
                                        .unroll(c.unroll)
                                        .weighting(MetaLossWeighting.parse(c.cnnWeighting))
                                        .iterations(c.cnnIterations)
                                        .seed(c.seed)
                                        .threads(c.threads)
                                        .validationTasks(c.validationTasks)
                                        .validateEvery(Math.max(1, Math.min(10, c.cnnIterations))),
                                null)
                        .train();
        double wall = (System.nanoTime() - t0) * 1e-9;
        double cpu = TrainingCache.processCpuSeconds() - cpu0;
        GroupedWeightFiles.write(ctx.dir.resolve("weights").resolve(name + ".safetensors"), w);
        return new PerGroup(w, name, wall, cpu);
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TaskFamily test = family(c, "test");
        int[] mults = c.cnnMultipliers.clone();
        Arrays.sort(mults);
        int maxSteps = mults[mults.length - 1] * c.horizon;
        Map<String, TrainingCache.Trained> learned = learnedOptimizers(ctx);
        Map<Integer, List<OptimizerResult>> byMult = new LinkedHashMap<>();
        for (Map.Entry<String, TrainingCache.Trained> e : learned.entrySet()) {
            OptimizerResult full = ctx.learned(e.getKey(), e.getValue(), test, maxSteps);
            for (int m : mults) {
                byMult.computeIfAbsent(m, k -> new ArrayList<>())
                        .add(
                                m * c.horizon == maxSteps
                                        ? full
                                        : StudyContext.truncate(full, m * c.horizon));
            }
        }
        PerGroup pg = perGroup(ctx);
        if (pg != null) {
            OptimizerResult full =
                    ctx.evaluator
                            .withSteps(maxSteps)
                            .evaluate(
                                    PER_GROUP,
                                    GroupedLstmOptimizer.forTask(pg.weights(), test.sample(0))
                                            .withThreads(1),
                                    test,
                                    ctx.evalSeeds);
            for (int m : mults) {
                byMult.get(m)
                        .add(
                                m * c.horizon == maxSteps
                                        ? full
                                        : StudyContext.truncate(full, m * c.horizon));
            }
        }
        for (int m : mults) {
            List<String> names = m == 1 ? c.baselines : c.longHorizonBaselines;
            for (String b : names) {
                byMult.get(m).add(ctx.baseline(b, test, m * c.horizon));
            }
        }
        MarkdownTable t = StudyContext.resultTable("horizon T");
        for (Map.Entry<Integer, List<OptimizerResult>> e : byMult.entrySet()) {
            for (OptimizerResult r : e.getValue()) {
                StudyContext.addRow(t, e.getKey() + "x = " + e.getKey() * c.horizon, r);
            }
            if (pg == null) {
                t.row(
                        e.getKey() + "x = " + e.getKey() * c.horizon,
                        PER_GROUP,
                        "-",
                        "not trained (the shared optimizer was given)",
                        "-",
                        "-",
                        "-");
            }
        }
        String axis = "final loss (cross-entropy, nats)";
        SummaryLinePlot plot =
                new SummaryLinePlot(
                        "conv: final loss vs horizon ("
                                + c.seeds
                                + " test tasks; meta-trained at T="
                                + c.horizon
                                + ")",
                        "horizon T (optimizer steps)",
                        axis);
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
        plot.write(ctx.dir.resolve("cnn-final-loss.png"));
        List<LossCurves> curves = new ArrayList<>();
        for (OptimizerResult r : byMult.get(mults[mults.length - 1])) {
            curves.add(LossCurves.of(r.name(), r, 800));
        }
        LossCurvePlot.write(
                ctx.dir.resolve("cnn-curves.png"),
                "conv: loss curves to " + maxSteps + " steps (" + c.seeds + " test tasks)",
                "loss (cross-entropy, nats)",
                curves);
        TrainingCache.Trained shared = learned.values().iterator().next();
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Small CNNs on 28x28 images, `%s` (the paper used CIFAR-10, which cannot be"
                                + " fetched here): per block a 3x3 'same' convolution, ReLU and 2x2"
                                + " max-pooling, then a dense softmax layer. The learned optimizer"
                                + " (%s) against baselines tuned on this family at each horizon"
                                + " (%s at 1x H, %s beyond), at %s x H = %d.%n%n",
                        test.name(),
                        describe(c, shared),
                        String.join(", ", c.baselines),
                        String.join(", ", c.longHorizonBaselines),
                        Arrays.toString(mults),
                        c.horizon));
        sb.append(
                pg != null
                        ? "**LSTM-sep** (the paper's per-group optimizer): one LSTM weight set per"
                                + " parameter group (conv-kernels, conv-biases, dense-weights,"
                                + " dense-biases), meta-trained jointly (`GroupedMetaTrainer`,"
                                + " each group's meta-gradient from its own coordinates) with the"
                                + " shared optimizer's family, weighting, horizon, unroll,"
                                + " meta-iterations and validation tasks; it runs the double"
                                + " training kernel on every coordinate and backpropagates up to"
                                + " 16 blocks of 64 coordinates per group and truncation.\n\n"
                        : "**LSTM-sep** is not trained when the shared optimizer is given"
                                + " (`--cnn-optimizer`); train one with `bin/l2o meta-train"
                                + " --task conv --per-group` and compare with `bin/l2o"
                                + " evaluate`.\n\n");
        sb.append(t.render()).append('\n');
        sb.append(StudyContext.img("cnn-final-loss.png", "conv: final loss vs horizon"));
        sb.append("Band: 95% CI of the mean.\n\n");
        sb.append(StudyContext.img("cnn-curves.png", "conv: loss curves"));
        sb.append("Line: mean over tasks; band: 10th-90th percentile.\n\n");
        List<TrainingCache.Trained> budgets = new ArrayList<>(List.of(shared));
        if (pg != null) {
            Map<String, String> md = pg.weights().metadata();
            budgets.add(
                    new TrainingCache.Trained(
                            pg.name(),
                            "cnn (per group)",
                            pg.weights().config(),
                            c.cnnWeighting,
                            c.cnnIterations,
                            Long.parseLong(md.getOrDefault("optimization_runs", "-1")),
                            pg.wallSeconds(),
                            pg.cpuSeconds(),
                            pg.weights().weights(0)));
        }
        sb.append(budgetTable(budgets));
        return sb.toString();
    }

    static String describe(StudyConfig c, TrainingCache.Trained t) {
        String what =
                t.lstm()
                        + ", "
                        + t.weighting()
                        + " weighting, "
                        + t.iterations()
                        + " meta-iterations";
        return t.section().endsWith("(given)")
                ? t.name() + " as given: " + what + " in its last stage"
                : "meta-trained by the study on the training split: " + what;
    }

    /** The meta-training budget of {@code trained} as a markdown table with its heading. */
    static String budgetTable(List<TrainingCache.Trained> trained) {
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
        for (TrainingCache.Trained tr : trained) {
            budget.row(
                    tr.name(),
                    tr.section(),
                    tr.lstmLabel(),
                    tr.weighting(),
                    tr.iterations(),
                    tr.runs(),
                    String.format(Locale.ROOT, "%.1f", tr.wallSeconds()),
                    String.format(Locale.ROOT, "%.1f", tr.cpuSeconds()),
                    tr.section().endsWith("(given)")
                            ? tr.name()
                            : "weights/" + tr.name() + ".safetensors");
        }
        return "Meta-training budget of this section:\n\n" + budget.render() + "\n";
    }

    @Override
    public String setupNote(StudyContext ctx) {
        StudyConfig c = ctx.c;
        return c.cnnWeights != null
                ? "Section 6 uses the given optimizer " + c.cnnWeightsName + " on `conv`."
                : "Section 6 meta-trains its own optimizer on `conv` ("
                        + c.cnnIterations
                        + " meta-iterations, "
                        + c.cnnWeighting
                        + " weighting, H = "
                        + c.horizon
                        + ", unroll "
                        + c.unroll
                        + ", "
                        + c.tasksPerIteration
                        + " task(s) per iteration, backward on "
                        + (c.coordinateSubsample == 0 ? "all" : c.coordinateSubsample + "")
                        + " coordinates, best of "
                        + c.validationTasks
                        + " validation tasks); its budget is in its section.";
    }
}
