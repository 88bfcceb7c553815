package org.l2o4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.eval.EvaluationResult;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.LearningRateGrid;
import org.l2o4j.core.eval.ScalarQuadraticFamily;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.Sgd;

class EvaluationReportTest {

    private static EvaluationResult result() {
        return new Evaluator(8, 2)
                .compare(
                        new ScalarQuadraticFamily(0.5, 3, 0.2),
                        Map.of("learned", new Adam(0.3), "bad", new Sgd(10)),
                        List.of("sgd", "adam"),
                        LearningRateGrid.defaultGrid(),
                        Evaluator.evaluationSeeds(4),
                        Evaluator.validationSeeds(2));
    }

    @Test
    void writesCsvPngAndMarkdown(@TempDir Path dir) throws Exception {
        EvaluationResult r = result();
        EvaluationReport.write(dir, r, "loss (a.u.)", "l2o evaluate --test");

        List<String> csv = Files.readAllLines(dir.resolve(EvaluationReport.CSV));
        assertEquals(ResultsCsv.HEADER, csv.get(0));
        // Non-diverged runs have steps+1 rows; the diverged ones stop at their divergence step.
        long learnedRows = csv.stream().filter(l -> l.startsWith("learned,")).count();
        assertEquals(4 * 9, learnedRows);
        long badRows = csv.stream().filter(l -> l.startsWith("bad,")).count();
        int expectedBad = r.get("bad").runs().stream().mapToInt(x -> x.divergedAtStep() + 1).sum();
        assertTrue(r.get("bad").divergedCount() == 4);
        assertEquals(expectedBad, badRows);
        String[] first = csv.get(1).split(",");
        assertEquals(4, first.length);
        assertEquals(Long.toString(Evaluator.EVALUATION_SEED_BASE), first[1]);
        assertEquals("0", first[2]);

        BufferedImage png = ImageIO.read(dir.resolve(EvaluationReport.PNG).toFile());
        assertTrue(png.getWidth() > 100 && png.getHeight() > 100);

        String md = Files.readString(dir.resolve(EvaluationReport.MARKDOWN));
        assertTrue(md.contains("| optimizer | learning rate | final loss mean | std | 95% CI"));
        for (String name : List.of("learned", "bad", "sgd", "adam")) {
            assertTrue(md.contains("| " + name + " |"), name);
        }
        assertTrue(md.contains("| bad | - | n/a | n/a | n/a | 4/4 |"), md);
        assertTrue(md.contains("### sgd: chosen learning rate"));
        assertTrue(md.contains("![Loss curves](curves.png)"));
    }

    @Test
    void curvesAreThinnedAndKeepTheLastStep() {
        EvaluationResult r =
                new Evaluator(1000, 1)
                        .compare(
                                new ScalarQuadraticFamily(0.1, 2, 0),
                                Map.of("adam", new Adam(0.01)),
                                List.of(),
                                LearningRateGrid.defaultGrid(),
                                Evaluator.evaluationSeeds(3),
                                Evaluator.validationSeeds(1));
        LossCurves c = LossCurves.of("adam", r.get("adam"), 100);
        assertTrue(c.steps().length <= 101, "points " + c.steps().length);
        assertEquals(1000, c.steps()[c.steps().length - 1]);
        assertEquals(0, c.steps()[0]);
        for (int i = 0; i < c.steps().length; i++) {
            assertTrue(c.low()[i] <= c.mean()[i] + 1e-12 && c.mean()[i] <= c.high()[i] + 1e-12);
        }
    }

    @Test
    void percentileInterpolates() {
        double[] v = {1, 2, 3, 4, 5};
        assertEquals(1.4, LossCurves.percentile(v, 10), 1e-12);
        assertEquals(3, LossCurves.percentile(v, 50), 1e-12);
        assertEquals(4.6, LossCurves.percentile(v, 90), 1e-12);
    }
}
