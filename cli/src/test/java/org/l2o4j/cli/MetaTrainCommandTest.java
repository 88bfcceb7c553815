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
