package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.cli.demo.MnistDemo;
import org.l2o4j.core.meta.TinyWeights;
import org.l2o4j.dl4j.LearnedUpdater;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.l2o4j.pretrained.PretrainedRegistry;
import picocli.CommandLine;

class DemoCommandTest {
    @TempDir static Path dir;
    static Path weights;

    /** Small weights from our own meta-trainer at a tiny budget (quadratics; seconds). */
    @BeforeAll
    static void metaTrainTinyWeights() throws IOException {
        weights = TinyWeights.write(dir.resolve("tiny.safetensors"));
    }

    @Test
    void demoTrainsBothOptimizersFromTheSameStartAndWritesTableAndPlot() throws IOException {
        Path out = dir.resolve("out");
        int steps = 30;
        double[] grid = {0.003, 0.03};
        MnistDemo.Result r =
                MnistDemo.run(
                        new MnistDemo.Options(
                                steps,
                                7,
                                LearnedUpdater.fromFile(weights),
                                "learned (tiny)",
                                Double.NaN,
                                grid,
                                out,
                                null,
                                2,
                                1),
                        new PrintWriter(new StringWriter()));

        // Adam was tuned on the grid: the chosen rate has the lowest validation loss.
        assertTrue(r.adamTuned());
        assertArrayEquals(grid, r.grid());
        int best = r.gridValidationLoss()[0] <= r.gridValidationLoss()[1] ? 0 : 1;
        assertEquals(grid[best], r.adamLearningRate());

        for (MnistDemo.Run run : List.of(r.adam(), r.learned())) {
            assertEquals(steps, run.minibatchLoss().length);
            assertArrayEquals(new int[] {25, 30}, run.checkpoints());
            for (double v : run.minibatchLoss()) {
                assertTrue(Double.isFinite(v) && v > 0, run.label() + ": " + v);
            }
            assertTrue(run.testAccuracy() >= 0 && run.testAccuracy() <= 1);
            assertTrue(run.trainSeconds() > 0);
        }
        // Same initial weights and same first minibatch: the first loss (before any update) is
        // identical; afterwards the optimizers differ.
        assertEquals(r.adam().minibatchLoss()[0], r.learned().minibatchLoss()[0], 1e-6);
        assertNotEquals(
                r.adam().minibatchLoss()[steps - 1], r.learned().minibatchLoss()[steps - 1]);
        // Tuned Adam learns: below chance (ln 10) and below its first loss, better than chance on
        // the test split.
        assertTrue(r.adam().finalTrainLoss() < Math.log(10), "" + r.adam().finalTrainLoss());
        assertTrue(r.adam().finalTrainLoss() < r.adam().minibatchLoss()[0]);
        assertTrue(r.adam().testAccuracy() > 0.5, "" + r.adam().testAccuracy());
        assertEquals((r.trainRows() + r.validationRows()) / 10, r.validationRows());
        assertTrue(r.testRows() > 0);

        BufferedImage png = ImageIO.read(r.plot().toFile());
        assertEquals(900, png.getWidth());
        assertEquals(560, png.getHeight());
        List<String> csv = Files.readAllLines(r.csv());
        assertEquals(steps + 1, csv.size());
        assertTrue(csv.get(0).startsWith("step,\"Adam (lr "), csv.get(0));

        StringWriter table = new StringWriter();
        DemoCommand.print(new PrintWriter(table), r);
        String t = table.toString();
        assertTrue(t.contains("loss@25") && t.contains("loss@30"), t);
        assertTrue(t.contains("tuned in this run"), t);
        assertTrue(t.contains("learned (tiny)") && t.contains(r.plot().toString()), t);
    }

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = L2o.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void commandRunsWithAWeightFileAndAFixedAdamRate() {
        Path out = dir.resolve("cmd");
        String[] r =
                run(
                        "demo",
                        "--optimizer",
                        weights.toString(),
                        "--steps",
                        "5",
                        "--adam-lr",
                        "0.01",
                        "--warmup",
                        "0",
                        "--out",
                        out.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("fixed by --adam-lr"), r[1]);
        assertTrue(r[1].contains("loss@5"), r[1]);
        assertTrue(Files.isRegularFile(out.resolve("demo-mnist-mlp.png")));
    }

    @Test
    void missingWeightsGiveAClearError() {
        String[] r = run("demo", "--optimizer", dir.resolve("nope.safetensors").toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("nope.safetensors: no such file"), r[2]);

        if (!PretrainedOptimizers.ids().contains(PretrainedOptimizers.DEFAULT_ID)) {
            // Until the default weights ship, the default fails and says what to do.
            r = run("demo", "--steps", "1");
            assertEquals("2", r[0]);
            assertTrue(r[2].contains(PretrainedOptimizers.DEFAULT_ID), r[2]);
        }
        r = run("demo", "--optimizer", "no-such-id");
        assertEquals("2", r[0]);
        assertTrue(
                r[2].contains(
                        PretrainedRegistry.unknownIdMessage(
                                "no-such-id", PretrainedOptimizers.ids())),
                r[2]);
        r = run("demo", "--steps", "0", "--optimizer", weights.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--steps must be >= 1"), r[2]);
    }
}
