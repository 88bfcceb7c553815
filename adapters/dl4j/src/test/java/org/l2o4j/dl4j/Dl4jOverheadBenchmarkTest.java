package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link Dl4jOverheadBenchmark} with tiny arguments (it must work; its numbers are not
 * checked), or at full size with {@code -Dl2o4j.bench=full}, writing the table to {@code
 * target/dl4j-overhead.txt}.
 */
class Dl4jOverheadBenchmarkTest {
    @Test
    void runs() throws Exception {
        boolean full = "full".equals(System.getProperty("l2o4j.bench"));
        String table =
                Dl4jOverheadBenchmark.runExample(
                        full ? new String[] {"10", "5"} : new String[] {"1", "1", "4"});
        System.out.println(table);
        if (full) {
            Files.writeString(Path.of("target", "dl4j-overhead.txt"), table);
        }
        assertTrue(table.contains("mnist-mlp") && table.contains("small-cnn"), table);
        assertTrue(!table.contains("NaN"), table);
    }
}
