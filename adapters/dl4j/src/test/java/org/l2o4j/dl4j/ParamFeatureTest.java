package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * An MLP optimizer with the {@code param} feature (the parameter's value) through the DL4J adapter:
 * DL4J hands an updater only the gradient, so the updater reads the parameters of the registered
 * network; one fit step is the core step with those parameters, and an unregistered network is a
 * clear error.
 */
class ParamFeatureTest {
    private static final int BATCH = 32;

    @TempDir static Path dir;
    static LearnedUpdater updater;

    @BeforeAll
    static void weights() throws Exception {
        LstmConfig c =
                LstmConfig.builder()
                        .cell(CellType.MLP)
                        .features(FeatureSet.parse("rms,mom:0.5,mom:0.9,param"))
                        .hidden(8)
                        .outputScale(0.05)
                        .build();
        updater =
                LearnedUpdater.fromFile(
                        TestWeights.write(
                                dir.resolve("param.safetensors"), TestWeights.random(4, c, 0.5)));
        assertTrue(updater.optimizer().needsParameters());
    }

    /** Steps {@code steps} times; each must be the core step on the flattened vectors. */
    private static void checkAgainstCore(
            INDArray params,
            Runnable computeGradient,
            Runnable fit,
            Supplier<INDArray> gradView,
            int steps) {
        int n = (int) params.length();
        LstmOptimizer core = updater.optimizer();
        OptimizerState s = core.newState(n);
        for (int t = 0; t < steps; t++) {
            float[] before = params.dup().toFloatVector();
            computeGradient.run();
            // the gradient as the updater sees it: DL4J divides the summed loss gradient by the
            // minibatch size before its updaters run
            float[] g = gradView.get().dup().divi(BATCH).toFloatVector();
            float[] u = new float[n];
            s.setStepCount(t);
            core.step(s, before, g, u);
            fit.run();
            float[] after = params.toFloatVector();
            double moved = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(
                        before[i] + u[i],
                        after[i],
                        1e-6f * Math.max(1, Math.abs(after[i])),
                        "step " + t + " parameter " + i);
                moved += Math.abs(after[i] - before[i]);
            }
            assertTrue(moved > 0, "the step moved nothing");
        }
    }

    @Test
    void registeredMultiLayerNetworkStepsWithItsParameters() {
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(updater));
        net.init();
        Dl4jParameters.register(net);
        DataSet ds = TestNets.data(21, BATCH);
        checkAgainstCore(
                net.params(),
                () -> {
                    net.setInput(ds.getFeatures());
                    net.setLabels(ds.getLabels());
                    net.computeGradientAndScore();
                },
                () -> net.fit(ds),
                net::getGradientsViewArray,
                3);
    }

    @Test
    void registeredComputationGraphStepsWithItsParameters() {
        ComputationGraph g = new ComputationGraph(TestNets.graph(updater));
        g.init();
        Dl4jParameters.register(g);
        DataSet ds = TestNets.data(22, BATCH);
        checkAgainstCore(
                g.params(),
                () -> {
                    g.setInputs(ds.getFeatures());
                    g.setLabels(ds.getLabels());
                    g.computeGradientAndScore();
                },
                () -> g.fit(ds),
                g::getGradientsViewArray,
                2);
    }

    @Test
    void unregisteredNetworkIsAClearErrorAndNothingMoves() {
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(updater));
        net.init();
        float[] before = net.params().dup().toFloatVector();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> net.fit(TestNets.data(23, 16)));
        assertTrue(e.getMessage().contains("param"), e.getMessage());
        assertTrue(e.getMessage().contains("Dl4jParameters.register(net)"), e.getMessage());
        float[] after = net.params().toFloatVector();
        for (int i = 0; i < before.length; i++) {
            assertEquals(before[i], after[i], 0f, "parameter " + i);
        }
    }
}
