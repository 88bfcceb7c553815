package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.training.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmWeights;

/** Optimizer state saved next to the model: after reload, training continues identically. */
class StateSaveLoadTest {
    private static final LstmWeights WEIGHTS = Fixtures.random(21, 0.4);

    @TempDir Path dir;

    private static LearnedOptimizer newOptimizer() {
        // random (untrained) weights: every coordinate's LSTM state matters for the next update
        return LearnedOptimizer.builder().optWeights(WEIGHTS).build();
    }

    @Test
    void trainingContinuesIdenticallyAfterSavingAndLoading()
            throws IOException, MalformedModelException {
        int first = 10;
        int second = 10;
        float[] uninterrupted = new float[second];
        float[] paramsUninterrupted;
        Path stateFile = dir.resolve("mlp-optimizer.l2os");
        try (Model model = Fixtures.model("mlp", 5)) {
            LearnedOptimizer opt = newOptimizer();
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                for (int s = 0; s < first; s++) {
                    Fixtures.trainStep(trainer, s);
                }
                model.save(dir, "mlp");
                opt.saveState(stateFile, model.getBlock());
                for (int s = 0; s < second; s++) {
                    uninterrupted[s] = Fixtures.trainStep(trainer, first + s);
                }
                paramsUninterrupted = LearnedOptimizerTest.flatParams(model);
            }
        }

        float[] resumed = new float[second];
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(Fixtures.mlp());
            model.load(dir, "mlp");
            LearnedOptimizer opt = newOptimizer();
            opt.loadState(stateFile, model.getBlock());
            assertEquals(model.getBlock().getParameters().size(), opt.stateCount());
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                for (int s = 0; s < second; s++) {
                    resumed[s] = Fixtures.trainStep(trainer, first + s);
                }
                assertArrayEquals(uninterrupted, resumed, 1e-6f, "losses after reload");
                assertArrayEquals(
                        paramsUninterrupted,
                        LearnedOptimizerTest.flatParams(model),
                        1e-6f,
                        "parameters after reload");
            }
        }

        // without the optimizer state the run differs: the test above is not vacuous
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(Fixtures.mlp());
            model.load(dir, "mlp");
            try (Trainer trainer = Fixtures.trainer(model, newOptimizer())) {
                float[] fresh = new float[second];
                for (int s = 0; s < second; s++) {
                    fresh[s] = Fixtures.trainStep(trainer, first + s);
                }
                assertTrue(Math.abs(fresh[second - 1] - uninterrupted[second - 1]) > 1e-5f);
            }
        }
    }

    @Test
    void stateOfOtherWeightsOrABrokenFileIsRejected() throws IOException {
        Path stateFile = dir.resolve("state.l2os");
        try (Model model = Fixtures.model("mlp", 5)) {
            LearnedOptimizer opt = newOptimizer();
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                Fixtures.trainStep(trainer, 0);
                opt.saveState(stateFile, model.getBlock());
            }
            LearnedOptimizer other =
                    LearnedOptimizer.builder().optWeights(Fixtures.random(22, 0.4)).build();
            IOException e =
                    assertThrows(
                            StateFileException.class,
                            () -> other.loadState(stateFile, model.getBlock()));
            assertTrue(e.getMessage().contains("same weights"), e.getMessage());

            byte[] bytes = Files.readAllBytes(stateFile);
            Path truncated = dir.resolve("truncated.l2os");
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 7));
            e =
                    assertThrows(
                            DamagedStateFileException.class,
                            () -> newOptimizer().loadState(truncated, model.getBlock()));
            assertTrue(e.getMessage().startsWith(truncated + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("damaged: it is cut short"), e.getMessage());

            Path garbage = dir.resolve("garbage.l2os");
            Files.writeString(garbage, "hello");
            e =
                    assertThrows(
                            DamagedStateFileException.class,
                            () -> newOptimizer().loadState(garbage, model.getBlock()));
            assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("not an l2o4j DJL optimizer state file"));
        }
        // a block without those parameters
        try (Model small = Model.newInstance("other")) {
            small.setBlock(ai.djl.nn.core.Linear.builder().setUnits(2).build());
            small.getBlock()
                    .initialize(
                            small.getNDManager(),
                            ai.djl.ndarray.types.DataType.FLOAT32,
                            Fixtures.inputShape());
            IOException e =
                    assertThrows(
                            StateFileException.class,
                            () -> newOptimizer().loadState(stateFile, small.getBlock()));
            assertTrue(e.getMessage().contains("no such parameter"), e.getMessage());
        }
    }
}
