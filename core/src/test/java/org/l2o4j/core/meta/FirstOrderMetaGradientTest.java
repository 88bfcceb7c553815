package org.l2o4j.core.meta;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.Task;

/**
 * The whole unrolled first-order meta-gradient against finite differences of L(phi), on tasks where
 * the first-order gradient is exact: tasks whose gradient does not depend on theta.
 */
class FirstOrderMetaGradientTest {
    /** Five-point stencil, error O(h^4): round-off stays ~1e-12 relative. */
    private static final double FD_STEP = 1e-4;

    static Stream<Arguments> cases() {
        return Stream.of("uniform", "final", "linear", "discounted:0.7")
                .flatMap(
                        w ->
                                Stream.of(Preprocessing.NONE, Preprocessing.LOG_SIGN)
                                        .map(p -> Arguments.of(w, p)));
    }

    /** f_t(theta) = c_t . theta: the gradient sequence is fixed, so first-order == exact. */
    @ParameterizedTest
    @MethodSource("cases")
    void matchesFiniteDifferencesOnLinearTasks(String weighting, Preprocessing pre) {
        SplittableRandom rng = new SplittableRandom(weighting.hashCode());
        int horizon = 5;
        Task[] tasks = {
            MetaGradientChecks.linear(4, horizon, rng), MetaGradientChecks.linear(3, horizon, rng)
        };
        MetaGradientChecks.checkOnTasks(lstm(pre), weighting, tasks, horizon, FD_STEP);
    }

    /**
     * On a quadratic the first-order gradient is the exact gradient of the surrogate in which the
     * optimizee gradients are frozen at their recorded values: replay them and compare with finite
     * differences of the surrogate.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void matchesFrozenGradientSurrogateOnQuadratics(String weighting, Preprocessing pre) {
        MetaGradientChecks.checkFrozenGradientSurrogate(lstm(pre), weighting, 6, FD_STEP);
    }

    private static LstmConfig lstm(Preprocessing pre) {
        return LstmConfig.builder().preprocessing(pre).layers(2).hidden(4).build();
    }

    /** f_t(theta) = c_t . theta. */
    static final class Linear implements Task {
        private final double[] theta0;
        private final double[][] c;

        Linear(double[] theta0, double[][] c) {
            this.theta0 = theta0;
            this.c = c;
        }

        @Override
        public String name() {
            return "linear";
        }

        @Override
        public int dimension() {
            return theta0.length;
        }

        @Override
        public double[] initialParameters() {
            return theta0.clone();
        }

        @Override
        public double lossAndGradient(double[] theta, long t, double[] gradOut) {
            double[] ct = c[(int) t];
            double l = 0;
            for (int i = 0; i < theta.length; i++) {
                l += ct[i] * theta[i];
                gradOut[i] = ct[i];
            }
            return l;
        }
    }
}
