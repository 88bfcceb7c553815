package org.l2o4j.cli.study;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/**
 * The evaluation study the reviewer asked for (docs/design.md section 4), written to one directory
 * as {@code report.md} with PNG plots. One class per section ({@link StudySection}), each sized by
 * {@link StudyConfig}:
 *
 * <ol>
 *   <li>{@link HorizonSection}: 1x, 2x, 10x, 100x the meta-training horizon;
 *   <li>{@link GeneralizationSection}: MLP hidden units, layers, activation, dataset;
 *   <li>{@link WeightingSection}: meta-loss weighting uniform / final / discounted;
 *   <li>{@link ArchitectureSection}: LSTM layers, hidden units, preprocessing;
 *   <li>{@link CostSection}: time per step and memory per parameter against SGD and Adam, and the
 *       meta-training budget of every optimizer trained for sections 1-5;
 *   <li>{@link CnnSection}: learned vs tuned baselines on {@code conv} at 1x and 10x H;
 *   <li>{@link StyleSection}: learned vs tuned Adam on style transfer, held-out styles and double
 *       resolution, with image grids;
 *   <li>{@link CellsSection}: LSTM, GRU and MLP cells, sizes and input features, each meta-trained
 *       with the same CPU budget, against tuned Adam.
 * </ol>
 *
 * <p>The sections share a {@link StudyContext} (the {@link TrainingCache} of meta-trained
 * optimizers and a cache of evaluations); {@link StudyReport} times them and writes the report. A
 * new section is a new {@link StudySection} added to {@link #ALL_SECTIONS}.
 *
 * <p>Meta-training uses the family's training split; every evaluation uses its test split and task
 * seeds never used in meta-training ({@link Evaluator#EVALUATION_SEED_BASE}); baselines are tuned
 * on separate validation seeds. Trained weights are saved under {@code weights/}.
 */
public final class StudyRunner {
    /** Every section, in report order. */
    public static final List<StudySection> ALL_SECTIONS =
            List.of(
                    new HorizonSection(),
                    new GeneralizationSection(),
                    new WeightingSection(),
                    new ArchitectureSection(),
                    new CostSection(),
                    new CnnSection(),
                    new StyleSection(),
                    new CellsSection());

    /** Section headers, in order (tests check them). */
    public static final List<String> SECTIONS =
            ALL_SECTIONS.stream().map(StudySection::header).toList();

    /** The {@code --sections} keys, in order. */
    public static final List<String> SECTION_KEYS =
            ALL_SECTIONS.stream().map(StudySection::key).toList();

    /** The sections on the study's MLP family that share the main optimizer and ablations. */
    static final List<String> MLP_SECTION_KEYS =
            List.of("horizon", "generalization", "weighting", "architecture", "cost");

    /** The sections on the study's own task family (the MLP sections and section 8). */
    static final List<String> STUDY_FAMILY_SECTION_KEYS =
            List.of("horizon", "generalization", "weighting", "architecture", "cost", "cells");

    private final StudyContext ctx;
    private final List<StudySection> sections;

    /**
     * A runner writing into {@code dir}, logging progress to {@code log}.
     *
     * @throws IllegalArgumentException for an invalid configuration
     */
    public StudyRunner(StudyConfig config, Path dir, PrintWriter log) {
        if (config.seeds < 2) {
            throw new IllegalArgumentException(
                    "the study needs at least 2 seeds for a spread but got " + config.seeds);
        }
        for (String b : config.baselines) {
            Baselines.create(b, 1); // validates the names early
        }
        this.sections = select(config.sections);
        this.ctx = new StudyContext(config, dir, log);
    }

    /**
     * The sections named by {@code keys} (null: all), in report order.
     *
     * @throws IllegalArgumentException for an unknown name or an empty list
     */
    public static List<StudySection> select(List<String> keys) {
        if (keys == null) {
            return ALL_SECTIONS;
        }
        for (String k : keys) {
            if (!SECTION_KEYS.contains(k)) {
                throw new IllegalArgumentException(
                        "unknown study section '"
                                + k
                                + "'; known: "
                                + String.join(",", SECTION_KEYS));
            }
        }
        List<StudySection> out = new ArrayList<>();
        for (StudySection s : ALL_SECTIONS) {
            if (keys.contains(s.key())) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--sections selects no section");
        }
        return out;
    }

    /** Runs the selected sections and writes {@code report.md}; returns its path. */
    public Path run() throws IOException {
        return new StudyReport(ctx, sections).write();
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
}
