package org.l2o4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetaTrainFromScratchTest {
    @Test
    void metaTrainingImprovesAndIsComparedWithTunedAdam() throws Exception {
        MetaTrainFromScratch.Result r =
                MetaTrainFromScratch.runExample(
                        new String[] {
                            "--iterations", "60",
                            "--horizon", "20",
                            "--unroll", "5",
                            "--hidden", "8",
                            "--eval-tasks", "10",
                            "--threads", "1"
                        });
        assertEquals(60, r.iterations());
        assertEquals(8, r.weights().config().hidden());
        // Meta-training lowered the validation meta-loss of the fresh optimizer.
        assertTrue(r.validationAfter() < r.validationBefore(), r.toString());
        // Tuned Adam makes progress; its rate comes from the grid 1e-3..10.
        assertTrue(r.adam() < r.initialLoss(), r.toString());
        assertTrue(r.adamLearningRate() >= 1e-3 && r.adamLearningRate() <= 10, r.toString());
        assertTrue(Double.isFinite(r.learned()) && r.learned() >= 0, r.toString());
        assertTrue(Double.isFinite(r.ratio()), r.toString());
        assertTrue(r.learnedCi95() >= 0 && r.adamCi95() >= 0, r.toString());
    }
}
