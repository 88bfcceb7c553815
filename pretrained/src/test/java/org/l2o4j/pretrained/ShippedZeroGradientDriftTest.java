package org.l2o4j.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * The drift of a parameter whose gradient is exactly 0 at every step, as documented in {@link
 * ZeroGradientPolicy} and the README: what {@code UPDATE} does with the shipped optimizers, and
 * that the default {@code FREEZE} does not move it.
 */
class ShippedZeroGradientDriftTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // id, steady update per step, total after 1,000 steps, total after 10,000 steps
        "general-v1, 3.385e-5, 0.02778, 0.3325",
        "mnist-mlp-v1, -1.123e-3, -0.8621, -10.967"
    })
    void updateDriftsAsDocumentedAndFreezeDoesNotMove(
            String id, double perStep, double after1000, double after10000) {
        LstmOptimizer freeze = LstmOptimizer.of(PretrainedOptimizers.load(id)).withThreads(1);
        LstmOptimizer update = freeze.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        OptimizerState sf = freeze.newState(1);
        OptimizerState su = update.newState(1);
        float[] zero = {0f};
        float[] u = new float[1];
        double movedF = 0;
        double movedU = 0;
        for (int t = 1; t <= 10_000; t++) {
            freeze.step(sf, zero, u);
            movedF += u[0];
            update.step(su, zero, u);
            movedU += u[0];
            if (t == 1_000) {
                assertEquals(after1000, movedU, 1e-3 * Math.abs(after1000), id + " at 1,000");
            }
        }
        assertEquals(perStep, u[0], 1e-3 * Math.abs(perStep), id + " per step");
        assertEquals(after10000, movedU, 1e-3 * Math.abs(after10000), id + " at 10,000");
        assertEquals(0.0, movedF, id + " with FREEZE");
        assertEquals(0f, sf.data()[0], "FREEZE keeps the fresh state");
    }
}
