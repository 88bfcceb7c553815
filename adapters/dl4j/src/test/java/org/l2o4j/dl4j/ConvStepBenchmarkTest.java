package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Runs {@link ConvStepBenchmark} tiny (it must work and build the same network in both; its numbers
 * are not checked).
 */
class ConvStepBenchmarkTest {
    @Test
    void runsTinyWithTheSameParameterCount() {
        String table = ConvStepBenchmark.run(new String[] {"1", "1", "4"});
        System.out.println(table);
        assertTrue(table.contains("4594 parameters, DL4J 4594 parameters"), table);
        assertTrue(!table.contains("NaN"), table);
    }
}
