package org.l2o4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.TruncationExecutor;

/**
 * {@code local[1]} (its own context: one per JVM at a time) through the provider the command line
 * finds with ServiceLoader.
 */
class SparkLocal1Test {
    @Test
    void quadraticOnLocal1ThroughTheProviderIsBitIdentical() throws IOException {
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        org.l2o4j.core.meta.TruncationExecutorProvider provider = null;
        for (var p :
                java.util.ServiceLoader.load(
                        org.l2o4j.core.meta.TruncationExecutorProvider.class)) {
            if (p.name().equals("spark")) {
                provider = p;
            }
        }
        try (TruncationExecutor ex =
                provider.create(
                        "local[1]",
                        org.l2o4j.core.meta.TruncationContext.of(c),
                        SparkMetaTrainingTest.QUADRATIC)) {
            assertArrayEquals(single, new MetaTrainer(c).executor(ex).train().parameters());
        }
        // the context is stopped: another may start
        new JavaSparkContext(SparkExecutorProvider.conf("local[1]")).stop();
    }

    @Test
    void aFactoryOnLocal1WithItsOwnContextIsBitIdenticalAndStopsIt() throws IOException {
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        TaskFamilyFactory factory =
                () -> org.l2o4j.core.task.TaskFamilies.parse(SparkMetaTrainingTest.QUADRATIC);
        try (SparkTruncationExecutor ex = SparkTruncationExecutor.create("local[1]", c, factory)) {
            assertEquals(1, ex.slices());
            assertArrayEquals(single, new MetaTrainer(c).executor(ex).train().parameters());
        }
        // the context is stopped: another may start
        new JavaSparkContext(SparkExecutorProvider.conf("local[1]")).stop();
    }
}
