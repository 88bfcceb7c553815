package org.l2o4j.cli.study;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.Durations;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.meta.MetaLossWeighting;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.MetaTrainingListener;
import org.l2o4j.core.task.TaskFamily;

/**
 * The optimizers meta-trained for a study, each trained once per configuration and saved under
 * {@code weights/}, with its budget (iterations, optimization runs, wall and CPU time).
 */
public final class TrainingCache {

    /** One meta-trained optimizer and its budget. */
    public record Trained(
            String name,
            String section,
            LstmConfig lstm,
            String weighting,
            int iterations,
            long runs,
            double wallSeconds,
            double cpuSeconds,
            LstmWeights weights) {

        /**
         * The optimizer's architecture in a budget table: {@code 2x20 log-sign} for an LSTM (layers
         * x hidden units, preprocessing); the cell, activation and features otherwise, e.g. {@code
         * mlp 2x32 relu rms,mom:0.5}.
         */
        String lstmLabel() {
            return label(lstm);
        }
    }

    private final StudyConfig c;
    private final Path dir;
    private final PrintWriter log;
    private final Map<String, Trained> trained = new LinkedHashMap<>();

    TrainingCache(StudyConfig c, Path dir, PrintWriter log) {
        this.c = c;
        this.dir = dir;
        this.log = log;
    }

    /** CPU time of this process so far, or NaN where the JVM does not report it. */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() * 1e-9;
        }
        return Double.NaN;
    }

    /** Every optimizer trained (or given) so far, in order. */
    public List<Trained> all() {
        return new ArrayList<>(trained.values());
    }

    /**
     * Weights given instead of meta-trained (e.g. {@code --main-optimizer}), their budget read from
     * their metadata, under {@code key}.
     */
    Trained given(String key, String name, String section, LstmWeights w) {
        Trained t = trained.get(key);
        if (t == null) {
            Map<String, String> m = w.metadata();
            int iterations = (int) parseLong(m.get("iterations"), -1);
            t =
                    new Trained(
                            name,
                            section,
                            w.config(),
                            m.getOrDefault("weighting", "?"),
                            iterations,
                            parseLong(m.get("optimization_runs"), -1),
                            parseDouble(m.get("wall_time_seconds")),
                            Double.NaN,
                            w);
            trained.put(key, t);
        }
        return t;
    }

    /** {@link Trained#lstmLabel()} of an architecture. */
    static String label(LstmConfig lstm) {
        String size = lstm.layers() + "x" + lstm.hidden();
        return switch (lstm.cell()) {
            case LSTM -> size + " " + lstm.preprocessing().id();
            case MLP -> "mlp " + size + " " + lstm.activation().id() + " " + lstm.features().id();
            default -> lstm.cell().id() + " " + size + " " + lstm.features().id();
        };
    }

    /** Meta-trains (or returns the cached) optimizer for this configuration on {@code family}. */
    Trained train(
            String section,
            LstmConfig lstm,
            String weighting,
            int iterations,
            TaskFamily family,
            String familyTag)
            throws IOException {
        String key = lstm + "|" + weighting + "|" + iterations + familyKey(familyTag);
        Trained t = trained.get(key);
        if (t != null) {
            return t;
        }
        String name =
                String.format(
                        Locale.ROOT,
                        "%slstm-%dx%d-%s-%s-it%d",
                        familyTag == null ? "" : familyTag + "-",
                        lstm.layers(),
                        lstm.hidden(),
                        lstm.preprocessing().id(),
                        weighting.replace(':', '-'),
                        iterations);
        t = run(key, name, section, lstm, weighting, iterations, 0, family);
        return t;
    }

    /**
     * Meta-trains (or returns the cached) optimizer for this configuration on {@code family} until
     * {@code cpuBudgetSeconds} of process CPU are spent in meta-iterations (validation excluded;
     * {@link MetaTrainingConfig#cpuBudgetSeconds()}) or {@code maxIterations} are done. Its {@link
     * Trained#iterations()} are the iterations done; the weights' metadata has the CPU seconds of
     * the budget ({@code meta_training_cpu_seconds}) and {@code stopped_by}; {@link
     * Trained#cpuSeconds()} is the whole training's process CPU, validation included.
     */
    Trained trainWithCpuBudget(
            String section,
            LstmConfig lstm,
            String weighting,
            double cpuBudgetSeconds,
            int maxIterations,
            TaskFamily family)
            throws IOException {
        String key = lstm + "|" + weighting + "|cpu" + cpuBudgetSeconds + "|max" + maxIterations;
        Trained t = trained.get(key);
        if (t != null) {
            return t;
        }
        String name =
                String.format(
                        Locale.ROOT,
                        "%s-%s-%s-%s-cpu%s",
                        section,
                        lstm.cell().id(),
                        label(lstm)
                                .replaceFirst("^(mlp|gru) ", "")
                                .replace(' ', '-')
                                .replace(',', '+')
                                .replace(":", ""),
                        weighting.replace(':', '-'),
                        plain(cpuBudgetSeconds));
        return run(key, name, section, lstm, weighting, maxIterations, cpuBudgetSeconds, family);
    }

    private Trained run(
            String key,
            String name,
            String section,
            LstmConfig lstm,
            String weighting,
            int iterations,
            double cpuBudgetSeconds,
            TaskFamily family)
            throws IOException {
        log.printf("meta-training %s ...%n", name);
        log.flush();
        MetaTrainingConfig mc =
                MetaTrainingConfig.builder()
                        .taskFamily(family)
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
                        .cpuBudgetSeconds(cpuBudgetSeconds)
                        .putMetadata("command", "l2o study (" + section + ")")
                        .listener(new TrainingProgress(name, cpuBudgetSeconds > 0))
                        .build();
        long t0 = System.nanoTime();
        double cpu0 = processCpuSeconds();
        LstmWeights w = new MetaTrainer(mc).train();
        double wall = (System.nanoTime() - t0) * 1e-9;
        double cpu = processCpuSeconds() - cpu0;
        long runs = parseLong(w.metadata().get("optimization_runs"), iterations);
        int done = (int) parseLong(w.metadata().get("iterations"), iterations);
        Path wdir = dir.resolve("weights");
        Files.createDirectories(wdir);
        WeightFiles.write(wdir.resolve(name + ".safetensors"), w);
        Trained t = new Trained(name, section, lstm, weighting, done, runs, wall, cpu, w);
        trained.put(key, t);
        log.printf(Locale.ROOT, "  %s: %.1f s wall, %.1f s CPU, %d runs%n", name, wall, cpu, runs);
        log.flush();
        return t;
    }

    /** {@code 60} for 60.0, {@code 0.5} for 0.5: a budget in a file name. */
    static String plain(double seconds) {
        return seconds == Math.rint(seconds)
                ? Long.toString((long) seconds)
                : java.math.BigDecimal.valueOf(seconds).stripTrailingZeros().toPlainString();
    }

    private static String familyKey(String familyTag) {
        return familyTag == null ? "" : "|" + familyTag;
    }

    static long parseLong(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    static double parseDouble(String s) {
        try {
            return s == null ? Double.NaN : Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** One log line per ~10% of a variant's meta-training (or every 30 s), with its ETA. */
    private final class TrainingProgress implements MetaTrainingListener {
        private final String name;
        private long lastLine = System.nanoTime();

        /** Whether a CPU budget ends the run (its iteration count is only a cap: no ETA). */
        private final boolean budgeted;

        TrainingProgress(String name, boolean budgeted) {
            this.name = name;
            this.budgeted = budgeted;
        }

        @Override
        public void onCpuBudgetSpent(int completed, double cpuSeconds, double budgetSeconds) {
            log.printf(
                    Locale.ROOT,
                    "  %s: CPU budget spent (%.2f of %s CPU-s in meta-iterations) after"
                            + " iteration %d%n",
                    name,
                    cpuSeconds,
                    plain(budgetSeconds),
                    completed);
            log.flush();
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
                    budgeted ? "at the CPU budget" : Durations.format(p.etaSeconds()));
            log.flush();
        }
    }
}
