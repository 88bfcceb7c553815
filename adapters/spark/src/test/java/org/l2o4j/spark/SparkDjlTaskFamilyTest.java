package org.l2o4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;
import org.l2o4j.djl.DjlTaskFamily;

/**
 * A task family built in user code (a {@link DjlTaskFamily}: a DJL block and dataset, no task spec)
 * meta-trained on {@code local[2]} through a {@link TaskFamilyFactory} that each executor JVM calls
 * once: the weights are the single-JVM trainer's, bit for bit.
 */
class SparkDjlTaskFamilyTest {
    static final int IN = 8;
    static final int CLASSES = 3;
    static final int BATCH = 16;

    /** Keeps the datasets' arrays alive (the family does not own them). */
    private static final NDManager DATA = NDManager.newBaseManager();

    private static JavaSparkContext jsc;

    @BeforeAll
    static void startSpark() {
        jsc = new JavaSparkContext(SparkExecutorProvider.conf("local[2]"));
    }

    @AfterAll
    static void stopSpark() {
        jsc.stop();
    }

    /**
     * The user's family: an MLP 8 -> 12 (tanh) -> 3 on 256 synthetic records, as a user would write
     * it; the test's factory is {@code SparkDjlTaskFamilyTest::tinyMlp}.
     */
    static DjlTaskFamily tinyMlp() {
        int n = 256;
        float[] x = new float[n * IN];
        float[] y = new float[n];
        Random r = new Random(42);
        for (int i = 0; i < n; i++) {
            float s = 0;
            for (int k = 0; k < IN; k++) {
                x[i * IN + k] = (float) r.nextGaussian();
                s += (k % 3 - 1) * x[i * IN + k];
            }
            y[i] = s > 0.5f ? 2 : s < -0.5f ? 0 : 1;
        }
        ArrayDataset data =
                new ArrayDataset.Builder()
                        .setData(DATA.create(x, new Shape(n, IN)))
                        .optLabels(DATA.create(y, new Shape(n)))
                        .setSampling(BATCH, false)
                        .build();
        return DjlTaskFamily.builder()
                .setBlock(
                        new SequentialBlock()
                                .add(Linear.builder().setUnits(12).build())
                                .add(Activation::tanh)
                                .add(Linear.builder().setUnits(CLASSES).build()))
                .setInputShape(new Shape(BATCH, IN))
                .setLoss(Loss.softmaxCrossEntropyLoss())
                .setTrainDataset(data)
                .optBatchSize(BATCH)
                .optName("tiny-djl-mlp")
                .build();
    }

    /**
     * {@link #tinyMlp} as a named class: what executor JVMs that load the test classes from a class
     * directory can deserialize (lambdas need the classes in a jar there; {@code
     * SparkClusterTest}).
     */
    static final class TinyMlpFactory implements TaskFamilyFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public TaskFamily create() {
            return tinyMlp();
        }
    }

    static MetaTrainingConfig config(TaskFamily family) {
        return MetaTrainingConfig.builder()
                .taskFamily(family)
                .lstmConfig(
                        LstmConfig.builder()
                                .preprocessing(Preprocessing.LOG_SIGN)
                                .hidden(4)
                                .build())
                .horizon(6)
                .unroll(3)
                .validationTasks(1)
                .tasksPerIteration(4)
                .iterations(2)
                .threads(1)
                .seed(13)
                .build();
    }

    @Test
    void aDjlFamilyFromAFactoryIsBitIdenticalToTheSingleJvmRun() throws Exception {
        TaskFamilyFactory factory = SparkDjlTaskFamilyTest::tinyMlp;
        try (DjlTaskFamily driverFamily = tinyMlp()) {
            MetaTrainingConfig c = config(driverFamily);
            float[] single = new MetaTrainer(c).train().parameters();
            String key = SparkTruncationExecutor.factoryKey(factory);
            for (int slices : new int[] {2, 4}) {
                try (SparkTruncationExecutor ex =
                        new SparkTruncationExecutor(jsc, c, factory, slices)) {
                    assertEquals(slices, ex.slices());
                    float[] w = new MetaTrainer(c).executor(ex).train().parameters();
                    assertArrayEquals(single, w, "slices " + slices);
                    assertTrue(ex.describe().contains("executor(s) used"), ex.describe());
                }
            }
            // the executor JVM (here the test JVM) built its own family once, from the factory
            TaskFamily built = SparkTruncationExecutor.RunTask.FAMILIES.get(key);
            assertTrue(built instanceof DjlTaskFamily, String.valueOf(built));
            assertNotSame(driverFamily, built);
        }
    }

    @Test
    void aFactoryForASpecFamilyMatchesTheSpecRun() throws Exception {
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        TaskFamilyFactory factory = () -> TaskFamilies.parse("quadratic");
        try (SparkTruncationExecutor ex = new SparkTruncationExecutor(jsc, c, factory, 2)) {
            assertArrayEquals(single, new MetaTrainer(c).executor(ex).train().parameters());
        }
    }

    @Test
    void aFactoryBuildingAnotherFamilyStopsTheRun() {
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        TaskFamilyFactory other = () -> TaskFamilies.parse("scaled[of=quadratic;loss-scale=100]");
        try (SparkTruncationExecutor ex = new SparkTruncationExecutor(jsc, c, other, 2)) {
            // Spark's job failure (a SparkException) with the executor's IllegalStateException
            Throwable e =
                    assertThrows(Exception.class, () -> new MetaTrainer(c).executor(ex).train());
            String want = "the driver's family is " + c.taskFamily().name();
            boolean found = false;
            for (Throwable t = e; t != null && !found; t = t.getCause()) {
                found = t.getMessage() != null && t.getMessage().contains(want);
            }
            assertTrue(found, e.toString());
        }
    }

    @Test
    void aFactoryThatCannotBeSerializedIsRefusedOnTheDriver() {
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        Object notSerializable = new Object();
        TaskFamilyFactory bad =
                () -> {
                    notSerializable.hashCode();
                    return TaskFamilies.parse("quadratic");
                };
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new SparkTruncationExecutor(jsc, c, bad, 2));
        assertTrue(e.getMessage().contains("serializable"), e.getMessage());
    }
}
