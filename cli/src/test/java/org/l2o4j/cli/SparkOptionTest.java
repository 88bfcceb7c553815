package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cli has no Spark: {@code --spark} without the l2o4j-spark adapter on the class path says what
 * is missing (exit 2), and Spark is not on this module's class path at all.
 */
class SparkOptionTest {
    @TempDir Path dir;

    @Test
    void sparkWithoutTheAdapterSaysWhatIsMissing() {
        MetaTrainSafetyTest.Result r =
                MetaTrainSafetyTest.l2o(
                        "meta-train",
                        "--task",
                        "quadratic",
                        "--iterations",
                        "1",
                        "--validation-tasks",
                        "1",
                        "--out",
                        dir.resolve("q.safetensors").toString(),
                        "--spark",
                        "local[1]");
        assertEquals(2, r.code(), r.err() + r.out());
        assertTrue(r.err().contains("--spark needs the l2o4j-spark adapter"), r.err());
    }

    @Test
    void sparkIsNotOnTheCommandLinesClassPath() {
        assertFalse(
                getClass().getClassLoader().getResource("org/apache/spark/SparkContext.class")
                        != null,
                "Spark must not be a dependency of the cli");
    }
}
