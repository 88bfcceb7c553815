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
 * ServiceLoader, as in the {@code -all} jar) writes the weights of the run without {@code --spark},
 * and prints the executors and the time per truncation.
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
                                "2",
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
    void metaTrainWithSparkWritesTheWeightsOfTheRunWithout() throws Exception {
        run(metaTrain("single.safetensors"));
        String err = run(metaTrain("spark.safetensors", "--spark", "local[2]"));
        assertTrue(err.contains("spark local[2]: 1 executor(s) used"), err);
        assertTrue(err.contains("per truncation compute"), err);
        assertArrayEquals(
                WeightFiles.read(dir.resolve("single.safetensors")).parameters(),
                WeightFiles.read(dir.resolve("spark.safetensors")).parameters());
    }
}
