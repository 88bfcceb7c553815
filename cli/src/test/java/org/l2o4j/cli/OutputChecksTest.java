package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.cli.MetaTrainSafetyTest.Result;

/** Item 5: evaluate and study check --out before working and say why it cannot be written. */
class OutputChecksTest {
    @TempDir Path dir;

    @Test
    void evaluateOutUnderAFileIsRefusedBeforeEvaluating() throws Exception {
        Path file = dir.resolve("somefile");
        Files.writeString(file, "x");
        Path out = file.resolve("report");
        Result r =
                MetaTrainSafetyTest.l2o(
                        "evaluate",
                        "--task",
                        "quadratic",
                        "--baselines",
                        "adam",
                        "--out",
                        out.toString());
        assertEquals(2, r.code());
        assertEquals(
                List.of(
                        "l2o evaluate: cannot write to --out "
                                + out
                                + ": "
                                + file
                                + " is a file, not a directory"),
                r.err().lines().toList());
        assertFalse(r.out().contains("Evaluating"), "refused before evaluating: " + r.out());
    }

    @Test
    void studyOutThatIsAFileIsRefusedBeforeTheStudy() throws Exception {
        Path file = dir.resolve("somefile");
        Files.writeString(file, "x");
        Result r = MetaTrainSafetyTest.l2o("study", "--toy", "--out", file.toString());
        assertEquals(2, r.code());
        assertEquals(
                List.of(
                        "l2o study: cannot write to --out "
                                + file
                                + ": it is a file, not a directory"),
                r.err().lines().toList());
    }
}
