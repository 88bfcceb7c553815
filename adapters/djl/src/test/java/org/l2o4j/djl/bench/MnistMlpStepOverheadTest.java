package org.l2o4j.djl.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Runs the benchmark with tiny arguments so it keeps working; numbers come from full runs. */
class MnistMlpStepOverheadTest {
    @Test
    void runsWithTinyArguments() throws Exception {
        String report = MnistMlpStepOverhead.runExample(new String[] {"1", "2", "1", "1"});
        System.out.println(report);
        assertTrue(report.contains("adam") && report.contains("learned"), report);
        assertTrue(report.contains("kernel"), report);
    }
}
