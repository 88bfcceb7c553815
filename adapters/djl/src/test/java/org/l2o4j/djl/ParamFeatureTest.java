package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;

/**
 * An MLP optimizer with the {@code param} feature (the parameter's value) through the DJL adapter:
 * {@code update} gets the parameter, so its host step passes the parameter's values to the core;
 * every step is the core step with them, and a model's training steps run with it.
 */
class ParamFeatureTest {
    static LstmWeights weights() {
        LstmConfig c =
                LstmConfig.builder()
                        .cell(CellType.MLP)
                        .features(FeatureSet.parse("rms,mom:0.5,mom:0.9,param"))
                        .hidden(8)
                        .outputScale(0.05)
                        .build();
        Random r = new Random(5);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (r.nextGaussian() * 0.5);
        }
        return new LstmWeights(c, p);
    }

    @Test
    void updateIsTheCoreStepWithTheParameterValues() {
        LstmWeights w = weights();
        LearnedOptimizer opt = LearnedOptimizer.builder().optWeights(w).optThreads(1).build();
        assertTrue(opt.rule().needsParameters());
        LstmOptimizer core = LstmOptimizer.of(w).withThreads(1);
        int n = 53;
        Random r = new Random(8);
        float[] theta = new float[n];
        for (int i = 0; i < n; i++) {
            theta[i] = (float) (r.nextGaussian() * 0.7);
        }
        OptimizerState s = core.newState(n);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray weight = m.create(theta.clone(), new Shape(n));
            for (int t = 0; t < 4; t++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) {
                    g[i] = (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(4)));
                }
                float[] u = new float[n];
                core.step(s, theta, g, u);
                for (int i = 0; i < n; i++) {
                    theta[i] += u[i];
                }
                opt.update("w", weight, m.create(g, new Shape(n)));
                assertArrayEquals(theta, weight.toFloatArray(), "step " + t);
            }
        }
        // the parameter's value does change the step
        float[] a = step(opt, "a", 0.5f);
        float[] b = step(opt, "b", -0.5f);
        assertTrue(a[0] - 0.5f != b[0] + 0.5f, "the update did not depend on the parameter");
    }

    private static float[] step(LearnedOptimizer opt, String id, float value) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray weight = m.create(new float[] {value}, new Shape(1));
            opt.update(id, weight, m.create(new float[] {1e-2f}, new Shape(1)));
            return weight.toFloatArray();
        }
    }

    @Test
    void aTrainerStepsWithIt() {
        LearnedOptimizer opt = LearnedOptimizer.builder().optWeights(weights()).build();
        try (Model model = Fixtures.model("param", 3);
                Trainer trainer = Fixtures.trainer(model, opt)) {
            float first = 0;
            for (int step = 0; step < 5; step++) {
                float loss = Fixtures.trainStep(trainer, step);
                assertTrue(Float.isFinite(loss), "step " + step);
                if (step == 0) {
                    first = loss;
                }
            }
            assertTrue(Float.isFinite(first));
            // every parameter of every step went through the host kernel with its values
            assertEquals(5L * model.getBlock().getParameters().size(), opt.timings().updates());
        }
    }
}
