package org.l2o4j.cli.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.Durations;

/**
 * Runs the sections of a study one after the other, times each (wall and process CPU time), and
 * writes {@code report.md}: the title, the setup (protocol, budgets, times) and the sections'
 * markdown in order.
 */
final class StudyReport {
    private final StudyContext ctx;
    private final List<StudySection> sections;
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final Map<String, Double> cpuSeconds = new LinkedHashMap<>();
    private long studyStart;

    StudyReport(StudyContext ctx, List<StudySection> sections) {
        this.ctx = ctx;
        this.sections = sections;
    }

    /** Runs every section and writes {@code report.md}; returns its path. */
    Path write() throws IOException {
        Files.createDirectories(ctx.dir);
        long t0 = System.nanoTime();
        studyStart = t0;
        StringBuilder body = new StringBuilder();
        for (StudySection s : sections) {
            body.append(timed(s));
        }
        double total = (System.nanoTime() - t0) * 1e-9;
        StringBuilder md = new StringBuilder();
        md.append("# l2o4j evaluation study\n\n");
        md.append(setupText(total));
        md.append(body);
        Path report = ctx.dir.resolve("report.md");
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
        ctx.log.printf(Locale.ROOT, "Study done in %.1f s: %s%n", total, report.toAbsolutePath());
        ctx.log.flush();
        return report;
    }

    /** The section's number, from its header ({@code ## 3. ...} is 3). */
    static String id(StudySection s) {
        return s.header().replaceFirst("^#+ ([0-9]+)\\..*$", "$1");
    }

    private String timed(StudySection s) throws IOException {
        String id = id(s);
        long t = System.nanoTime();
        ctx.log.printf(
                Locale.ROOT,
                "section %s/%d (%s) starting, %s into the study%n",
                id,
                StudyRunner.SECTIONS.size(),
                s.title(),
                Durations.format((t - studyStart) * 1e-9));
        ctx.log.flush();
        double cpu0 = TrainingCache.processCpuSeconds();
        String out = s.render(ctx);
        double secs = (System.nanoTime() - t) * 1e-9;
        double cpu = TrainingCache.processCpuSeconds() - cpu0;
        seconds.put(id, secs);
        cpuSeconds.put(id, cpu);
        ctx.log.printf(Locale.ROOT, "section %s: %.1f s wall, %.1f s CPU%n", id, secs, cpu);
        ctx.log.flush();
        return out;
    }

    String setupText(double totalSeconds) {
        StudyConfig c = ctx.c;
        long[] evalSeeds = ctx.evalSeeds;
        StringBuilder sb = new StringBuilder();
        sb.append("## Setup\n\n");
        if (c.command != null) {
            sb.append("Command: `").append(c.command).append("`\n\n");
        }
        boolean mlpSections =
                sections.stream().anyMatch(s -> StudyRunner.MLP_SECTION_KEYS.contains(s.key()));
        boolean studyFamily =
                sections.stream()
                        .anyMatch(s -> StudyRunner.STUDY_FAMILY_SECTION_KEYS.contains(s.key()));
        String family =
                studyFamily
                        ? String.format(
                                Locale.ROOT,
                                "Task family `%s` (base variant %s): ",
                                c.task,
                                ctx.family(Map.of(), "test").name())
                        : "Each section's task family: ";
        sb.append(family);
        sb.append(
                String.format(
                        Locale.ROOT,
                        "meta-training on the training split,"
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
                        c.horizon,
                        c.unroll,
                        c.seeds,
                        evalSeeds[0],
                        evalSeeds[evalSeeds.length - 1],
                        String.join(", ", c.baselines),
                        c.grid,
                        c.tuningSeeds,
                        studyFamily ? ctx.lossUnit() : "units in each section"));
        if (mlpSections) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "Meta-training budgets: the main optimizer (sections 1, 2, 5): %s;"
                                    + " every ablation variant in sections 3 and 4"
                                    + " (including its own uniform / %s reference) %d meta-iterations,"
                                    + " smaller to fit the study's time, so compare ablation variants"
                                    + " with each other, not with the main optimizer. %d task(s) per"
                                    + " iteration, backward on %s coordinates, best-on-validation"
                                    + " weights (%d validation tasks). Section 5 lists each budget.%n%n",
                            c.mainWeights == null
                                    ? c.baseIterations + " meta-iterations, uniform weighting"
                                    : "given, "
                                            + c.mainWeightsName
                                            + " (its last meta-training stage: "
                                            + c.mainWeights
                                                    .metadata()
                                                    .getOrDefault("iterations", "?")
                                            + " meta-iterations with "
                                            + c.mainWeights
                                                    .metadata()
                                                    .getOrDefault("weighting", "?")
                                            + " weighting; its whole budget is in its provenance)",
                            ctx.baseLstm().layers() + "x" + ctx.baseLstm().hidden(),
                            c.ablationIterations,
                            c.tasksPerIteration,
                            c.coordinateSubsample == 0 ? "all" : c.coordinateSubsample + "",
                            c.validationTasks));
        }
        for (StudySection s : sections) {
            String note = s.setupNote(ctx);
            if (note != null) {
                sb.append(note).append("\n\n");
            }
        }
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

    String sectionTimes() {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Double> e : seconds.entrySet()) {
            parts.add(
                    String.format(
                            Locale.ROOT,
                            "%s: %.1f s (%.1f CPU-s)",
                            e.getKey(),
                            e.getValue(),
                            cpuSeconds.get(e.getKey())));
        }
        return String.join(", ", parts);
    }
}
