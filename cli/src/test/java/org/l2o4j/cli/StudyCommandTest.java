package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.cli.study.StudyConfig;
import org.l2o4j.cli.study.StudyRunner;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.meta.MetaTrainer;
import picocli.CommandLine;

class StudyCommandTest {

    @Test
    void toyStudyWritesEverySectionTableAndPlot(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StudyCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--toy", "--out", dir.toString());
        assertEquals(0, code, err.toString());

        String md = Files.readString(dir.resolve("report.md"));
        int last = -1;
        for (String h : StudyRunner.SECTIONS) {
            int at = md.indexOf("\n" + h + "\n");
            assertTrue(at > last, "section '" + h + "' missing or out of order");
            last = at;
        }
        // Every section has a table with the spread (std and 95% CI) and the diverged count.
        String[] sections = md.split("\n## ");
        for (int i = 2; i <= 5; i++) {
            String s = sections[i];
            assertTrue(
                    s.contains("| std |") || s.contains("mean ± std"),
                    "spread in " + s.substring(0, 30));
            assertTrue(s.contains("| --- |"), "table in " + s.substring(0, 30));
        }
        assertTrue(md.contains("| 95% CI | diverged |"));
        assertTrue(md.contains("### Meta-training budget"));
        assertTrue(
                md.contains(
                        "| optimizer | section | LSTM | weighting | meta-iterations | optimization runs | wall time (s) | CPU time (s) |"));
        // Horizons 1x, 2x, 10x H (H = 4 at toy size).
        for (String h : List.of("1x = 4", "2x = 8", "10x = 40")) {
            assertTrue(md.contains("| " + h + " | learned |"), h);
        }
        for (String v : List.of("| 3 |", "| relu |", "| fashion-mnist |", "| 2 (base) |")) {
            assertTrue(md.contains(v), v);
        }
        for (String w : List.of("| uniform |", "| final |", "| discounted:0.9 |")) {
            assertTrue(md.contains(w), w);
        }
        for (String a : List.of("| 1x4 log-sign |", "| 2x2 log-sign |", "| 2x4 none |")) {
            assertTrue(md.contains(a), a);
        }
        // Every referenced image exists and is a real PNG.
        Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(md);
        int images = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(dir.resolve(m.group(1)).toFile());
            assertTrue(img != null && img.getWidth() > 100, m.group(1));
            images++;
        }
        assertTrue(images >= 9, "images: " + images);
        // The trained optimizers are saved and readable.
        try (var files = Files.list(dir.resolve("weights"))) {
            List<Path> w = files.toList();
            assertTrue(w.size() >= 7, "weight files: " + w);
            for (Path p : w) {
                // shared files, and the per-group one of section 6
                org.l2o4j.core.io.GroupedWeightFiles.read(p);
            }
        }
    }

    @Test
    void mainOptimizerCanBeGivenInsteadOfTrained(@TempDir Path dir) throws Exception {
        // an untrained optimizer with made-up provenance: only how the study reports it matters
        Path file = dir.resolve("given.safetensors");
        WeightFiles.write(
                file,
                MetaTrainer.initialWeights(LstmConfig.builder().layers(1).hidden(4).build(), 3)
                        .withMetadata(
                                Map.of(
                                        "iterations", "7",
                                        "weighting", "linear",
                                        "optimization_runs", "7",
                                        "wall_time_seconds", "1.5")));
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StudyCommand());
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        Path out = dir.resolve("study");
        int code =
                cl.execute("--toy", "--main-optimizer", file.toString(), "--out", out.toString());
        assertEquals(0, code, err.toString());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(
                md.contains(
                        "given, "
                                + file
                                + " (its last meta-training stage: 7 meta-iterations with"
                                + " linear weighting"),
                md);
        assertTrue(md.contains(file + " as given: lstm 1x4"), md);
        assertTrue(
                md.contains("| " + file + " | main (given) | 1x4 log-sign | linear | 7 | 7 |"), md);
    }

    @Test
    void cnnAndStyleSectionsAloneWriteTablesGridsAndBudgets(@TempDir Path dir) throws Exception {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StudyCommand());
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--toy", "--sections", "style,cnn", "--out", dir.toString());
        assertEquals(0, code, err.toString());
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(!md.contains("## 1. Horizon") && !md.contains("## 5. Cost"), md);
        // the setup speaks of what ran: no MLP family, no main optimizer
        assertTrue(md.contains("Each section's task family: meta-training"), md);
        assertTrue(!md.contains("the main optimizer (sections 1, 2, 5)"), md);
        int cnn = md.indexOf("\n## 6. Convolutional nets\n");
        int style = md.indexOf("\n## 7. Style transfer\n");
        assertTrue(cnn > 0 && style > cnn, md);
        for (String h : List.of("1x = 4", "10x = 40")) {
            assertTrue(md.contains("| " + h + " | learned (shared LSTM) |"), h);
            assertTrue(md.contains("| " + h + " | adam |"), h);
        }
        for (String h : List.of("1x = 4", "10x = 40")) {
            assertTrue(md.contains("| " + h + " | learned per group (LSTM-sep) |"), h + md);
        }
        assertTrue(md.contains("**LSTM-sep** (the paper's per-group optimizer)"), md);
        assertTrue(md.contains("| conv-lstm-sep-2x4-log-sign-uniform-it1 | cnn (per group) |"), md);
        assertTrue(
                Files.exists(
                        dir.resolve("weights/conv-lstm-sep-2x4-log-sign-uniform-it1.safetensors")));
        for (String v :
                List.of("held-out styles", "held-out content and styles", "double resolution")) {
            assertTrue(md.contains("| " + v), v);
        }
        assertTrue(md.contains("| conv-lstm-2x4-log-sign-uniform-it1 | cnn |"), md);
        assertTrue(md.contains("| style-lstm-2x4-log-sign-uniform-it1 | style |"), md);
        assertTrue(md.contains("Section 6 meta-trains its own optimizer on `conv`"), md);
        Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(md);
        int grids = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(dir.resolve(m.group(1)).toFile());
            assertTrue(img != null && img.getWidth() > 100, m.group(1));
            grids += m.group(1).startsWith("style-grid-") ? 1 : 0;
        }
        assertEquals(3, grids, md); // one seed per test variant at toy size
    }

    @Test
    void cellsSectionTrainsEachVariantWithTheSameCpuBudgetOnAQuadratic(@TempDir Path dir)
            throws Exception {
        StudyConfig c = StudyConfig.toy();
        c.task = "quadratic";
        c.taskOptions = new java.util.LinkedHashMap<>();
        c.sections = List.of("cells");
        c.seeds = 10;
        // spent by the first meta-iteration in which the process CPU clock (10 ms ticks) moves
        c.cellsCpuBudget = 0.000001;
        c.cellsMaxIterations = 100_000;
        c.cellVariants = List.of("lstm/1x4/grad", "gru/1x4/rms,mom:0.9", "mlp/2x8/rms/tanh");
        StringWriter log = new StringWriter();
        new StudyRunner(c, dir, new PrintWriter(log)).run();
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("\n## 8. Cells and features at equal CPU budget\n"), md);
        assertTrue(md.contains("Task family `quadratic`"), md);
        assertTrue(md.contains("Section 8 meta-trains each of its 3 variants"), md);
        assertTrue(md.contains("**same CPU budget: 0.000001 CPU-s**"), md);
        assertTrue(
                md.contains(
                        "| optimizer | weights | state bytes / parameter | step ns / parameter"
                                + " (mean ± std) | meta-iterations | budgeted CPU-s | CPU-s with"
                                + " validation | best iteration | final loss mean | std | 95% CI |"
                                + " diverged |"),
                md);
        // every variant stopped by its budget (not the cap), evaluated on 10 tasks
        for (String v :
                List.of("| lstm 1x4 none |", "| gru 1x4 rms,mom:0.9 |", "| mlp 2x8 tanh rms |")) {
            int at = md.indexOf(v);
            assertTrue(at >= 0, v + " in " + md);
            String row = md.substring(at, md.indexOf('\n', at));
            String[] cells = row.split("\\|");
            int its = Integer.parseInt(cells[5].trim()); // no "(cap)": the budget stopped it
            assertTrue(its >= 1 && its < 100_000, row);
            assertTrue(cells[12].trim().endsWith("/10"), row);
            assertTrue(Double.parseDouble(cells[9].trim()) > 0, row);
        }
        // state per parameter: lstm 1x4 keeps h and c (8 floats), the mlp only its rms (1 float)
        assertTrue(md.contains("| lstm 1x4 none | 101 | 32 |"), md);
        assertTrue(md.contains("| mlp 2x8 tanh rms | "), md);
        assertTrue(md.contains("| adam, tuned (lr "), md);
        assertTrue(log.toString().contains("CPU budget spent"), log.toString());
        for (String png : List.of("cells-final-loss.png", "cells-curves.png")) {
            BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
            assertTrue(img != null && img.getWidth() > 100, png);
        }
        try (var files = Files.list(dir.resolve("weights"))) {
            List<Path> w = files.toList();
            assertEquals(3, w.size(), w.toString());
            for (Path p : w) {
                var md2 = WeightFiles.read(p).metadata();
                assertEquals("cpu-budget", md2.get("stopped_by"), p.toString());
                assertTrue(
                        Double.parseDouble(md2.get("meta_training_cpu_seconds")) > 0, p.toString());
            }
        }
    }

    @Test
    void cellsOptionsReachTheConfigurationAndBadVariantsAreRefused() throws Exception {
        StudyCommand cmd = new StudyCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--toy",
                        "--sections",
                        "cells",
                        "--cpu-budget",
                        "75",
                        "--cells-max-iterations",
                        "9",
                        "--cells-variants",
                        "lstm/2x20/log-sign; mlp/1x32/rms,mom:0.9/relu");
        StudyConfig c = cmd.config();
        assertEquals(75.0, c.cellsCpuBudget);
        assertEquals(9, c.cellsMaxIterations);
        assertEquals(List.of("lstm/2x20/log-sign", "mlp/1x32/rms,mom:0.9/relu"), c.cellVariants);
        for (String[] bad :
                new String[][] {
                    {"--cells-variants", "lstm/2x20/rms", "the lstm cell takes the features"},
                    {"--cells-variants", "gru/2by20", "the size must be LAYERSxHIDDEN"},
                    {"--cells-variants", "lstm/2x20/log-sign/relu", "only the mlp cell takes"},
                    {"--cells-variants", "rnn/2x20", "cells variant 'rnn/2x20'"},
                    {"--cpu-budget", "0", "--cpu-budget must be a positive number"}
                }) {
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new StudyCommand());
            cl.setErr(new PrintWriter(err));
            assertNotEquals(0, cl.execute("--toy", bad[0], bad[1]));
            assertTrue(err.toString().contains(bad[2]), bad[1] + ": " + err);
        }
    }

    @Test
    void cellsPlotLabelsAreShortAndTheChartRefusesABadRotation(@TempDir Path dir) throws Exception {
        assertEquals(
                "mlp 2x32 relu rms+m0.5+m0.9",
                org.l2o4j.cli.study.CellsSection.plotLabel("mlp 2x32 relu rms,mom:0.5,mom:0.9"));
        assertEquals(
                "lstm 2x20 ls (paper)",
                org.l2o4j.cli.study.CellsSection.plotLabel("lstm 2x20 log-sign (paper)"));
        assertEquals(
                "adam (tuned)",
                org.l2o4j.cli.study.CellsSection.plotLabel("adam, tuned (lr 0.03)"));
        Path png = dir.resolve("bars.png");
        org.l2o4j.cli.study.CellsSection.finalLossPlot(
                png, "t", "loss", List.of("a", "b"), new double[] {1, 2}, new double[] {0.1, 0.2});
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 100);
        IllegalArgumentException e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new org.l2o4j.cli.report.BarChartPlot("t", "x", "y")
                                        .labelRotation(91));
        assertEquals("label rotation must be in 0..90 degrees but was 91", e.getMessage());
    }

    @Test
    void sharedOptionsReachTheConfiguration() throws Exception {
        StudyCommand cmd = new StudyCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--toy",
                        "--horizon",
                        "7",
                        "--unroll",
                        "3",
                        "--seed",
                        "5",
                        "--validation-tasks",
                        "2",
                        "--lstm-hidden",
                        "3",
                        "--hidden",
                        "5",
                        "--batch",
                        "4",
                        "--sections",
                        "style,horizon");
        StudyConfig c = cmd.config();
        assertEquals(7, c.horizon);
        assertEquals(3, c.unroll);
        assertEquals(5, c.seed);
        assertEquals(2, c.validationTasks);
        assertEquals(3, c.baseLstm.hidden());
        assertEquals(2, c.baseLstm.layers());
        assertEquals(5, c.baseHidden);
        assertEquals("4", c.taskOptions.get("batch"));
        assertEquals(List.of("style", "horizon"), c.sections);
        // without the flags: the toy sizes
        StudyCommand plain = new StudyCommand();
        new CommandLine(plain).parseArgs("--toy");
        StudyConfig t = plain.config();
        assertEquals(StudyConfig.toy().horizon, t.horizon);
        assertEquals(null, t.baseLstm);
        assertEquals(null, t.sections);
    }

    @Test
    void rejectsUnknownSections() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StudyCommand());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--toy", "--sections", "horizon,nope");
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("unknown study section 'nope'"), err.toString());
    }

    @Test
    void rejectsInconsistentFlags() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StudyCommand());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--toy", "--baselines", "sgd", "--long-horizon-baselines", "adam");
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("must also be in --baselines"), err.toString());
    }
}
