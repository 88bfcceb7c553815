package org.l2o4j.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.Sgd;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.QuadraticTaskFamily;
import org.l2o4j.core.task.Task;

class EvaluatorTest {

    @Test
    void sgdWithHalfInverseCurvatureReachesMinimumInOneStep() {
        // f = a x^2, grad = 2 a x, x1 = x0 - lr * 2 a x0 = 0 for lr = 1/(2a).
        ScalarQuadraticFamily family = new ScalarQuadraticFamily(0.5, 3, 0);
        RunResult r = new Evaluator(1, 1).run("sgd", new Sgd(1.0), family.sample(4), 4);
        assertFalse(r.diverged());
        assertTrue(r.initialLoss() > 0);
        assertEquals(0.0, r.finalLoss());
        assertEquals(1, r.steps());
    }

    @Test
    void gridSearchPicksHalfInverseCurvature() {
        for (double a : new double[] {0.5, 5.0}) {
            ScalarQuadraticFamily family = new ScalarQuadraticFamily(a, 2, 0);
            TuningResult t =
                    new Evaluator(1, 2)
                            .tune(
                                    "sgd",
                                    LearningRateGrid.defaultGrid(),
                                    family,
                                    Evaluator.validationSeeds(3));
            assertEquals(1 / (2 * a), t.bestLearningRate(), 1e-7, "a = " + a);
            assertEquals(LearningRateGrid.defaultGrid().size(), t.points().size());
            // lr = 10 multiplies x by (1 - 20a) per step: diverged or large, never chosen.
            assertTrue(t.points().get(t.points().size() - 1).meanFinalLoss() > 1);
        }
    }

    @Test
    void divergedRunsAreCountedNotDropped() {
        // a = 0.5, lr = 10: x <- -9 x, loss grows 81x per step, > 1e6 x initial at step 4.
        ScalarQuadraticFamily family = new ScalarQuadraticFamily(0.5, 1, 0);
        Evaluator ev = new Evaluator(10, 1);
        RunResult r = ev.run("sgd", new Sgd(10), family.sample(0), 0);
        assertTrue(r.diverged());
        assertEquals(4, r.divergedAtStep());
        assertEquals(Double.POSITIVE_INFINITY, r.finalLoss());
        assertTrue(Double.isNaN(r.losses()[5]));

        OptimizerResult o = ev.evaluate("sgd", new Sgd(10), family, Evaluator.seeds(0, 3));
        assertEquals(3, o.runs().size());
        assertEquals(3, o.divergedCount());
        assertEquals(0, o.finalLoss().n());
    }

    @Test
    void nonFiniteGradientCountsAsDivergence() {
        Task nanTask =
                new ScalarQuadraticFamily(1, 2, 0) {
                    @Override
                    public Task sample(long seed) {
                        Task inner = super.sample(seed);
                        return new Task() {
                            @Override
                            public String name() {
                                return "nan-gradient";
                            }

                            @Override
                            public int dimension() {
                                return 2;
                            }

                            @Override
                            public double[] initialParameters() {
                                return inner.initialParameters();
                            }

                            @Override
                            public double lossAndGradient(double[] th, long t, double[] g) {
                                double l = inner.lossAndGradient(th, t, g);
                                if (t == 2) {
                                    g[1] = 1e300; // overflows float
                                }
                                return l;
                            }
                        };
                    }
                }.sample(1);
        RunResult r = new Evaluator(5, 1).run("adam", new Adam(0.1), nanTask, 1);
        assertEquals(2, r.divergedAtStep());
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        ScalarQuadraticFamily family = new ScalarQuadraticFamily(1.3, 4, 0.5);
        Map<String, UpdateRule> learned = new LinkedHashMap<>();
        learned.put("learned", new Adam(0.05));
        LearningRateGrid grid = LearningRateGrid.of(0.01, 0.1, 1);
        EvaluationResult a =
                new Evaluator(20, 1)
                        .compare(
                                family,
                                learned,
                                List.of("sgd", "adam"),
                                grid,
                                Evaluator.evaluationSeeds(5),
                                Evaluator.validationSeeds(2));
        EvaluationResult b =
                new Evaluator(20, 3)
                        .compare(
                                family,
                                learned,
                                List.of("sgd", "adam"),
                                grid,
                                Evaluator.evaluationSeeds(5),
                                Evaluator.validationSeeds(2));
        for (int i = 0; i < a.optimizers().size(); i++) {
            OptimizerResult x = a.optimizers().get(i);
            OptimizerResult y = b.optimizers().get(i);
            assertEquals(x.name(), y.name());
            assertEquals(x.learningRate(), y.learningRate());
            for (int s = 0; s < x.runs().size(); s++) {
                assertArrayEquals(x.runs().get(s).losses(), y.runs().get(s).losses());
            }
        }
    }

    @Test
    void everyOptimizerSeesTheSameTasks() {
        ScalarQuadraticFamily family = new ScalarQuadraticFamily(2, 3, 0.3);
        Map<String, UpdateRule> learned = Map.of("learned", new Adam(0.1));
        EvaluationResult r =
                new Evaluator(5, 2)
                        .compare(
                                family,
                                learned,
                                Baselines.NAMES,
                                LearningRateGrid.of(0.001, 0.01, 0.1),
                                Evaluator.evaluationSeeds(4),
                                Evaluator.validationSeeds(2));
        assertEquals(
                List.of("learned", "sgd", "nag", "rmsprop", "adam"),
                r.optimizers().stream().map(OptimizerResult::name).toList());
        for (int s = 0; s < 4; s++) {
            double l0 = r.get("learned").runs().get(s).initialLoss();
            for (OptimizerResult o : r.optimizers()) {
                assertEquals(Evaluator.EVALUATION_SEED_BASE + s, o.runs().get(s).seed());
                assertEquals(l0, o.runs().get(s).initialLoss());
            }
        }
        // Tuning used the validation seeds only.
        assertArrayEquals(Evaluator.validationSeeds(2), r.get("adam").tuning().validationSeeds());
    }

    /**
     * A learned optimizer with the param feature: the evaluator passes the parameters (as floats,
     * before each step), so its run is the loop written out with the parameters.
     */
    @Test
    void learnedOptimizerWithParamGetsTheParameters() {
        LstmConfig c =
                LstmConfig.builder()
                        .cell(CellType.MLP)
                        .features(FeatureSet.parse("rms,mom:0.9,param"))
                        .hidden(8)
                        .outputScale(0.05)
                        .build();
        LstmOptimizer rule = LstmOptimizer.of(MetaTrainer.initialWeights(c, 3)).withThreads(1);
        assertTrue(rule.needsParameters());
        Task task = new QuadraticTaskFamily(6, 1.0).sample(2);
        int steps = 15;
        RunResult r = new Evaluator(steps, 1).run("learned", rule, task, 2);
        assertEquals(-1, r.divergedAtStep());
        double[] theta = task.initialParameters();
        double[] gd = new double[theta.length];
        float[] g = new float[theta.length];
        float[] p = new float[theta.length];
        float[] u = new float[theta.length];
        OptimizerState s = rule.newState(theta.length);
        for (int t = 0; t < steps; t++) {
            assertEquals(task.lossAndGradient(theta, t, gd), r.losses()[t], 0.0, "step " + t);
            for (int i = 0; i < theta.length; i++) {
                g[i] = (float) gd[i];
                p[i] = (float) theta[i];
            }
            rule.step(s, p, g, u);
            for (int i = 0; i < theta.length; i++) {
                theta[i] += u[i];
            }
        }
        assertEquals(task.loss(theta, steps), r.losses()[steps], 0.0);
    }

    @Test
    void overlappingSeedsAreRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new Evaluator(3, 1)
                                        .compare(
                                                new ScalarQuadraticFamily(1, 1, 0),
                                                Map.of(),
                                                List.of("sgd"),
                                                LearningRateGrid.defaultGrid(),
                                                new long[] {1, 2, 3},
                                                new long[] {3, 4}));
        assertTrue(e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void jsonSummaryHasTheAgreedShape() {
        ScalarQuadraticFamily family = new ScalarQuadraticFamily(0.5, 2, 0);
        EvaluationResult r =
                new Evaluator(5, 1)
                        .compare(
                                family,
                                Map.of("learned", new Sgd(10)),
                                List.of("sgd"),
                                LearningRateGrid.defaultGrid(),
                                Evaluator.evaluationSeeds(3),
                                Evaluator.validationSeeds(2));
        JsonObject o = JsonParser.parseString(r.toJson()).getAsJsonObject();
        assertEquals(family.name(), o.get("task").getAsString());
        assertEquals(5, o.get("steps").getAsInt());
        assertEquals(3, o.get("seeds").getAsInt());
        JsonArray results = o.getAsJsonArray("results");
        JsonObject learned = results.get(0).getAsJsonObject();
        assertEquals("learned", learned.get("name").getAsString());
        assertFalse(learned.has("lr"));
        assertTrue(learned.get("final_loss_mean").isJsonNull()); // every run diverged
        assertEquals(3, learned.get("diverged").getAsInt());
        JsonObject sgd = results.get(1).getAsJsonObject();
        assertEquals(1.0, sgd.get("lr").getAsDouble(), 1e-7);
        assertEquals(0.0, sgd.get("final_loss_mean").getAsDouble());
        assertEquals(0.0, sgd.get("final_loss_std").getAsDouble());
        assertEquals(0, sgd.get("diverged").getAsInt());
    }

    @Test
    void gridAndBaselineParsing() {
        double[] d = LearningRateGrid.defaultGrid().values();
        assertTrue(d.length >= 9);
        assertEquals(1e-4, d[0]);
        assertEquals(10, d[d.length - 1]);
        assertArrayEquals(
                new double[] {1e-3, 1e-2, 1e-1, 1},
                LearningRateGrid.parse("1e-3:1:4").values(),
                1e-12);
        assertArrayEquals(new double[] {0.01, 0.5}, LearningRateGrid.parse("0.5, 0.01").values());
        assertThrows(IllegalArgumentException.class, () -> LearningRateGrid.parse("0.1,abc"));
        assertThrows(IllegalArgumentException.class, () -> LearningRateGrid.of(0.1, -1));
        assertEquals(List.of("adam", "sgd"), Baselines.parseList("Adam, sgd"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Baselines.create("lion", 1));
        assertTrue(e.getMessage().contains("sgd, nag, rmsprop, adam"), e.getMessage());
    }
}
