package org.l2o4j.cli.study;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.l2o4j.cli.report.BarChartPlot;
import org.l2o4j.cli.report.Durations;
import org.l2o4j.cli.report.LossCurvePlot;
import org.l2o4j.cli.report.LossCurves;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.cli.report.SummaryLinePlot;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.RunResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.eval.TuningResult;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.MetaLossWeighting;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.MetaTrainingListener;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/**
 * The evaluation study the reviewer asked for (docs/design.md section 4), written to one directory
 * as {@code report.md} with PNG plots. Five sections, each a method whose size comes from {@link
 * StudyConfig}:
 *
 * <ol>
 *   <li>{@link #horizonSection()}: 1x, 2x, 10x, 100x the meta-training horizon;
 *   <li>{@link #generalizationSection()}: MLP hidden units, layers, activation, dataset;
 *   <li>{@link #weightingSection()}: meta-loss weighting uniform / final / discounted;
 *   <li>{@link #architectureSection()}: LSTM layers, hidden units, preprocessing;
 *   <li>{@link #costSection()}: time per step and memory per parameter against SGD and Adam, and
 *       the meta-training budget of every optimizer trained for the study.
 * </ol>
 *
 * <p>Meta-training uses the family's training split; every evaluation uses its test split and task
 * seeds never used in meta-training ({@link Evaluator#EVALUATION_SEED_BASE}); baselines are tuned
 * on separate validation seeds. Trained weights are saved under {@code weights/}.
 */
public final class StudyRunner {
    /** Section headers, in order (tests check them). */
    public static final List<String> SECTIONS =
            List.of(
                    "## 1. Horizon",
                    "## 2. Generalization",
                    "## 3. Meta-loss weighting",
                    "## 4. Optimizer architecture",
                    "## 5. Cost");

    private final StudyConfig c;
    private final Path dir;
    private final PrintWriter log;
    private final Evaluator evaluator;
    private final long[] evalSeeds;
    private final long[] valSeeds;
    private final Map<String, Trained> trained = new LinkedHashMap<>();
    private final Map<String, OptimizerResult> cache = new LinkedHashMap<>();
    private final Map<String, Double> sectionSeconds = new LinkedHashMap<>();
    private final Map<String, Double> sectionCpuSeconds = new LinkedHashMap<>();
    private long studyStart; // set by run()

    /** CPU time of this process so far, or NaN where the JVM does not report it. */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() * 1e-9;
        }
        return Double.NaN;
    }

    /** One meta-trained optimizer and its budget. */
    record Trained(
            String name,
            String section,
            LstmConfig lstm,
            String weighting,
            int iterations,
            long runs,
            double wallSeconds,
            double cpuSeconds,
            LstmWeights weights) {}

    /**
     * A runner writing into {@code dir}, logging progress to {@code log}.
     *
     * @throws IllegalArgumentException for an invalid configuration
     */
    public StudyRunner(StudyConfig config, Path dir, PrintWriter log) {
        this.c = config;
        this.dir = dir;
        this.log = log;
        if (c.seeds < 2) {
            throw new IllegalArgumentException(
                    "the study needs at least 2 seeds for a spread but got " + c.seeds);
        }
        this.evaluator = new Evaluator(c.horizon, c.threads);
        this.evalSeeds = Evaluator.evaluationSeeds(c.seeds);
        this.valSeeds = Evaluator.validationSeeds(c.tuningSeeds);
        for (String b : c.baselines) {
            Baselines.create(b, 1); // validates the names early
        }
    }

    /** Runs every section and writes {@code report.md}; returns its path. */
    public Path run() throws IOException {
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        studyStart = t0;
        StringBuilder body = new StringBuilder();
        body.append(timed("1", this::horizonSection));
        body.append(timed("2", this::generalizationSection));
        body.append(timed("3", this::weightingSection));
        body.append(timed("4", this::architectureSection));
        body.append(timed("5", this::costSection));
        double total = (System.nanoTime() - t0) * 1e-9;
        StringBuilder md = new StringBuilder();
        md.append("# l2o4j evaluation study\n\n");
        md.append(setupText(total));
        md.append(body);
        Path report = dir.resolve("report.md");
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
        log.printf(Locale.ROOT, "Study done in %.1f s: %s%n", total, report.toAbsolutePath());
        log.flush();
        return report;
    }

    private interface Section {
        String run() throws IOException;
    }

    private String timed(String id, Section s) throws IOException {
        long t = System.nanoTime();
        log.printf(
                Locale.ROOT,
                "section %s/%d (%s) starting, %s into the study%n",
                id,
                SECTIONS.size(),
                SECTIONS.get(Integer.parseInt(id) - 1).replaceFirst("^#+ [0-9]+\\. ", ""),
                Durations.format((t - studyStart) * 1e-9));
        log.flush();
        double cpu0 = processCpuSeconds();
        String out = s.run();
        double secs = (System.nanoTime() - t) * 1e-9;
        double cpu = processCpuSeconds() - cpu0;
        sectionSeconds.put(id, secs);
        sectionCpuSeconds.put(id, cpu);
        log.printf(Locale.ROOT, "section %s: %.1f s wall, %.1f s CPU%n", id, secs, cpu);
        log.flush();
        return out;
    }

    // --- setup -----------------------------------------------------------------------------

    private String setupText(double totalSeconds) {
        StringBuilder sb = new StringBuilder();
        sb.append("## Setup\n\n");
        if (c.command != null) {
            sb.append("Command: `").append(c.command).append("`\n\n");
        }
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Task family `%s` (base variant %s): meta-training on the training split,"
                                + " evaluation on the test split. Meta-training horizon H = %d,"
                                + " unroll %d. Every number below is over %d evaluation tasks"
                                + " (seeds %d..%d, never used in meta-training) with the same"
                                + " initial points and minibatches for every optimizer. Baselines"
                                + " (%s) have their learning rate tuned by grid search over %s on"
                                + " %d separate validation tasks, by the lowest mean final loss"
                                + " (a diverged run counts as +inf); the chosen rate is in every"
                                + " table. A run diverges when its loss is NaN/Inf or above 1e6x"
                                + " its initial loss; diverged runs are counted in every table and"
                                + " left out of the loss statistics. 95%% CI: Student's t interval"
                                + " of the mean. Losses are training-minibatch losses on test-split"
                                + " data (%s).%n%n",
                        c.task,
                        family(Map.of(), "test").name(),
                        c.horizon,
                        c.unroll,
                        c.seeds,
                        evalSeeds[0],
                        evalSeeds[evalSeeds.length - 1],
                        String.join(", ", c.baselines),
                        c.grid,
                        c.tuningSeeds,
                        lossUnit()));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Meta-training budgets: the main optimizer (sections 1, 2, 5): %s;"
                                + " every ablation variant in sections 3 and 4"
                                + " (including its own uniform / 2x%d reference) %d meta-iterations,"
                                + " smaller to fit the study's time, so compare ablation variants"
                                + " with each other, not with the main optimizer. %d task(s) per"
                                + " iteration, backward on %s coordinates, best-on-validation"
                                + " weights (%d validation tasks). Section 5 lists each budget.%n%n",
                        c.mainWeights == null
                                ? c.baseIterations + " meta-iterations, uniform weighting"
                                : "given, "
                                        + c.mainWeightsName
                                        + " (its last meta-training stage: "
                                        + c.mainWeights.metadata().getOrDefault("iterations", "?")
                                        + " meta-iterations with "
                                        + c.mainWeights.metadata().getOrDefault("weighting", "?")
                                        + " weighting; its whole budget is in its provenance)",
                        c.lstmBaseHidden,
                        c.ablationIterations,
                        c.tasksPerIteration,
                        c.coordinateSubsample == 0 ? "all" : c.coordinateSubsample + "",
                        c.validationTasks));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Wall time: %.1f s in total on %d threads (%d processors), process CPU"
                                + " time in brackets; per section: %s.%n%n",
                        totalSeconds,
                        c.threads,
                        Runtime.getRuntime().availableProcessors(),
                        sectionTimes()));
        return sb.toString();
    }

    private String sectionTimes() {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Double> e : sectionSeconds.entrySet()) {
            parts.add(
                    String.format(
                            Locale.ROOT,
                            "%s: %.1f s (%.1f CPU-s)",
                            e.getKey(),
                            e.getValue(),
                            sectionCpuSeconds.get(e.getKey())));
        }
        return String.join(", ", parts);
    }

    private String lossUnit() {
        return c.task.startsWith("quadratic")
                ? "loss ||W theta - y||^2, dimensionless"
                : "cross-entropy in nats";
    }

    private String lossAxis() {
        return c.task.startsWith("quadratic")
                ? "final loss ||W theta - y||^2 (dimensionless)"
                : "final loss (cross-entropy, nats)";
    }

    // --- building blocks -------------------------------------------------------------------

    /** The family with the study's options, {@code overrides} and the split. */
    TaskFamily family(Map<String, String> overrides, String split) {
        return family(c, overrides, split);
    }

    /** The study's task family with {@code overrides}, on {@code split} where it has splits. */
    public static TaskFamily family(StudyConfig c, Map<String, String> overrides, String split) {
        Map<String, String> o = new LinkedHashMap<>();
        var accepted = TaskFamilies.options(c.task);
        Map<String, String> base =
                Map.of(
                        TaskFamilies.HIDDEN,
                        Integer.toString(c.baseHidden),
                        TaskFamilies.LAYERS,
                        Integer.toString(c.baseLayers),
                        TaskFamilies.ACTIVATION,
                        c.baseActivation,
                        TaskFamilies.DATASET,
                        c.baseDataset);
        for (Map.Entry<String, String> e : base.entrySet()) {
            if (accepted.contains(e.getKey())) {
                o.put(e.getKey(), e.getValue());
            }
        }
        o.putAll(c.taskOptions);
        o.putAll(overrides);
        if (TaskFamilies.options(c.task).contains(TaskFamilies.SPLIT)) {
            o.put(TaskFamilies.SPLIT, split);
        }
        return TaskFamilies.create(c.task, o);
    }

    private LstmConfig lstm(int layers, int hidden, Preprocessing p) {
        return LstmConfig.paperDefaults().toBuilder()
                .layers(layers)
                .hidden(hidden)
                .preprocessing(p)
                .build();
    }

    private LstmConfig baseLstm() {
        return lstm(2, c.lstmBaseHidden, Preprocessing.LOG_SIGN);
    }

    /** Meta-trains (or returns the cached) optimizer for this configuration. */
    /**
     * The main optimizer of sections 1, 2 and 5: {@link StudyConfig#mainWeights} when given (its
     * budget from its metadata), otherwise meta-trained with {@link StudyConfig#baseIterations}.
     */
    Trained main() throws IOException {
        if (c.mainWeights == null) {
            return train("main", baseLstm(), "uniform", c.baseIterations);
        }
        String key = "main|given";
        Trained t = trained.get(key);
        if (t == null) {
            Map<String, String> m = c.mainWeights.metadata();
            int iterations = (int) parseLong(m.get("iterations"), -1);
            t =
                    new Trained(
                            c.mainWeightsName,
                            "main (given)",
                            c.mainWeights.config(),
                            m.getOrDefault("weighting", "?"),
                            iterations,
                            parseLong(m.get("optimization_runs"), -1),
                            parseDouble(m.get("wall_time_seconds")),
                            Double.NaN,
                            c.mainWeights);
            trained.put(key, t);
        }
        return t;
    }

    /** The main optimizer in words: its architecture, weighting and budget. */
    private String describeMain(Trained base) {
        String what =
                base.lstm()
                        + ", "
                        + base.weighting()
                        + " weighting, "
                        + base.iterations()
                        + " meta-iterations";
        return c.mainWeights == null
                ? what
                : base.name() + " as given: " + what + " in its last stage";
    }

    private static double parseDouble(String s) {
        try {
            return s == null ? Double.NaN : Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    Trained train(String section, LstmConfig lstm, String weighting, int iterations)
            throws IOException {
        String key = lstm + "|" + weighting + "|" + iterations;
        Trained t = trained.get(key);
        if (t != null) {
            return t;
        }
        String name =
                String.format(
                        Locale.ROOT,
                        "lstm-%dx%d-%s-%s-it%d",
                        lstm.layers(),
                        lstm.hidden(),
                        lstm.preprocessing().id(),
                        weighting.replace(':', '-'),
                        iterations);
        log.printf("meta-training %s ...%n", name);
        log.flush();
        MetaTrainingConfig mc =
                MetaTrainingConfig.builder()
                        .taskFamily(family(Map.of(), "train"))
                        .validationTasks(c.validationTasks)
                        .lstmConfig(lstm)
                        .horizon(c.horizon)
                        .unroll(c.unroll)
                        .weighting(MetaLossWeighting.parse(weighting))
                        .tasksPerIteration(c.tasksPerIteration)
                        .iterations(iterations)
                        .coordinateSubsample(c.coordinateSubsample)
                        .threads(c.threads)
                        .seed(c.seed)
                        .validateEvery(Math.max(1, Math.min(c.validateEvery, iterations)))
                        .putMetadata("command", "l2o study (" + section + ")")
                        .listener(new TrainingProgress(name))
                        .build();
        long t0 = System.nanoTime();
        double cpu0 = processCpuSeconds();
        LstmWeights w = new MetaTrainer(mc).train();
        double wall = (System.nanoTime() - t0) * 1e-9;
        double cpu = processCpuSeconds() - cpu0;
        long runs = parseLong(w.metadata().get("optimization_runs"), iterations);
        Path wdir = dir.resolve("weights");
        Files.createDirectories(wdir);
        WeightFiles.write(wdir.resolve(name + ".safetensors"), w);
        t = new Trained(name, section, lstm, weighting, iterations, runs, wall, cpu, w);
        trained.put(key, t);
        log.printf(Locale.ROOT, "  %s: %.1f s wall, %.1f s CPU, %d runs%n", name, wall, cpu, runs);
        log.flush();
        return t;
    }

    private static long parseLong(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private UpdateRule rule(Trained t) {
        return LstmOptimizer.of(t.weights()).withThreads(1);
    }

    /** The learned optimizer's runs on {@code family} for {@code steps} steps (cached). */
    OptimizerResult learned(String label, Trained t, TaskFamily family, int steps) {
        String key = "L|" + t.name() + "|" + family.name() + "|" + steps;
        return cached(
                key,
                () ->
                        relabel(
                                evaluator
                                        .withSteps(steps)
                                        .evaluate(label, rule(t), family, evalSeeds),
                                label));
    }

    /** A tuned baseline's runs on {@code family} for {@code steps} steps (cached). */
    OptimizerResult baseline(String name, TaskFamily family, int steps) {
        String key = "B|" + name + "|" + family.name() + "|" + steps;
        return cached(
                key,
                () ->
                        evaluator
                                .withSteps(steps)
                                .evaluateBaseline(name, c.grid, family, evalSeeds, valSeeds));
    }

    private OptimizerResult cached(
            String key, java.util.function.Supplier<OptimizerResult> compute) {
        OptimizerResult r = cache.get(key);
        if (r == null) {
            long t0 = System.nanoTime();
            r = compute.get();
            cache.put(key, r);
            log.printf(
                    Locale.ROOT,
                    "  evaluated %s on %s, %d steps x %d tasks%s: %.1f s%n",
                    r.name(),
                    key.split("\\|")[2],
                    r.runs().isEmpty() ? 0 : r.runs().get(0).steps(),
                    r.runs().size(),
                    Double.isNaN(r.learningRate())
                            ? ""
                            : String.format(Locale.ROOT, " (lr %.3g)", r.learningRate()),
                    (System.nanoTime() - t0) * 1e-9);
            log.flush();
        }
        return r;
    }

    /** One log line per ~10% of a variant's meta-training (or every 30 s), with its ETA. */
    private final class TrainingProgress implements MetaTrainingListener {
        private final String name;
        private long lastLine = System.nanoTime();

        TrainingProgress(String name) {
            this.name = name;
        }

        @Override
        public void onIteration(IterationProgress p) {
            long now = System.nanoTime();
            int step = Math.max(1, p.iterations() / 10);
            if (p.iteration() % step != 0 && now - lastLine < 30_000_000_000L) {
                return;
            }
            lastLine = now;
            log.printf(
                    Locale.ROOT,
                    "  %s: iteration %d/%d, meta-loss %.4g, elapsed %s, ETA %s%n",
                    name,
                    p.iteration(),
                    p.iterations(),
                    p.metaLoss(),
                    Durations.format(p.elapsedSeconds()),
                    Durations.format(p.etaSeconds()));
            log.flush();
        }
    }

    private static OptimizerResult relabel(OptimizerResult r, String label) {
        return new OptimizerResult(label, r.learningRate(), r.runs(), r.tuning());
    }

    /** The first {@code steps} steps of each run (a run is the same whatever its length). */
    static OptimizerResult truncate(OptimizerResult r, int steps) {
        List<RunResult> out = new ArrayList<>();
        for (RunResult x : r.runs()) {
            double[] l = Arrays.copyOf(x.losses(), steps + 1);
            int d =
                    x.divergedAtStep() >= 0 && x.divergedAtStep() <= steps
                            ? x.divergedAtStep()
                            : -1;
            double frac = x.steps() == 0 ? 1 : steps / (double) x.steps();
            out.add(
                    new RunResult(
                            x.optimizer(),
                            x.seed(),
                            l,
                            d,
                            (long) (x.optimizerNanos() * frac),
                            (long) (x.totalNanos() * frac)));
        }
        return new OptimizerResult(r.name(), r.learningRate(), out, r.tuning());
    }

    private static MarkdownTable resultTable(String firstColumn) {
        return new MarkdownTable(
                firstColumn,
                "optimizer",
                "learning rate (tuned at T)",
                "final loss mean",
                "std",
                "95% CI",
                "diverged");
    }

    private static void addRow(MarkdownTable t, String first, OptimizerResult r) {
        Statistics.Summary s = r.finalLoss();
        TuningResult tr = r.tuning();
        String lr =
                Double.isNaN(r.learningRate())
                        ? "-"
                        : MarkdownTable.num(r.learningRate())
                                + (tr == null ? "" : " (T=" + tr.steps() + ")");
        t.row(
                first,
                r.name(),
                lr,
                MarkdownTable.num(s.mean()),
                MarkdownTable.num(s.std()),
                MarkdownTable.interval(s.ciLow(), s.ciHigh()),
                r.divergedCount() + "/" + r.runs().size());
    }

    private static String img(String file, String alt) {
        return "![" + alt + "](" + file + ")\n\n";
    }

    // --- 1. horizon ------------------------------------------------------------------------

    /** Section 1: the main optimizer and the baselines at 1x, 2x, 10x, 100x H. */
    String horizonSection() throws IOException {
        Trained base = main();
        TaskFamily test = family(Map.of(), "test");
        int[] mults = c.horizonMultipliers.clone();
        Arrays.sort(mults);
        int maxSteps = mults[mults.length - 1] * c.horizon;
        OptimizerResult learnedLong = learned("learned", base, test, maxSteps);
        for (int m : mults) {
            cache.putIfAbsent(
                    "L|" + base.name() + "|" + test.name() + "|" + m * c.horizon,
                    truncate(learnedLong, m * c.horizon));
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
            rows.add(learned("learned", base, test, steps));
            if (m <= c.maxTunedMultiplier) {
                for (String b : c.baselines) {
                    rows.add(baseline(b, test, steps));
                }
            } else {
                for (String b : c.longHorizonBaselines) {
                    rows.add(longBaseline(b, test, maxTuned * c.horizon, steps, maxSteps));
                }
            }
            byMult.put(m, rows);
        }
        MarkdownTable t = resultTable("horizon T");
        for (Map.Entry<Integer, List<OptimizerResult>> e : byMult.entrySet()) {
            for (OptimizerResult r : e.getValue()) {
                addRow(t, e.getKey() + "x = " + e.getKey() * c.horizon, r);
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
                        lossAxis());
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
        plot.write(dir.resolve("horizon-final-loss.png"));
        List<LossCurves> curves = new ArrayList<>();
        for (OptimizerResult r : byMult.get(mults[mults.length - 1])) {
            curves.add(LossCurves.of(r.name(), r, 800));
        }
        LossCurvePlot.write(
                dir.resolve("horizon-curves.png"),
                "Loss curves to " + maxSteps + " steps (" + c.seeds + " test tasks)",
                lossAxis().replace("final loss", "loss"),
                curves);
        StringBuilder sb = new StringBuilder();
        sb.append(SECTIONS.get(0)).append("\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "The main optimizer (%s, at H = %d)"
                                + " run for %s H. Baselines are re-tuned at each horizon up to %dx"
                                + " H; at longer horizons only %s run, with the rate tuned at %dx"
                                + " H (a grid search there would cost more than the rest of the"
                                + " study).%n%n",
                        describeMain(base),
                        c.horizon,
                        Arrays.toString(mults),
                        c.maxTunedMultiplier,
                        String.join(", ", c.longHorizonBaselines),
                        maxTuned));
        sb.append(t.render()).append('\n');
        sb.append(img("horizon-final-loss.png", "final loss vs horizon"));
        sb.append("Band: 95% CI of the mean.\n\n");
        sb.append(img("horizon-curves.png", "loss curves at the longest horizon"));
        sb.append("Line: mean over tasks; band: 10th-90th percentile.\n\n");
        return sb.toString();
    }

    private OptimizerResult longBaseline(
            String b, TaskFamily test, int tunedSteps, int steps, int maxSteps) {
        String key = "BL|" + b + "|" + test.name() + "|" + maxSteps;
        OptimizerResult full =
                cached(
                        key,
                        () -> {
                            TuningResult tr =
                                    tunedSteps > 0 ? baseline(b, test, tunedSteps).tuning() : null;
                            double lr =
                                    tr != null
                                            ? tr.bestLearningRate()
                                            : evaluator
                                                    .withSteps(c.horizon)
                                                    .tune(b, c.grid, test, valSeeds)
                                                    .bestLearningRate();
                            List<RunResult> runs =
                                    evaluator
                                            .withSteps(maxSteps)
                                            .runAll(b, Baselines.create(b, lr), test, evalSeeds);
                            return new OptimizerResult(b, lr, runs, tr);
                        });
        return steps == maxSteps ? full : truncate(full, steps);
    }

    // --- 2. generalization -----------------------------------------------------------------

    /** Section 2: the main optimizer on MLP variants it was not trained on. */
    String generalizationSection() throws IOException {
        Trained base = main();
        StringBuilder sb = new StringBuilder();
        sb.append(SECTIONS.get(1)).append("\n\n");
        sb.append(
                "The main optimizer, meta-trained on the base MLP only ("
                        + c.baseHidden
                        + " hidden units, "
                        + c.baseLayers
                        + " layer, "
                        + c.baseActivation
                        + ", "
                        + c.baseDataset
                        + "), against baselines tuned on each variant, at T = H = "
                        + c.horizon
                        + ". One factor varies at a time; the others stay at the base values.\n\n");
        List<String[]> axes = new ArrayList<>();
        axes.add(
                new String[] {
                    "hidden units", TaskFamilies.HIDDEN, join(c.hiddenUnits), "hidden-units"
                });
        axes.add(
                new String[] {
                    "hidden layers", TaskFamilies.LAYERS, join(c.hiddenLayers), "layers"
                });
        axes.add(
                new String[] {
                    "activation",
                    TaskFamilies.ACTIVATION,
                    String.join(",", c.activations),
                    "activation"
                });
        axes.add(
                new String[] {
                    "dataset", TaskFamilies.DATASET, String.join(",", c.datasets), "dataset"
                });
        for (String[] axis : axes) {
            List<String> values = List.of(axis[2].split(","));
            MarkdownTable t = resultTable(axis[0]);
            Map<String, double[][]> bars = new LinkedHashMap<>();
            for (int i = 0; i < values.size(); i++) {
                TaskFamily fam = family(Map.of(axis[1], values.get(i)), "test");
                List<OptimizerResult> rows = new ArrayList<>();
                rows.add(learned("learned", base, fam, c.horizon));
                for (String b : c.baselines) {
                    rows.add(baseline(b, fam, c.horizon));
                }
                String label = values.get(i) + (isBase(axis[1], values.get(i)) ? " (base)" : "");
                for (OptimizerResult r : rows) {
                    addRow(t, label, r);
                    double[][] arr =
                            bars.computeIfAbsent(r.name(), k -> new double[2][values.size()]);
                    arr[0][i] = r.finalLoss().mean();
                    arr[1][i] = r.finalLoss().ci95HalfWidth();
                }
            }
            BarChartPlot plot =
                    new BarChartPlot(
                                    "Final loss at T="
                                            + c.horizon
                                            + " by "
                                            + axis[0]
                                            + " ("
                                            + c.seeds
                                            + " test tasks)",
                                    axis[0],
                                    lossAxis())
                            .categories(values);
            for (Map.Entry<String, double[][]> e : bars.entrySet()) {
                plot.series(e.getKey(), e.getValue()[0], e.getValue()[1]);
            }
            String png = "generalization-" + axis[3] + ".png";
            plot.write(dir.resolve(png));
            sb.append("### ").append(axis[0]).append("\n\n").append(t.render()).append('\n');
            sb.append(img(png, "final loss by " + axis[0]));
        }
        sb.append("Error bars: 95% CI of the mean.\n\n");
        return sb.toString();
    }

    private boolean isBase(String key, String value) {
        return switch (key) {
            case TaskFamilies.HIDDEN -> value.equals(Integer.toString(c.baseHidden));
            case TaskFamilies.LAYERS -> value.equals(Integer.toString(c.baseLayers));
            case TaskFamilies.ACTIVATION -> value.equals(c.baseActivation);
            case TaskFamilies.DATASET -> value.equals(c.baseDataset);
            default -> false;
        };
    }

    private static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(Integer::toString).toList());
    }

    // --- 3. weighting ----------------------------------------------------------------------

    private int longMultiplier() {
        int best = 1;
        for (int m : c.horizonMultipliers) {
            if (m <= c.maxTunedMultiplier && m > best) {
                best = m;
            }
        }
        return best;
    }

    /** Section 3: uniform vs final vs discounted meta-loss weights, at H and a longer horizon. */
    String weightingSection() throws IOException {
        TaskFamily test = family(Map.of(), "test");
        int longSteps = longMultiplier() * c.horizon;
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
            Trained tr = train("weighting", baseLstm(), w, c.ablationIterations);
            OptimizerResult full = learned("learned " + w, tr, test, longSteps);
            for (int steps : new int[] {c.horizon, longSteps}) {
                OptimizerResult r = steps == longSteps ? full : truncate(full, steps);
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
                OptimizerResult r = baseline(b, test, steps);
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
                dir.resolve("weighting-curves.png"),
                "Meta-loss weighting: loss curves to T="
                        + longSteps
                        + " ("
                        + c.seeds
                        + " test tasks)",
                lossAxis().replace("final loss", "loss"),
                curves);
        StringBuilder sb = new StringBuilder();
        sb.append(SECTIONS.get(2)).append("\n\n");
        sb.append(
                "The reviewer: uniform weights minimise the integral of the loss, not the final"
                        + " loss. Each weighting trains its own "
                        + baseLstm()
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
        sb.append(img("weighting-curves.png", "loss curves by weighting"));
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

    // --- 4. architecture -------------------------------------------------------------------

    /** Section 4: LSTM layers, hidden units and preprocessing of the optimizer itself. */
    String architectureSection() throws IOException {
        TaskFamily test = family(Map.of(), "test");
        Map<String, LstmConfig> variants = new LinkedHashMap<>();
        for (int l : c.lstmLayers) {
            variants.putIfAbsent(
                    l + "x" + c.lstmBaseHidden + " log-sign",
                    lstm(l, c.lstmBaseHidden, Preprocessing.LOG_SIGN));
        }
        for (int h : c.lstmHidden) {
            variants.putIfAbsent("2x" + h + " log-sign", lstm(2, h, Preprocessing.LOG_SIGN));
        }
        variants.putIfAbsent(
                "2x" + c.lstmBaseHidden + " none", lstm(2, c.lstmBaseHidden, Preprocessing.NONE));
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
            Trained tr = train("architecture", e.getValue(), "uniform", c.ablationIterations);
            OptimizerResult r = learned("learned " + e.getKey(), tr, test, c.horizon);
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
                OptimizerResult r = baseline(b, test, c.horizon);
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
                        lossAxis())
                .categories(cats)
                .series("learned", mean, ci)
                .write(dir.resolve("architecture.png"));
        StringBuilder sb = new StringBuilder();
        sb.append(SECTIONS.get(3)).append("\n\n");
        sb.append(
                "Each variant is meta-trained with the ablation budget ("
                        + c.ablationIterations
                        + " meta-iterations, uniform weighting) and evaluated at T = H = "
                        + c.horizon
                        + ". Reference baselines at the same tasks: "
                        + (refs.isEmpty() ? "none" : String.join("; ", refs))
                        + ".\n\n");
        sb.append(t.render()).append('\n');
        sb.append(img("architecture.png", "final loss by LSTM architecture"));
        sb.append("Error bars: 95% CI of the mean.\n\n");
        return sb.toString();
    }

    // --- 5. cost ---------------------------------------------------------------------------

    /** Section 5: time per step, memory per parameter, meta-training budgets. */
    String costSection() throws IOException {
        Trained base = main();
        int mlp = family(Map.of(), "test").sample(Evaluator.EVALUATION_SEED_BASE).dimension();
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
                times.put(e.getKey(), timeSteps(e.getValue(), n));
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
                .write(dir.resolve("cost-step-time.png"));
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
        for (Trained tr : trained.values()) {
            budget.row(
                    tr.name(),
                    tr.section(),
                    tr.lstm().layers()
                            + "x"
                            + tr.lstm().hidden()
                            + " "
                            + tr.lstm().preprocessing().id(),
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
        sb.append(SECTIONS.get(4)).append("\n\n");
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
        sb.append(img("cost-step-time.png", "optimizer step time"));
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

    private Statistics.Summary timeSteps(UpdateRule rule, int n) {
        SplittableRandom rng = new SplittableRandom(42);
        float[][] grads = new float[4][n];
        for (float[] g : grads) {
            for (int i = 0; i < n; i++) {
                g[i] = (float) (rng.nextGaussian() * 0.01);
            }
        }
        float[] update = new float[n];
        OptimizerState st = rule.newState(n);
        int steps = Math.max(1, c.costSteps);
        // Warm-up (JIT): at least 3 repetitions and costWarmupMillis.
        long warmStart = System.nanoTime();
        long warmNanos = c.costWarmupMillis * 1_000_000L;
        for (int w = 0; w < 3 || System.nanoTime() - warmStart < warmNanos; w++) {
            for (int s = 0; s < steps; s++) {
                rule.step(st, grads[s % 4], update);
            }
        }
        double[] ns = new double[5];
        for (int r = 0; r < ns.length; r++) {
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                rule.step(st, grads[s % 4], update);
            }
            ns[r] = (System.nanoTime() - t0) / (double) steps / n;
        }
        return Statistics.summarize(ns);
    }
}
