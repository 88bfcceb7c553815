package org.l2o4j.cli.study;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.l2o4j.cli.report.BarChartPlot;
import org.l2o4j.cli.report.MarkdownTable;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/** Section 2: the main optimizer on MLP variants it was not trained on. */
public final class GeneralizationSection implements StudySection {

    @Override
    public String key() {
        return "generalization";
    }

    @Override
    public String header() {
        return "## 2. Generalization";
    }

    @Override
    public String render(StudyContext ctx) throws IOException {
        StudyConfig c = ctx.c;
        TrainingCache.Trained base = ctx.main();
        StringBuilder sb = new StringBuilder();
        sb.append(header()).append("\n\n");
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
                    "hidden units",
                    TaskFamilies.HIDDEN,
                    StudyContext.join(c.hiddenUnits),
                    "hidden-units"
                });
        axes.add(
                new String[] {
                    "hidden layers",
                    TaskFamilies.LAYERS,
                    StudyContext.join(c.hiddenLayers),
                    "layers"
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
            MarkdownTable t = StudyContext.resultTable(axis[0]);
            Map<String, double[][]> bars = new LinkedHashMap<>();
            for (int i = 0; i < values.size(); i++) {
                TaskFamily fam = ctx.family(Map.of(axis[1], values.get(i)), "test");
                List<OptimizerResult> rows = new ArrayList<>();
                rows.add(ctx.learned("learned", base, fam, c.horizon));
                for (String b : c.baselines) {
                    rows.add(ctx.baseline(b, fam, c.horizon));
                }
                String label = values.get(i) + (isBase(c, axis[1], values.get(i)) ? " (base)" : "");
                for (OptimizerResult r : rows) {
                    StudyContext.addRow(t, label, r);
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
                                    ctx.lossAxis())
                            .categories(values);
            for (Map.Entry<String, double[][]> e : bars.entrySet()) {
                plot.series(e.getKey(), e.getValue()[0], e.getValue()[1]);
            }
            String png = "generalization-" + axis[3] + ".png";
            plot.write(ctx.dir.resolve(png));
            sb.append("### ").append(axis[0]).append("\n\n").append(t.render()).append('\n');
            sb.append(StudyContext.img(png, "final loss by " + axis[0]));
        }
        sb.append("Error bars: 95% CI of the mean.\n\n");
        return sb.toString();
    }

    private static boolean isBase(StudyConfig c, String key, String value) {
        return switch (key) {
            case TaskFamilies.HIDDEN -> value.equals(Integer.toString(c.baseHidden));
            case TaskFamilies.LAYERS -> value.equals(Integer.toString(c.baseLayers));
            case TaskFamilies.ACTIVATION -> value.equals(c.baseActivation);
            case TaskFamilies.DATASET -> value.equals(c.baseDataset);
            default -> false;
        };
    }
}
