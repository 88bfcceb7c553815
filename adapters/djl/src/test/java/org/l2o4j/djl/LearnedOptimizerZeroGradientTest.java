package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.Sgd;

/**
 * {@link LearnedOptimizer.Builder#optZeroGradientPolicy}: with input feature 0 always 0, the first
 * layer's weights from it get exactly-zero gradients.
 */
class LearnedOptimizerZeroGradientTest {

    /** The first Linear layer's weight, {@code [HIDDEN, IN]}. */
    private static Parameter firstWeight(Model model) {
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getValue().getType() == Parameter.Type.WEIGHT) {
                return p.getValue();
            }
        }
        throw new AssertionError("no weight");
    }

    private static float[] column0(NDArray w) {
        return w.get(new NDIndex(":, 0")).toFloatArray();
    }

    private static float[] flatten(float[][] parts) {
        int n = Arrays.stream(parts).mapToInt(a -> a.length).sum();
        float[] out = new float[n];
        int k = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, out, k, a.length);
            k += a.length;
        }
        return out;
    }

    /** Trains on batches whose input feature 0 is 0; returns the loss before and after. */
    private static float[] train(Trainer trainer, int steps) {
        float before = Fixtures.evalLoss(trainer, 2);
        for (int s = 0; s < steps; s++) {
            try (NDManager sub = trainer.getManager().newSubManager()) {
                NDList[] b = Fixtures.batch(sub, s);
                b[0].singletonOrThrow().set(new NDIndex(":, 0"), 0f);
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDList pred = trainer.forward(b[0]);
                    gc.backward(trainer.getLoss().evaluate(b[1], pred));
                }
                trainer.step();
            }
        }
        return new float[] {before, Fixtures.evalLoss(trainer, 2)};
    }

    @Test
    void aParameterWithAZeroGradientStaysUnchangedWhileOthersTrain() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder().optWeights(Fixtures.random(3, 0.3)).build();
        assertEquals(ZeroGradientPolicy.FREEZE, ((LstmOptimizer) opt.rule()).zeroGradientPolicy());
        try (Model model = Fixtures.model("mlp", 11);
                Trainer trainer = Fixtures.trainer(model, opt)) {
            Parameter w = firstWeight(model);
            float[] col0 = column0(w.getArray());
            float[] before = flatten(parameters(model));
            float[] loss = train(trainer, 40);
            assertArrayEquals(col0, column0(w.getArray()), 0f, "weights from the 0 input moved");
            assertFalse(Arrays.equals(before, flatten(parameters(model))), "others train");
            assertTrue(loss[1] < loss[0], "loss " + loss[0] + " -> " + loss[1]);
            // their state is still the fresh one: row k of coordinate (r, 0) at k * n + r * IN
            OptimizerState s = opt.stateOf(w.getId(), w.getArray().getDevice());
            int n = s.size();
            for (int r = 0; r < Fixtures.HIDDEN; r++) {
                for (int k = 0; k < s.sizePerCoordinate(); k++) {
                    assertEquals(0f, s.data()[k * n + r * Fixtures.IN], "state of (" + r + ", 0)");
                }
            }
        }
    }

    @Test
    void updateMovesThem() {
        LearnedOptimizer opt =
                LearnedOptimizer.builder()
                        .optWeights(Fixtures.random(3, 0.3))
                        .optZeroGradientPolicy(ZeroGradientPolicy.UPDATE)
                        .build();
        assertEquals(ZeroGradientPolicy.UPDATE, ((LstmOptimizer) opt.rule()).zeroGradientPolicy());
        try (Model model = Fixtures.model("mlp", 11);
                Trainer trainer = Fixtures.trainer(model, opt)) {
            Parameter w = firstWeight(model);
            float[] col0 = column0(w.getArray());
            train(trainer, 5);
            assertFalse(Arrays.equals(col0, column0(w.getArray())));
        }
    }

    @Test
    void theOptionIsOnlyForLearnedWeights() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LearnedOptimizer.builder()
                                        .optUpdateRule(new Sgd(0.1))
                                        .optZeroGradientPolicy(ZeroGradientPolicy.FREEZE)
                                        .build());
        assertTrue(e.getMessage().contains("optZeroGradientPolicy"), e.getMessage());
    }

    private static float[][] parameters(Model model) {
        return model.getBlock().getParameters().values().stream()
                .map(p -> p.getArray().toFloatArray())
                .toArray(float[][]::new);
    }
}
