package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.eval.ScalarQuadraticFamily;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.l2o4j.pretrained.PretrainedRegistry;
import picocli.CommandLine;

class EvaluateCommandTest {

    @BeforeAll
    static void registerTestFamily() {
        // f = 0.5 * ||x||^2: SGD with lr = 1/(2a) = 1 reaches the minimum 0 in one step.
        TaskFamilies.register(
                "scalar-quadratic",
                Set.of(),
                "test family 0.5 x^2",
                o -> new ScalarQuadraticFamily(0.5, 3, 0));
    }

    static final class Run {
        int code;
        String out;
        String err;
    }

    static Run run(String... args) {
        Run r = new Run();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new EvaluateCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        r.code = cl.execute(args);
        r.out = out.toString();
        r.err = err.toString();
        return r;
    }

    static JsonObject lastLineJson(String out) {
        String[] lines = out.strip().split("\n");
        return JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    }

    @Test
    void gridSearchFindsTheOneStepLearningRate() {
        Run r =
                run(
                        "--task",
                        "scalar-quadratic",
                        "--steps",
                        "1",
                        "--seeds",
                        "4",
                        "--baselines",
                        "sgd",
                        "--tuning-seeds",
                        "2",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = lastLineJson(r.out);
        assertEquals(1, o.get("steps").getAsInt());
        assertEquals(4, o.get("seeds").getAsInt());
        JsonObject sgd = o.getAsJsonArray("results").get(0).getAsJsonObject();
        assertEquals("sgd", sgd.get("name").getAsString());
        assertEquals(1.0, sgd.get("lr").getAsDouble(), 1e-7);
        assertEquals(0.0, sgd.get("final_loss_mean").getAsDouble());
        assertEquals(0, sgd.get("diverged").getAsInt());
    }

    @Test
    void mnistRunWritesCsvPngAndReport(@TempDir Path dir) throws Exception {
        Run r =
                run(
                        "--task",
                        "mnist-mlp",
                        "--hidden",
                        "4",
                        "--batch",
                        "16",
                        "--data-dir",
                        "bundled",
                        "--seeds",
                        "3",
                        "--steps",
                        "6",
                        "--baselines",
                        "sgd,adam",
                        "--lr-grid",
                        "0.01,0.1,1",
                        "--tuning-seeds",
                        "2",
                        "--threads",
                        "2",
                        "--out",
                        dir.toString(),
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = lastLineJson(r.out);
        assertTrue(o.get("task").getAsString().contains("split=test"), o.toString());
        JsonArray results = o.getAsJsonArray("results");
        assertEquals(2, results.size());
        for (int i = 0; i < 2; i++) {
            JsonObject x = results.get(i).getAsJsonObject();
            assertTrue(x.has("lr") && x.has("final_loss_mean") && x.has("final_loss_std"));
        }
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals("optimizer,seed,step,loss", csv.get(0));
        assertEquals(1 + 2 * 3 * 7, csv.size());
        assertTrue(Files.size(dir.resolve("curves.png")) > 1000);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| sgd |") && md.contains("| adam |"));
        assertTrue(md.contains("l2o evaluate --task mnist-mlp"));
    }

    @Test
    void convRunTakesTheDatasetAndBatchFlags(@TempDir Path dir) throws Exception {
        LstmConfig cfg = LstmConfig.paperDefaults().toBuilder().hidden(4).build();
        Path file = dir.resolve("fresh.safetensors");
        WeightFiles.write(file, MetaTrainer.initialWeights(cfg, 7));
        Run r =
                run(
                        "--task",
                        "conv[channels=2]",
                        "--optimizer",
                        file.toString(),
                        "--dataset",
                        "fashion-mnist",
                        "--batch",
                        "8",
                        "--data-dir",
                        "bundled",
                        "--seeds",
                        "2",
                        "--steps",
                        "5",
                        "--baselines",
                        "adam",
                        "--lr-grid",
                        "0.001,0.01",
                        "--tuning-seeds",
                        "1",
                        "--threads",
                        "2",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = lastLineJson(r.out);
        String task = o.get("task").getAsString();
        assertTrue(
                task.startsWith(
                        "conv(dataset=fashion-mnist,split=test,channels=2,blocks=2,batch=8"),
                task);
        JsonArray results = o.getAsJsonArray("results");
        assertEquals(2, results.size());
        for (int i = 0; i < 2; i++) {
            assertTrue(
                    Double.isFinite(
                            results.get(i).getAsJsonObject().get("final_loss_mean").getAsDouble()),
                    o.toString());
        }
    }

    @Test
    void mlpZooRunsOnTheTestSplitWithCommaListsInTheSpec() {
        // the spec's comma lists survive the split=test that evaluate appends
        Run r =
                run(
                        "--task",
                        "mlp-zoo[min-width=4,max-width=6,activations=relu,tanh,conv=0.5,"
                                + "channels=2,batch=8]",
                        "--data-dir",
                        "bundled",
                        "--seeds",
                        "3",
                        "--steps",
                        "3",
                        "--baselines",
                        "adam",
                        "--lr-grid",
                        "0.01",
                        "--tuning-seeds",
                        "1",
                        "--threads",
                        "2",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = lastLineJson(r.out);
        assertEquals(
                "mlp-zoo(width=4..6,depth=1..3,activations=relu|tanh,datasets=mnist|fashion-mnist,"
                        + "conv=0.5,split=test,batch=8,init=normal,channels=2,blocks=2)",
                o.get("task").getAsString());
        assertTrue(
                Double.isFinite(
                        o.getAsJsonArray("results")
                                .get(0)
                                .getAsJsonObject()
                                .get("final_loss_mean")
                                .getAsDouble()),
                o.toString());
    }

    @Test
    void styleRunEvaluatesOnHeldOutImagesByDefault() {
        Run r =
                run(
                        "--task",
                        "style[size=8]",
                        "--seeds",
                        "2",
                        "--steps",
                        "5",
                        "--baselines",
                        "adam",
                        "--lr-grid",
                        "0.01,0.1",
                        "--tuning-seeds",
                        "1",
                        "--threads",
                        "1",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = lastLineJson(r.out);
        String task = o.get("task").getAsString();
        assertTrue(task.startsWith("style(side=8,content=test,style=test"), task);
    }

    @Test
    void styleRunWithOutWritesImageGrids(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fresh.safetensors");
        WeightFiles.write(
                file,
                MetaTrainer.initialWeights(
                        LstmConfig.paperDefaults().toBuilder().layers(1).hidden(4).build(), 7));
        Path out = dir.resolve("eval");
        Run r =
                run(
                        "--optimizer",
                        file.toString(),
                        "--task",
                        "style[size=8]",
                        "--seeds",
                        "3",
                        "--steps",
                        "33",
                        "--baselines",
                        "sgd,adam",
                        "--lr-grid",
                        "0.01,0.1",
                        "--tuning-seeds",
                        "1",
                        "--style-grids",
                        "2",
                        "--out",
                        out.toString());
        assertEquals(0, r.code, r.err);
        String md = Files.readString(out.resolve("report.md"));
        List<Path> grids;
        try (var files = Files.list(out)) {
            grids =
                    files.filter(f -> f.getFileName().toString().startsWith("style-grid-"))
                            .toList();
        }
        assertEquals(2, grids.size(), grids.toString());
        for (Path g : grids) {
            assertTrue(md.contains("](" + g.getFileName() + ")"), md);
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(g.toFile());
            // content, style and steps 0, 32, 33: five columns; learned and adam: two rows
            assertTrue(img.getWidth() > 5 * 128 && img.getHeight() > 2 * 128, g.toString());
        }
        // the rows' losses are those of the evaluation's runs
        org.l2o4j.core.task.StyleTaskFamily fam =
                (org.l2o4j.core.task.StyleTaskFamily)
                        TaskFamilies.parse("style[size=8;split=test]");
        long seed = org.l2o4j.core.eval.Evaluator.EVALUATION_SEED_BASE;
        org.l2o4j.cli.report.StyleGrid.Snapshots s =
                org.l2o4j.cli.report.StyleGrid.replay(
                        "adam",
                        org.l2o4j.core.eval.Baselines.create("adam", 0.1),
                        fam.sample(seed),
                        org.l2o4j.cli.report.StyleGrid.snapshotSteps(33));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 32, 33}, s.steps());
        org.l2o4j.core.eval.RunResult run =
                new org.l2o4j.core.eval.Evaluator(33, 1)
                        .run(
                                "adam",
                                org.l2o4j.core.eval.Baselines.create("adam", 0.1),
                                fam.sample(seed),
                                seed);
        assertEquals(run.losses()[32], s.losses()[1]);
        assertEquals(run.losses()[33], s.losses()[2]);
    }

    @Test
    void learnedOptimizerFromAWeightFileRunsOnQuadratics(@TempDir Path dir) throws Exception {
        LstmConfig cfg = LstmConfig.paperDefaults().toBuilder().hidden(4).build();
        Path file = dir.resolve("fresh.safetensors");
        WeightFiles.write(file, MetaTrainer.initialWeights(cfg, 7));
        Run r =
                run(
                        "--optimizer",
                        file.toString(),
                        "--task",
                        "quadratic",
                        "--steps",
                        "20",
                        "--seeds",
                        "10",
                        "--baselines",
                        "adam",
                        "--tuning-seeds",
                        "5",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonArray results = lastLineJson(r.out).getAsJsonArray("results");
        JsonObject learned = results.get(0).getAsJsonObject();
        assertEquals("learned", learned.get("name").getAsString());
        assertFalse(learned.has("lr"));
        int diverged = learned.get("diverged").getAsInt();
        assertTrue(diverged >= 0 && diverged <= 10);
        assertEquals(diverged == 10, learned.get("final_loss_mean").isJsonNull());
        JsonObject adam = results.get(1).getAsJsonObject();
        assertEquals("adam", adam.get("name").getAsString());
        double lr = adam.get("lr").getAsDouble();
        assertTrue(lr >= 1e-4 && lr <= 10, "adam lr " + lr);
        assertTrue(adam.get("final_loss_mean").getAsDouble() > 0);
    }

    @Test
    void unknownOptimizerNamesTheProblem() {
        Run r = run("--optimizer", "no-such-id", "--task", "quadratic", "--baselines", "none");
        assertNotEquals(0, r.code);
        // the pretrained registry's one message, which lists what is available
        assertTrue(
                r.err.contains(
                        PretrainedRegistry.unknownIdMessage(
                                "no-such-id", PretrainedOptimizers.ids())),
                r.err);
    }

    @Test
    void badInputGivesClearErrors() {
        Run r = run("--task", "no-such-family", "--baselines", "sgd");
        assertNotEquals(0, r.code);
        assertTrue(r.err.contains("unknown task family 'no-such-family'"), r.err);

        r = run("--task", "scalar-quadratic", "--baselines", "sgd,lion");
        assertNotEquals(0, r.code);
        assertTrue(r.err.contains("expected one of sgd, nag, rmsprop, adam"), r.err);

        r = run("--task", "scalar-quadratic", "--baselines", "none");
        assertNotEquals(0, r.code);
        assertTrue(r.err.contains("Nothing to evaluate"), r.err);

        r = run("--task", "scalar-quadratic", "--seeds", "0");
        assertNotEquals(0, r.code);
        assertTrue(r.err.contains("--seeds must be >= 1"), r.err);
    }
}
