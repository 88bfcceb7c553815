package org.l2o4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Split;
import org.l2o4j.core.meta.TinyWeights;

/** The DL4J and DJL one-line-swap examples, with tiny arguments. */
class OneLineSwapTest {
    @TempDir static Path dir;
    static Path weights;

    @BeforeAll
    static void weights() throws IOException {
        weights = TinyWeights.write(dir.resolve("tiny.safetensors"));
    }

    private static String[] tinyArgs() {
        return new String[] {"--weights", weights.toString(), "--steps", "25", "--rows", "1024"};
    }

    @Test
    void dl4jSwapTrainsBothFromTheSameStart() {
        OneLineSwapResult r = Dl4jOneLineSwap.runExample(tinyArgs());
        assertEquals("tiny.safetensors", r.optimizer());
        assertEquals(25, r.steps());
        assertTrue(r.initialLoss() > 1.5, "chance-level start: " + r.initialLoss());
        assertTrue(r.adamLoss() < r.initialLoss() - 0.3, r.toString());
        assertTrue(Double.isFinite(r.learnedLoss()), r.toString());
        assertTrue(r.adamTestAccuracy() > 0.3 && r.adamTestAccuracy() <= 1, r.toString());
        assertTrue(r.learnedTestAccuracy() >= 0 && r.learnedTestAccuracy() <= 1, r.toString());
    }

    @Test
    void djlSwapTrainsBothFromTheSameStart() throws Exception {
        OneLineSwapResult r = DjlOneLineSwap.runExample(tinyArgs());
        assertEquals("tiny.safetensors", r.optimizer());
        assertTrue(r.initialLoss() > 1.5, "chance-level start: " + r.initialLoss());
        assertTrue(r.adamLoss() < r.initialLoss() - 0.3, r.toString());
        assertTrue(Double.isFinite(r.learnedLoss()), r.toString());
        assertTrue(r.adamTestAccuracy() > 0.3 && r.adamTestAccuracy() <= 1, r.toString());
        assertTrue(r.learnedTestAccuracy() >= 0 && r.learnedTestAccuracy() <= 1, r.toString());
    }

    /** The README snippets, run when the shipped default weights are present. */
    @Test
    void quickstartsRunWithThePretrainedOptimizer() throws Exception {
        Assumptions.assumeTrue(
                ExampleSupport.pretrainedAvailable(), "no shipped pretrained weights yet");
        Dataset small = ExampleSupport.mnist(Split.TRAIN, 1024);
        MultiLayerNetwork net =
                Dl4jOneLineSwap.quickstart(ExampleSupport.dl4jIterator(small, 128, 1));
        assertTrue(net.score(ExampleSupport.dl4j(small), false) < Math.log(10));
        try (NDManager m = NDManager.newBaseManager()) {
            DjlOneLineSwap.quickstart(ExampleSupport.djl(m, small, 128, 1));
        }
    }
}
