package org.l2o4j.cli.study;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.RunResult;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.eval.TuningResult;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.TaskFamily;

/**
 * What the sections of a study share: the configuration, the output directory and log, the
 * evaluation and validation seeds, the {@link TrainingCache} of meta-trained optimizers and a cache
 * of evaluations (a learned optimizer or tuned baseline on a family for some steps is run once),
 * plus the markdown helpers of the report.
 */
public final class StudyContext {
    /** The study's sizes. */
    public final StudyConfig c;

    /** The output directory (report, plots, weights). */
    public final Path dir;

    /** Progress log. */
    public final PrintWriter log;

    /** The evaluator (horizon H, the study's threads). */
    public final Evaluator evaluator;

    /** Evaluation task seeds (never used in meta-training). */
    public final long[] evalSeeds;

    /** Validation task seeds of the baselines' learning-rate search. */
    public final long[] valSeeds;

    /** The optimizers meta-trained for the study. */
    public final TrainingCache training;

    private final Map<String, OptimizerResult> cache = new LinkedHashMap<>();

    StudyContext(StudyConfig c, Path dir, PrintWriter log) {
        this.c = c;
        this.dir = dir;
        this.log = log;
        this.evaluator = new Evaluator(c.horizon, c.threads);
        this.evalSeeds = Evaluator.evaluationSeeds(c.seeds);
        this.valSeeds = Evaluator.validationSeeds(c.tuningSeeds);
        this.training = new TrainingCache(c, dir, log);
    }

    // --- tasks and optimizers --------------------------------------------------------------

    /** The study's family with {@code overrides}, on {@code split}. */
    TaskFamily family(Map<String, String> overrides, String split) {
        return StudyRunner.family(c, overrides, split);
    }

    static LstmConfig lstm(int layers, int hidden, Preprocessing p) {
        return LstmConfig.paperDefaults().toBuilder()
                .layers(layers)
                .hidden(hidden)
                .preprocessing(p)
                .build();
    }

    /** The LSTM of the main optimizer and of the weighting variants. */
    LstmConfig baseLstm() {
        return c.baseLstm != null ? c.baseLstm : lstm(2, c.lstmBaseHidden, Preprocessing.LOG_SIGN);
    }

    /** Meta-trains (or returns the cached) optimizer on the study's family (training split). */
    TrainingCache.Trained train(String section, LstmConfig lstm, String weighting, int iterations)
            throws IOException {
        return training.train(
                section, lstm, weighting, iterations, family(Map.of(), "train"), null);
    }

    /**
     * The main optimizer of sections 1, 2 and 5: {@link StudyConfig#mainWeights} when given (its
     * budget from its metadata), otherwise meta-trained with {@link StudyConfig#baseIterations}.
     */
    TrainingCache.Trained main() throws IOException {
        if (c.mainWeights == null) {
            return train("main", baseLstm(), "uniform", c.baseIterations);
        }
        return training.given("main|given", c.mainWeightsName, "main (given)", c.mainWeights);
    }

    /** The main optimizer in words: its architecture, weighting and budget. */
    String describeMain(TrainingCache.Trained base) {
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

    static UpdateRule rule(TrainingCache.Trained t) {
        return LstmOptimizer.of(t.weights()).withThreads(1);
    }

    // --- evaluations -----------------------------------------------------------------------

    /** The learned optimizer's runs on {@code family} for {@code steps} steps (cached). */
    OptimizerResult learned(String label, TrainingCache.Trained t, TaskFamily family, int steps) {
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

    /** Stores a result under a learned optimizer's key unless one is there. */
    void putLearnedIfAbsent(
            TrainingCache.Trained t, TaskFamily family, int steps, OptimizerResult r) {
        cache.putIfAbsent("L|" + t.name() + "|" + family.name() + "|" + steps, r);
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

    /**
     * A baseline run for {@code maxSteps} with the rate tuned at {@code tunedSteps} (or at H when
     * {@code tunedSteps} is 0), cut to {@code steps}.
     */
    OptimizerResult longBaseline(
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

    OptimizerResult cached(String key, Supplier<OptimizerResult> compute) {
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

    static OptimizerResult relabel(OptimizerResult r, String label) {
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

    /** The largest horizon multiplier at which baselines are still re-tuned (at least 1). */
    int longMultiplier() {
        int best = 1;
        for (int m : c.horizonMultipliers) {
            if (m <= c.maxTunedMultiplier && m > best) {
                best = m;
            }
        }
        return best;
    }

    // --- report helpers --------------------------------------------------------------------

    String lossUnit() {
        return c.task.startsWith("quadratic")
                ? "loss ||W theta - y||^2, dimensionless"
                : "cross-entropy in nats";
    }

    String lossAxis() {
        return c.task.startsWith("quadratic")
                ? "final loss ||W theta - y||^2 (dimensionless)"
                : "final loss (cross-entropy, nats)";
    }

    static MarkdownTable resultTable(String firstColumn) {
        return new MarkdownTable(
                firstColumn,
                "optimizer",
                "learning rate (tuned at T)",
                "final loss mean",
                "std",
                "95% CI",
                "diverged");
    }

    static void addRow(MarkdownTable t, String first, OptimizerResult r) {
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

    static String img(String file, String alt) {
        return "![" + alt + "](" + file + ")\n\n";
    }

    static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(Integer::toString).toList());
    }
}
