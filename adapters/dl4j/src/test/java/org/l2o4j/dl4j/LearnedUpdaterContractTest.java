package org.l2o4j.dl4j;

import java.nio.file.Files;
import java.nio.file.Path;
import org.l2o4j.core.optim.Gradients;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The core's optimizer contract, run through the DL4J adapter: every step goes through {@link
 * LearnedUpdater#instantiate} and {@link LearnedGradientUpdater#applyUpdater} on ND4J arrays (the
 * state in an off-heap view array, the step read back from the gradient array and negated to the
 * core's sign convention).
 */
class LearnedUpdaterContractTest extends UpdateRuleContractTest {
    private static final LearnedUpdater UPDATER;

    static {
        try {
            Path dir = Files.createTempDirectory("l2o4j-dl4j-contract");
            UPDATER =
                    LearnedUpdater.fromFile(
                            TestWeights.write(
                                    dir.resolve("w.safetensors"),
                                    TestWeights.random(11, TestWeights.smallConfig(), 0.3)));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    protected UpdateRule createRule() {
        return new Dl4jRoundTripRule(UPDATER);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new Dl4jRoundTripRule(UPDATER.withNonFinitePolicy(NonFinitePolicy.SKIP));
    }

    @Override
    protected int size() {
        return 77;
    }

    /** An {@link UpdateRule} whose steps are DL4J updater calls on ND4J arrays. */
    static final class Dl4jRoundTripRule implements UpdateRule {
        private final LearnedUpdater updater;

        Dl4jRoundTripRule(LearnedUpdater updater) {
            this.updater = updater;
        }

        @Override
        public String name() {
            return "dl4j:" + updater.optimizer().name();
        }

        @Override
        public int stateSizePerCoordinate() {
            return updater.optimizer().stateSizePerCoordinate();
        }

        @Override
        public NonFinitePolicy nonFinitePolicy() {
            return updater.nonFinitePolicy();
        }

        @Override
        public void step(
                OptimizerState state, float[] grad, int gradOff, float[] update, int updOff) {
            int n = state.size();
            int per = stateSizePerCoordinate();
            state.requirePerCoordinate(per, name());
            if (gradOff < 0
                    || gradOff + n > grad.length
                    || updOff < 0
                    || updOff + n > update.length) {
                // the same checks and messages as the core (arrays never reach DL4J)
                Gradients.checkStep(updater.optimizer(), state, grad, gradOff, update, updOff);
            }
            if (n == 0) {
                state.incrementStepCount();
                return;
            }
            INDArray view = Nd4j.createFromArray(state.data()).reshape(1, (long) n * per);
            LearnedGradientUpdater u = (LearnedGradientUpdater) updater.instantiate(view, false);
            float[] g = new float[n];
            System.arraycopy(grad, gradOff, g, 0, n);
            INDArray gradient = Nd4j.createFromArray(g);
            u.applyUpdater(gradient, (int) state.stepCount(), 0);
            float[] step = gradient.toFloatVector();
            for (int i = 0; i < n; i++) {
                update[updOff + i] = 0f - step[i];
            }
            System.arraycopy(
                    view.castTo(DataType.FLOAT).toFloatVector(), 0, state.data(), 0, n * per);
            state.addSkipped(u.skippedCount());
            state.incrementStepCount();
        }
    }
}
