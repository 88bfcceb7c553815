package org.l2o4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.TruncationContext;
import org.l2o4j.core.task.TaskFamilies;

/**
 * Meta-training on Spark gives the single-JVM trainer's weights bit for bit: on {@code local[1]}
 * and {@code local[2]}, with the iteration's 4 tasks in 1, 2 or 4 Spark tasks, and with a Spark
 * task whose first attempt fails (retried by Spark).
 */
class SparkMetaTrainingTest {
    static final String QUADRATIC = "quadratic";
    static final String MLP = "mnist-mlp[hidden=8,batch=16,data-dir=bundled]";

    static MetaTrainingConfig quadratic() {
        return MetaTrainingConfig.builder()
                .taskFamily(TaskFamilies.parse(QUADRATIC))
                .lstmConfig(
                        LstmConfig.builder().preprocessing(Preprocessing.NONE).hidden(8).build())
                .horizon(10)
                .unroll(5)
                .validationTasks(4)
                .tasksPerIteration(4)
                .iterations(3)
                .threads(1)
                .seed(3)
                .build();
    }

    static MetaTrainingConfig mlp() {
        return MetaTrainingConfig.builder()
                .taskFamily(TaskFamilies.parse(MLP))
                .lstmConfig(
                        LstmConfig.builder()
                                .preprocessing(Preprocessing.LOG_SIGN)
                                .hidden(8)
                                .build())
                .horizon(8)
                .unroll(4)
                .validationTasks(1)
                .tasksPerIteration(4)
                .coordinateSubsample(512)
                .iterations(2)
                .threads(1)
                .seed(5)
                .build();
    }

    /** One local[2] context for the class, with up to 3 attempts per task (local[N,F]). */
    private static JavaSparkContext shared;

    @BeforeAll
    static void startSpark() {
        shared = new JavaSparkContext(SparkExecutorProvider.conf("local[2,3]"));
    }

    @AfterAll
    static void stopSpark() {
        shared.stop();
    }

    /**
     * Meta-trains {@code config} on {@code jsc} with the tasks of each truncation split into {@code
     * slices} Spark tasks, the first attempt of Spark task {@code fail} (iteration, truncation,
     * task) failing if not null.
     */
    static float[] onSpark(
            JavaSparkContext jsc, MetaTrainingConfig config, String spec, int slices, int[] fail)
            throws IOException {
        try (SparkTruncationExecutor ex =
                new SparkTruncationExecutor(
                        jsc, false, TruncationContext.of(config), spec, slices)) {
            if (fail != null) {
                ex.failFirstAttempt(fail[0], fail[1], fail[2]);
            }
            float[] w = new MetaTrainer(config).executor(ex).train().parameters();
            assertTrue(ex.describe().contains("executor(s) used"), ex.describe());
            return w;
        }
    }

    @Test
    void quadraticIsBitIdenticalForAnyPartitioning() throws IOException {
        MetaTrainingConfig c = quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        // 4 tasks as 1 (local[1]'s default), 2 and 4 Spark tasks on 2 cores
        assertArrayEquals(single, onSpark(shared, c, QUADRATIC, 1, null));
        assertArrayEquals(single, onSpark(shared, c, QUADRATIC, 2, null));
        assertArrayEquals(single, onSpark(shared, c, QUADRATIC, 4, null));
    }

    @Test
    void mnistMlpIsBitIdenticalForAnyPartitioning() throws IOException {
        MetaTrainingConfig c = mlp();
        float[] single = new MetaTrainer(c).train().parameters();
        assertArrayEquals(single, onSpark(shared, c, MLP, 1, null));
        assertArrayEquals(single, onSpark(shared, c, MLP, 4, null));
    }

    @Test
    void aFailedTaskIsRetriedAndChangesNothing() throws IOException {
        MetaTrainingConfig c = quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        int before = SparkTruncationExecutor.INJECTED_FAILURES.get();
        assertArrayEquals(single, onSpark(shared, c, QUADRATIC, 4, new int[] {1, 1, 3}));
        assertEquals(before + 1, SparkTruncationExecutor.INJECTED_FAILURES.get());
    }

    @Test
    void aResultFromAnotherTrainingKernelStopsTheRun() throws IOException {
        MetaTrainingConfig c = quadratic();
        try (SparkTruncationExecutor ex =
                new SparkTruncationExecutor(shared, false, TruncationContext.of(c), QUADRATIC, 2)) {
            // as if the executors lacked the driver's vector module
            ex.expectTrainKernel("float-other");
            Throwable e =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            RuntimeException.class, () -> new MetaTrainer(c).executor(ex).train());
            while (e.getCause() != null && !(e instanceof IllegalStateException)) {
                e = e.getCause();
            }
            assertTrue(
                    e.getMessage().contains("training kernel, the driver float-other")
                            && e.getMessage().contains("--add-modules=jdk.incubator.vector"),
                    e.toString());
        }
    }
}
