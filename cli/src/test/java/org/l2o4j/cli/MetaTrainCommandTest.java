package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import picocli.CommandLine;

class MetaTrainCommandTest {
    @TempDir Path dir;

    private int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new MetaTrainCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void trainsAQuadraticOptimizerWritesItAndResumes() throws Exception {
        Path out = dir.resolve("q.safetensors");
        StringWriter err = new StringWriter();
        String[] args = {
            "--task",
            "quadratic",
            "--out",
            out.toString(),
            "--seed",
            "7",
            "--iterations",
            "4",
            "--horizon",
            "10",
            "--unroll",
            "5",
            "--validation-tasks",
            "3",
            "--validate-every",
            "2",
            "--threads",
            "1",
            "--lstm-hidden",
            "4"
        };
        assertEquals(0, run(err, args), err.toString());
        LstmWeights w = WeightFiles.read(out);
        assertEquals(Preprocessing.NONE, w.config().preprocessing());
        assertEquals(4, w.config().hidden());
        assertEquals("uniform", w.metadata().get(WeightMetadata.WEIGHTING));
        assertEquals("7", w.metadata().get(WeightMetadata.SEED));
        assertTrue(
                w.metadata().get(WeightMetadata.COMMAND).startsWith("bin/l2o meta-train --task"),
                w.metadata().get(WeightMetadata.COMMAND));
        assertTrue(err.toString().contains("validation at iteration 0"), err.toString());
        assertTrue(Files.exists(Path.of(out + ".ckpt")));

        // Extend the same run to 6 iterations.
        String[] more = args.clone();
        more[7] = "6";
        String[] resume = java.util.Arrays.copyOf(more, more.length + 1);
        resume[more.length] = "--resume";
        assertEquals(0, run(new StringWriter(), resume));
        assertEquals("6", WeightFiles.read(out).metadata().get(WeightMetadata.ITERATIONS));
    }

    @Test
    void randomScaleIsRecordedAndRefusedWhenNegative() throws Exception {
        Path out = dir.resolve("s.safetensors");
        String[] args = {
            "--task",
            "quadratic",
            "--out",
            out.toString(),
            "--iterations",
            "2",
            "--horizon",
            "10",
            "--unroll",
            "5",
            "--validation-tasks",
            "2",
            "--threads",
            "1",
            "--lstm-hidden",
            "4",
            "--random-scale",
            "2"
        };
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, args), err.toString());
        assertEquals("2.0", WeightFiles.read(out).metadata().get(WeightMetadata.RANDOM_SCALE));
        args[args.length - 1] = "-1";
        StringWriter bad = new StringWriter();
        assertEquals(2, run(bad, java.util.Arrays.copyOf(args, args.length)));
        assertTrue(
                bad.toString()
                        .contains(
                                "random scale (log10 range) must be finite and >= 0 but was -1.0"),
                bad.toString());
    }

    @Test
    void aTinyCpuBudgetStopsEarlySaysSoAndIsRecorded() throws Exception {
        Path out = dir.resolve("b.safetensors");
        String[] args = {
            "--task",
            "quadratic",
            "--out",
            out.toString(),
            "--horizon",
            "10",
            "--unroll",
            "5",
            "--validation-tasks",
            "2",
            "--threads",
            "1",
            "--lstm-hidden",
            "4",
            "--cpu-budget",
            "0.000001"
        };
        StringWriter err = new StringWriter();
        StringWriter stdout = new StringWriter();
        CommandLine cl = new CommandLine(new MetaTrainCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(stdout, true));
        assertEquals(0, cl.execute(args), err.toString());
        // no --iterations: the cap is large, and the budget ends the run at the first iteration
        // in which the process CPU clock (10 ms ticks on Linux) moves
        assertTrue(
                err.toString().contains("starting iterations 1..1000000, or until 1.0E-6 CPU-s"),
                err.toString());
        assertTrue(
                err.toString().contains("meta-train: CPU budget spent (")
                        && err.toString().contains("; keeping the best validated weights"),
                err.toString());
        assertTrue(
                stdout.toString().contains("stopped by the CPU budget: ")
                        && stdout.toString().contains(" of at most 1000000 iterations"),
                stdout.toString());
        var md = WeightFiles.read(out).metadata();
        int done = Integer.parseInt(md.get(WeightMetadata.ITERATIONS));
        assertTrue(done >= 1 && done < 1000000, md.toString());
        assertEquals(WeightMetadata.STOPPED_BY_CPU_BUDGET, md.get(WeightMetadata.STOPPED_BY));
        assertEquals("1.0E-6", md.get(WeightMetadata.CPU_BUDGET_SECONDS));
        assertTrue(Double.parseDouble(md.get(WeightMetadata.CPU_SECONDS)) > 0, md.toString());

        // resumed with a larger budget and a cap: it continues to the cap, adding to the CPU
        String[] more = java.util.Arrays.copyOf(args, args.length + 3);
        more[args.length - 1] = "1000";
        more[args.length] = "--iterations";
        more[args.length + 1] = Integer.toString(done + 2);
        more[args.length + 2] = "--resume";
        StringWriter err2 = new StringWriter();
        assertEquals(0, run(err2, more), err2.toString());
        var md2 = WeightFiles.read(out).metadata();
        assertEquals(Integer.toString(done + 2), md2.get(WeightMetadata.ITERATIONS));
        assertEquals(WeightMetadata.STOPPED_BY_ITERATIONS, md2.get(WeightMetadata.STOPPED_BY));
        assertEquals("1000.0", md2.get(WeightMetadata.CPU_BUDGET_SECONDS));

        // bad values and combinations are refused, naming what was given
        StringWriter bad = new StringWriter();
        String[] negative = args.clone();
        negative[args.length - 1] = "-3";
        assertEquals(2, run(bad, negative));
        assertTrue(
                bad.toString()
                        .contains("--cpu-budget must be a positive number of seconds but was -3.0"),
                bad.toString());
        StringWriter group = new StringWriter();
        String[] perGroup = java.util.Arrays.copyOf(args, args.length + 1);
        perGroup[args.length] = "--per-group";
        assertEquals(2, run(group, perGroup));
        assertTrue(group.toString().contains("--cpu-budget"), group.toString());
        StringWriter spark = new StringWriter();
        String[] withSpark = java.util.Arrays.copyOf(args, args.length + 2);
        withSpark[args.length] = "--spark";
        withSpark[args.length + 1] = "local[1]";
        assertEquals(2, run(spark, withSpark));
        assertTrue(
                spark.toString().contains("give --cpu-budget or --spark, not both"),
                spark.toString());
    }

    @Test
    void trainsOnConvWithTheDatasetAndBatchFlags() throws Exception {
        Path out = dir.resolve("c.safetensors");
        StringWriter err = new StringWriter();
        assertEquals(
                0,
                run(
                        err,
                        "--task",
                        "conv",
                        "--dataset",
                        "fashion-mnist",
                        "--batch",
                        "4",
                        "--data-dir",
                        "bundled",
                        "--out",
                        out.toString(),
                        "--iterations",
                        "2",
                        "--horizon",
                        "4",
                        "--unroll",
                        "2",
                        "--validation-tasks",
                        "1",
                        "--validate-every",
                        "2",
                        "--subsample",
                        "256",
                        "--threads",
                        "1",
                        "--lstm-hidden",
                        "4"),
                err.toString());
        LstmWeights w = WeightFiles.read(out);
        assertEquals(Preprocessing.LOG_SIGN, w.config().preprocessing());
        String family = w.metadata().get(WeightMetadata.TASK_FAMILY);
        assertTrue(family.startsWith("conv(dataset=fashion-mnist,split=train"), family);
        assertTrue(family.contains("batch=4"), family);
    }

    @Test
    void badOptionsGiveAClearErrorAndExitCode2() {
        StringWriter err = new StringWriter();
        int rc =
                run(
                        err,
                        "--task",
                        "quadratic",
                        "--hidden",
                        "20",
                        "--out",
                        dir.resolve("x").toString());
        assertEquals(2, rc);
        assertTrue(err.toString().contains("has no option 'hidden'"), err.toString());
        err = new StringWriter();
        rc =
                run(
                        err,
                        "--task",
                        "quadratic",
                        "--weighting",
                        "cubic",
                        "--out",
                        dir.resolve("x").toString());
        assertEquals(2, rc);
        assertTrue(err.toString().contains("discounted:G"), err.toString());
    }

    @Test
    void commandMetadataQuotesShellCharacters() {
        assertEquals("--seed", CommandLines.shellQuote("--seed"));
        assertEquals("'mixed[mix=a:1;b=2]'", CommandLines.shellQuote("mixed[mix=a:1;b=2]"));
        assertEquals("'it'\\''s'", CommandLines.shellQuote("it's"));
        assertEquals("''", CommandLines.shellQuote(""));
    }
}
