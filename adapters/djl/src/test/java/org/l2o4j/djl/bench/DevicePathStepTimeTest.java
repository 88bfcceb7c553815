package org.l2o4j.djl.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Runs the benchmark with tiny arguments so it keeps working; numbers come from full runs. */
class DevicePathStepTimeTest {
    @Test
    void runsWithTinyArguments() throws Exception {
        String report = DevicePathStepTime.runExample(new String[] {"1", "1", "1", "small"});
        System.out.println(report);
        assertTrue(report.contains("device path") && report.contains("Java kernel"), report);
    }
}
