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
