package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * Under {@link NonFinitePolicy#ERROR} a DJL step is all or nothing: a NaN/Inf gradient in any
 * parameter leaves every parameter and every optimizer state as it was, and the trainer trains on.
 */
class NonFiniteStepTest {
    private static final LstmWeights WEIGHTS = Fixtures.random(41, 0.4);
    private static final int STEPS = 8;

    private static LearnedOptimizer newOptimizer(NonFinitePolicy policy) {
        return LearnedOptimizer.builder().optWeights(WEIGHTS).optNonFinitePolicy(policy).build();
    }

    /** Forward and backward of batch {@code step}, then {@code value} added at one coordinate. */
    private static void backward(
            Trainer trainer, NDManager sub, long step, Parameter poisoned, int coord, float value) {
        NDList[] b = Fixtures.batch(sub, step);
        try (GradientCollector gc = trainer.newGradientCollector()) {
            gc.backward(trainer.getLoss().evaluate(b[1], trainer.forward(b[0])));
        }
        if (poisoned != null) {
            NDArray g = poisoned.getArray().getGradient(); // shares the gradient's storage
            float[] add = new float[Math.toIntExact(g.size())];
            add[coord] = value;
            g.addi(sub.create(add, g.getShape()));
            assertTrue(Float.isNaN(value) || Float.isInfinite(g.toFloatArray()[coord]));
        }
    }

    private static List<float[]> states(LearnedOptimizer opt, Model model) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            OptimizerState s =
                    opt.stateOf(p.getValue().getId(), p.getValue().getArray().getDevice());
            if (s == null) {
                out.add(null);
            } else {
                float[] d = s.data();
                float[] withCounts = java.util.Arrays.copyOf(d, d.length + 2);
                withCounts[d.length] = s.stepCount();
                withCounts[d.length + 1] = s.skippedCount();
                out.add(withCounts);
            }
        }
        return out;
    }

    private static void assertSameStates(List<float[]> expected, List<float[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "optimizer state of parameter " + i);
        }
    }

    /**
     * Trains {@link #STEPS} steps; at step {@code badStep} the gradient of parameter {@code
     * badParam} gets {@code value} at coordinate {@code coord} and the step must fail without
     * effect. Returns the final parameters.
     */
    private static float[] runWithBadStep(
            int badStep, int badParam, int coord, float value, boolean nameParameters) {
        try (Model model = Fixtures.model("mlp", 9)) {
            LearnedOptimizer opt = newOptimizer(NonFinitePolicy.ERROR);
            if (nameParameters) {
                opt.nameParameters(model.getBlock());
            }
            Pair<String, Parameter> bad = model.getBlock().getParameters().get(badParam);
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                for (int s = 0; s < STEPS; s++) {
                    try (NDManager sub = trainer.getManager().newSubManager()) {
                        if (s != badStep) {
                            backward(trainer, sub, s, null, 0, 0f);
                            trainer.step();
                            continue;
                        }
                        float[] params = LearnedOptimizerTest.flatParams(model);
                        List<float[]> states = states(opt, model);
                        backward(trainer, sub, s, bad.getValue(), coord, value);
                        NonFiniteGradientException e =
                                assertThrows(NonFiniteGradientException.class, trainer::step);
                        assertEquals(coord, e.index());
                        assertArrayEquals(
                                params, LearnedOptimizerTest.flatParams(model), "parameters");
                        assertSameStates(states, states(opt, model));
                        String name = nameParameters ? bad.getKey() : bad.getValue().getName();
                        assertEquals(
                                "non-finite gradient in parameter '"
                                        + name
                                        + "'"
                                        + (nameParameters
                                                ? ""
                                                : " (shape "
                                                        + bad.getValue().getArray().getShape()
                                                        + ")")
                                        + " at coordinate "
                                        + coord
                                        + ": "
                                        + value
                                        + "; the step was not applied (no parameter or optimizer"
                                        + " state changed)",
                                e.getMessage());
                    }
                }
                return LearnedOptimizerTest.flatParams(model);
            }
        }
    }

    /** The same training without batch {@code skipped}. */
    private static float[] runSkipping(int skipped) {
        try (Model model = Fixtures.model("mlp", 9);
                Trainer trainer = Fixtures.trainer(model, newOptimizer(NonFinitePolicy.ERROR))) {
            for (int s = 0; s < STEPS; s++) {
                if (s != skipped) {
                    Fixtures.trainStep(trainer, s);
                }
            }
            return LearnedOptimizerTest.flatParams(model);
        }
    }

    @Test
    void aNonFiniteGradientFailsTheWholeStepAndTrainingGoesOnAsIfTheBatchNeverCame() {
        int params = 4; // two Linear layers: weight and bias each
        for (int badParam = 0; badParam < params; badParam++) {
            float[] expected = runSkipping(3);
            assertArrayEquals(
                    expected,
                    runWithBadStep(3, badParam, badParam % 2 == 0 ? 17 : 1, Float.NaN, true),
                    "NaN in parameter " + badParam);
        }
        assertArrayEquals(
                runSkipping(5),
                runWithBadStep(5, 1, 2, Float.NEGATIVE_INFINITY, false),
                "-Infinity, parameters not named");
    }

    @Test
    void aNonFiniteGradientInTheFirstStepChangesNothingEither() {
        float[] expected = runSkipping(0);
        float[] actual = runWithBadStep(0, 2, 5, Float.POSITIVE_INFINITY, true);
        assertArrayEquals(expected, actual);
    }

    @Test
    void aBadGradientPassedDirectlyInTheMiddleOfAStepSaysWhatWasApplied() {
        LearnedOptimizer opt = newOptimizer(NonFinitePolicy.ERROR);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1f, 2f});
            NDArray b = m.create(new float[] {3f, 4f, 5f});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(a.sum().add(b.sum()));
            }
            // the step's attached gradients are finite; the one given for b is not
            opt.update("a", a, a.getGradient().duplicate());
            NonFiniteStepException e =
                    assertThrows(
                            NonFiniteStepException.class,
                            () -> opt.update("b", b, m.create(new float[] {0f, Float.NaN, 0f})));
            assertEquals(
                    "non-finite gradient in parameter 'b' (shape (3)) at coordinate 1: NaN; this"
                            + " parameter was not updated, but 1 parameter(s) updated before it in"
                            + " this step were (the step's gradients were cleared)",
                    e.getMessage());
            assertArrayEquals(new float[] {3f, 4f, 5f}, b.toFloatArray());
            assertArrayEquals(new float[3], b.getGradient().toFloatArray(), "cleared");
            assertEquals(1, opt.stateCount());
        }
    }

    @Test
    void underSkipTheOtherCoordinatesAndParametersStillTrain() {
        try (Model model = Fixtures.model("mlp", 9)) {
            LearnedOptimizer opt = newOptimizer(NonFinitePolicy.SKIP);
            Parameter bad = model.getBlock().getParameters().get(0).getValue();
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                Fixtures.trainStep(trainer, 0);
                float[] before = bad.getArray().toFloatArray();
                try (NDManager sub = trainer.getManager().newSubManager()) {
                    backward(trainer, sub, 1, bad, 4, Float.NaN);
                    trainer.step();
                }
                float[] after = bad.getArray().toFloatArray();
                assertEquals(before[4], after[4], 0f, "the NaN coordinate is left alone");
                assertFalse(before[5] == after[5], "the others move");
                OptimizerState s = opt.stateOf(bad.getId(), bad.getArray().getDevice());
                assertNotNull(s);
                assertEquals(1, s.skippedCount());
                Fixtures.trainStep(trainer, 2);
            }
        }
    }
}
