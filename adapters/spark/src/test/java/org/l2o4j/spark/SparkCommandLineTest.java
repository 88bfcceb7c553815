package org.l2o4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.cli.L2o;
import org.l2o4j.core.io.WeightFiles;
import picocli.CommandLine;

/**
 * The command line's {@code meta-train --spark local[2]} (the cli finds this adapter with
 * ServiceLoader, as in the {@code -all} jar), stopped after one iteration and resumed from its
 * checkpoint with {@code --resume}, writes the weights of the run without {@code --spark}, and
 * prints the executors and the time per truncation.
 */
class SparkCommandLineTest {
    @TempDir Path dir;

    private static String run(String... args) {
        CommandLine cl = L2o.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        assertEquals(0, code, err.toString());
        return err.toString();
    }

    private String[] metaTrain(String out, String... more) {
        return metaTrain(out, 2, more);
    }

    private String[] metaTrain(String out, int iterations, String... more) {
        List<String> a =
                new ArrayList<>(
                        List.of(
                                "meta-train",
                                "--task",
                                "quadratic",
                                "--out",
                                dir.resolve(out).toString(),
                                "--seed",
                                "7",
                                "--iterations",
                                Integer.toString(iterations),
                                "--tasks-per-iteration",
                                "4",
                                "--validate-every",
                                "2",
                                "--validation-tasks",
                                "2",
                                "--horizon",
                                "20",
                                "--unroll",
                                "10",
                                "--lstm-hidden",
                                "8",
                                "--threads",
                                "1"));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    void metaTrainOnSparkAndItsResumeWriteTheWeightsOfTheRunWithout() throws Exception {
        String single = run(metaTrain("single.safetensors"));
        // the weights written are iteration 2's, the resumed part's
        assertTrue(
                single.lines()
                        .anyMatch(
                                l ->
                                        l.startsWith("validation at iteration 2:")
                                                && l.endsWith("(best)")),
                single);
        // a run on Spark stopped after iteration 1 (its checkpoint), resumed on Spark
        run(metaTrain("spark.safetensors", 1, "--spark", "local[2]"));
        String err = run(metaTrain("spark.safetensors", 2, "--spark", "local[2]", "--resume"));
        assertTrue(err.contains("spark local[2]: 1 executor(s) used"), err);
        assertTrue(err.contains("per truncation compute"), err);
        assertArrayEquals(
                WeightFiles.read(dir.resolve("single.safetensors")).parameters(),
                WeightFiles.read(dir.resolve("spark.safetensors")).parameters());
    }
}
