package org.l2o4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;

/** Runs the example with tiny arguments (the full run is its main method's defaults). */
class FineTuneOnYourDjlModelTest {
    @TempDir Path dir;

    @Test
    void runsEndToEndWithTinyArguments() throws Exception {
        Path out = dir.resolve("tuned.safetensors");
        String report =
                FineTuneOnYourDjlModel.runExample(
                        new String[] {
                            "iterations=2",
                            "horizon=4",
                            "unroll=2",
                            "evalTasks=1",
                            "batch=16",
                            "out=" + out
                        });
        System.out.println(report);
        assertTrue(report.contains("before") && report.contains("after"), report);
        assertTrue(Files.size(out) > 0);
        WeightFiles.read(out);
        assertTrue(report.contains("DJL Trainer with LearnedOptimizer"), report);
    }
}
