package org.l2o4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.l2o4j.cli.report.EvaluationReport;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.cli.report.StyleGrid;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.EvaluationResult;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.StyleTaskFamily;

/**
 * {@code evaluate --task style --out DIR}: one {@link StyleGrid} PNG per evaluated task (the first
 * few seeds), {@code style-grid-<seed>.png}, showing the learned optimizers and tuned Adam (or
 * every tuned baseline when Adam was not evaluated), linked from {@code report.md}.
 */
final class StyleGrids {
    private StyleGrids() {}

    /** Writes the grids of the first {@code count} seeds; returns their paths. */
    static List<Path> write(
            Path out,
            StyleTaskFamily family,
            EvaluationResult result,
            Map<String, UpdateRule> learned,
            long[] seeds,
            int count)
            throws IOException {
        List<StyleGrid.Row> rows = new ArrayList<>();
        for (Map.Entry<String, UpdateRule> e : learned.entrySet()) {
            rows.add(new StyleGrid.Row(e.getKey(), e.getValue()));
        }
        List<OptimizerResult> baselines = new ArrayList<>();
        for (OptimizerResult r : result.optimizers()) {
            if (!learned.containsKey(r.name()) && !Double.isNaN(r.learningRate())) {
                baselines.add(r);
            }
        }
        boolean hasAdam = baselines.stream().anyMatch(r -> r.name().equals("adam"));
        for (OptimizerResult r : baselines) {
            if (!hasAdam || r.name().equals("adam")) {
                rows.add(
                        new StyleGrid.Row(
                                r.name()
                                        + " (tuned lr "
                                        + MarkdownTable.num(r.learningRate())
                                        + ")",
                                Baselines.create(r.name(), r.learningRate())));
            }
        }
        List<Path> files = new ArrayList<>();
        StringBuilder md = new StringBuilder("## Images\n\n");
        md.append(
                "Per task: the content and style images, then each optimizer's image after 0, 32,"
                        + " 64 and 128 steps (those within the run) and at the last step, with the"
                        + " loss under each (the same runs as the curves: same initial image).\n\n");
        for (int i = 0; i < Math.min(count, seeds.length); i++) {
            long seed = seeds[i];
            String name = "style-grid-" + seed + ".png";
            Path file = out.resolve(name);
            StyleGrid.write(
                    file,
                    family.name().replaceFirst(",content-weight=.*$", ")") + ", task seed " + seed,
                    family.sample(seed),
                    rows,
                    result.steps());
            files.add(file);
            md.append("![style transfer, seed ")
                    .append(seed)
                    .append("](")
                    .append(name)
                    .append(")\n\n");
        }
        Files.writeString(
                out.resolve(EvaluationReport.MARKDOWN),
                md.toString(),
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        return files;
    }
}
