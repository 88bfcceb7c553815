package org.l2o4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.TruncationContext;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.dl4j.Dl4jTaskFamilies;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A user's DL4J model as the task family ({@code dl4j-model[model=net.json]}) on {@code local[2]}:
 * the model file is shipped to the executors by Spark ({@code addFile}), not read from the driver's
 * path (moved away before training), and the weights are the single-JVM trainer's.
 */
class SparkDl4jModelTest {
    @TempDir Path dir;

    @Test
    void aDl4jModelFileIsShippedToTheExecutorsAndTheWeightsAreUnchanged() throws Exception {
        MultiLayerConfiguration net =
                new NeuralNetConfiguration.Builder()
                        .seed(1)
                        .updater(new NoOp())
                        .list()
                        .layer(
                                new DenseLayer.Builder()
                                        .nIn(784)
                                        .nOut(4)
                                        .activation(Activation.TANH)
                                        .build())
                        .layer(
                                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                        .nIn(4)
                                        .nOut(10)
                                        .activation(Activation.SOFTMAX)
                                        .build())
                        .build();
        Path model = dir.resolve("net.json");
        Files.writeString(model, net.toJson(), StandardCharsets.UTF_8);
        String spec = "dl4j-model[model=" + model + ";batch=8;batches=2;data-dir=bundled]";
        Dl4jTaskFamilies.register();
        MetaTrainingConfig c =
                MetaTrainingConfig.builder()
                        .taskFamily(TaskFamilies.parse(spec))
                        .lstmConfig(
                                LstmConfig.builder()
                                        .preprocessing(Preprocessing.LOG_SIGN)
                                        .hidden(4)
                                        .build())
                        .horizon(4)
                        .unroll(2)
                        .validationTasks(1)
                        .tasksPerIteration(2)
                        .coordinateSubsample(256)
                        .iterations(1)
                        .threads(1)
                        .seed(11)
                        .build();
        float[] single = new MetaTrainer(c).train().parameters();
        JavaSparkContext jsc = new JavaSparkContext(SparkExecutorProvider.conf("local[2]"));
        try (SparkTruncationExecutor ex =
                new SparkTruncationExecutor(jsc, false, TruncationContext.of(c), spec, 2)) {
            assertEquals(Map.of(model.toString(), "net.json"), ex.shippedFiles());
            assertArrayEquals(single, new MetaTrainer(c).executor(ex).train().parameters());
            // the executors built the family from Spark's copy of the file, not the driver's path
            String copy = Path.of(SparkFiles.getRootDirectory(), "net.json").toString();
            assertTrue(
                    SparkTruncationExecutor.RunTask.FAMILIES.keySet().stream()
                            .anyMatch(k -> k.contains("model=" + copy + ";")),
                    SparkTruncationExecutor.RunTask.FAMILIES.keySet().toString());
            assertFalse(copy.equals(model.toString()));
        } finally {
            jsc.stop();
        }
    }
}
