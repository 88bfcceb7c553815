package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.cli.report.LossCurvePlot;
import org.l2o4j.cli.report.LossCurves;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.cli.report.StyleGrid;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.task.StyleTaskFamily;
import org.l2o4j.core.task.TaskFamilies;

/**
 * Section 7: neural style transfer (the paper's neural-art experiment). A learned optimizer
 * meta-trained on the {@code style} family's training images (or given with {@code
 * --style-optimizer}) against tuned Adam on held-out styles, held-out content and styles, and
 * double resolution; loss curves and image grids (content, style, the image after 0/32/64/128 steps
 * with its loss).
 */
public final class StyleSection implements StudySection {

    @Override
    public String key() {
        return "style";
    }

    @Override
    public String header() {
        return "## 7. Style transfer";
    }

    /** The {@code style} family with the study's options and {@code overrides}. */
    static StyleTaskFamily family(StudyConfig c, Map<String, String> overrides) {
        Map<String, String> o = new LinkedHashMap<>(c.styleOptions);
        o.putAll(overrides);
        return (StyleTaskFamily) TaskFamilies.create(StyleTaskFamily.NAME, o);
    }

    /** The test variants: label, file-name slug and family options. */
    private static List<String[]> variants() {
        return List.of(
                new String[] {"held-out styles", "new-styles", "split=train,style=test"},
                new String[] {"held-out content and styles", "new-content-styles", "split=test"},
                new String[] {
                    "double resolution, held-out styles",
                    "double-resolution",
                    "split=train,style=test,resolution=2"
                });
    }

    private static Map<String, String> options(String spec) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : spec.split(",")) {
            String[] p = kv.split("=", 2);
            m.put(p[0], p[1]);
        }
        return m;
    }

    static TrainingCache.Trained learned(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        if (c.styleWeights != null) {
            return ctx.training.given(
                    "style|given", c.styleWeightsName, "style (given)", c.styleWeights);
        }
        return ctx.training.train(
                "style",
                ctx.baseLstm(),
                c.styleWeighting,
                c.styleIterations,
                family(c, Map.of(TaskFamilies.SPLIT, "train")),
                "style");
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TrainingCache.Trained tr = learned(ctx);
        int[] horizons =
                c.styleMultiplier > 1
                        ? new int[] {c.horizon, c.styleMultiplier * c.horizon}
                        : new int[] {c.horizon};
        int longSteps = horizons[horizons.length - 1];
        MarkdownTable t = StudyContext.resultTable("test tasks, T");
        StringBuilder figures = new StringBuilder();
        for (String[] v : variants()) {
            StyleTaskFamily fam = family(c, options(v[2]));
            OptimizerResult full = ctx.learned("learned", tr, fam, longSteps);
            List<LossCurves> curves = new ArrayList<>();
            Map<String, OptimizerResult> atLong = new LinkedHashMap<>();
            for (int steps : horizons) {
                String label = v[0] + ", T = " + steps;
                StudyContext.addRow(
                        t, label, steps == longSteps ? full : StudyContext.truncate(full, steps));
                for (String b : c.styleBaselines) {
                    OptimizerResult r = ctx.baseline(b, fam, steps);
                    StudyContext.addRow(t, label, r);
                    if (steps == longSteps) {
                        atLong.put(b, r);
                    }
                }
            }
            curves.add(LossCurves.of("learned", full, 800));
            for (Map.Entry<String, OptimizerResult> e : atLong.entrySet()) {
                curves.add(
                        LossCurves.of(
                                e.getKey()
                                        + " (lr "
                                        + MarkdownTable.num(e.getValue().learningRate())
                                        + ")",
                                e.getValue(),
                                800));
            }
            String png = "style-curves-" + v[1] + ".png";
            LossCurvePlot.write(
                    ctx.dir.resolve(png),
                    "style, " + v[0] + ": loss curves (" + c.seeds + " test tasks)",
                    "loss (content + style + smoothness, dimensionless)",
                    curves);
            figures.append("### ").append(v[0]).append("\n\n");
            figures.append("`").append(fam.name()).append("`\n\n");
            figures.append(StudyContext.img(png, "style transfer loss curves, " + v[0]));
            List<StyleGrid.Row> rows = new ArrayList<>();
            rows.add(new StyleGrid.Row("learned", StudyContext.rule(tr)));
            for (Map.Entry<String, OptimizerResult> e : atLong.entrySet()) {
                double lr = e.getValue().learningRate();
                rows.add(
                        new StyleGrid.Row(
                                e.getKey() + " (tuned lr " + MarkdownTable.num(lr) + ")",
                                Baselines.create(e.getKey(), lr)));
            }
            for (int i = 0; i < Math.min(c.styleGridSeeds, ctx.evalSeeds.length); i++) {
                long seed = ctx.evalSeeds[i];
                String grid = "style-grid-" + v[1] + "-" + seed + ".png";
                StyleGrid.write(
                        ctx.dir.resolve(grid),
                        "style transfer, " + v[0] + ", task seed " + seed,
                        fam.sample(seed),
                        rows,
                        longSteps);
                figures.append(
                        StudyContext.img(
                                grid, "style transfer images, " + v[0] + ", seed " + seed));
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Optimizing the pixels of an image for the content of one image and the style"
                                + " of another (Gatys et al.; features from a fixed random"
                                + " convolutional network, as no pretrained VGG can be fetched"
                                + " here). The learned optimizer (%s) against %s tuned on each"
                                + " test variant and horizon, at T = H = %d and T = %d. Loss:"
                                + " content + style + smoothness (dimensionless). Test variants as"
                                + " the paper's: styles never seen in meta-training, new content as"
                                + " well, and double resolution.%n%n",
                        CnnSection.describe(c, tr),
                        String.join(", ", c.styleBaselines),
                        c.horizon,
                        longSteps));
        sb.append(t.render()).append('\n');
        sb.append(
                "Curves: mean over tasks, band 10th-90th percentile. Grids: content and style"
                        + " image, then each optimizer's image after 0, 32, 64, 128 steps (those"
                        + " within the run) and the last step, with the loss under each.\n\n");
        sb.append(figures);
        sb.append(CnnSection.budgetTable(List.of(tr)));
        return sb.toString();
    }

    @Override
    public String setupNote(StudyContext ctx) {
        StudyConfig c = ctx.c;
        return c.styleWeights != null
                ? "Section 7 uses the given optimizer " + c.styleWeightsName + " on `style`."
                : "Section 7 meta-trains its own optimizer on `style` ("
                        + c.styleIterations
                        + " meta-iterations, "
                        + c.styleWeighting
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
