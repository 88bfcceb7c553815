package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The DL4J updater against the core kernel as the reference oracle: same state, negated update,
 * step after step, including views at an offset, several heap windows and DOUBLE arrays.
 */
class LearnedGradientUpdaterTest {
    @TempDir static Path dir;
    static LstmWeights weights;
    static LearnedUpdater updater;

    @BeforeAll
    static void weights() throws Exception {
        weights = TestWeights.random(7, TestWeights.smallConfig(), 0.3);
        updater = LearnedUpdater.fromFile(TestWeights.write(dir.resolve("w.safetensors"), weights));
    }

    private static float[] randomGradient(Random r, int n) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (r.nextGaussian() * Math.pow(10, -4 * r.nextDouble()));
        }
        return g;
    }

    /** Runs 3 steps through DL4J arrays (views at an offset) and through the core directly. */
    private static void checkAgainstCore(int n, DataType type) {
        int per = updater.optimizer().stateSizePerCoordinate();
        // The state and gradient are views inside bigger arrays, as in a real network.
        INDArray stateBig = Nd4j.zeros(type, 1, 5 + (long) n * per + 3);
        INDArray stateView =
                stateBig.get(NDArrayIndex.point(0), NDArrayIndex.interval(5, 5 + (long) n * per));
        INDArray gradBig = Nd4j.zeros(type, 1, 11 + n);
        INDArray gradView = gradBig.get(NDArrayIndex.point(0), NDArrayIndex.interval(11, 11 + n));
        GradientUpdater<?> u = updater.instantiate(stateView, true);

        LstmOptimizer core = LstmOptimizer.of(weights);
        OptimizerState s = core.newState(n);
        Random r = new Random(n);
        for (int step = 0; step < 3; step++) {
            float[] g = randomGradient(r, n);
            gradView.assign(Nd4j.createFromArray(g).castTo(type));
            float[] expected = new float[n];
            core.step(s, g, expected);
            u.applyUpdater(gradView, step, 0);
            float[] got = gradView.castTo(DataType.FLOAT).toFloatVector();
            for (int i = 0; i < n; i++) {
                assertEquals(
                        -expected[i],
                        got[i],
                        1e-6f * Math.max(1, Math.abs(expected[i])),
                        "update " + i);
            }
            float[] st = stateView.castTo(DataType.FLOAT).toFloatVector();
            assertArrayEquals(s.data(), st, 1e-6f, "state after step " + step);
        }
        // Neighbours of the views are untouched.
        assertEquals(0.0, stateBig.getDouble(0, 0));
        assertEquals(0.0, stateBig.getDouble(0, stateBig.length() - 1));
        assertEquals(0.0, gradBig.getDouble(0, 10));
    }

    @Test
    void matchesCoreKernelStepByStep() {
        checkAgainstCore(37, DataType.FLOAT);
    }

    @Test
    void matchesCoreKernelAcrossHeapWindows() {
        checkAgainstCore(LearnedGradientUpdater.CHUNK * 2 + 123, DataType.FLOAT);
    }

    @Test
    void matchesCoreKernelForDoubleNetworks() {
        checkAgainstCore(29, DataType.DOUBLE);
    }

    @Test
    void nonFiniteGradientUnderErrorModifiesNothing() {
        int n = 10;
        int per = updater.optimizer().stateSizePerCoordinate();
        INDArray state = Nd4j.zeros(DataType.FLOAT, 1, n * per);
        GradientUpdater<?> u = updater.instantiate(state, true);
        INDArray g = Nd4j.createFromArray(randomGradient(new Random(1), n));
        u.applyUpdater(g, 0, 0);
        INDArray stateBefore = state.dup();
        float[] bad = randomGradient(new Random(2), n);
        bad[6] = Float.NaN;
        INDArray gb = Nd4j.createFromArray(bad);
        NonFiniteGradientException e =
                assertThrows(NonFiniteGradientException.class, () -> u.applyUpdater(gb, 1, 0));
        assertEquals(6, e.index());
        assertTrue(e.getMessage().contains("flattened parameter index"), e.getMessage());
        assertEquals(stateBefore, state);
        assertTrue(Float.isNaN(gb.getFloat(6)), "gradient untouched");
        assertEquals(bad[0], gb.getFloat(0));
    }

    @Test
    void nonFiniteGradientUnderSkipGivesZeroUpdateAndKeepsState() {
        int n = 10;
        LearnedUpdater skip = updater.withNonFinitePolicy(NonFinitePolicy.SKIP);
        int per = skip.optimizer().stateSizePerCoordinate();
        INDArray state = Nd4j.zeros(DataType.FLOAT, 1, n * per);
        LearnedGradientUpdater u = (LearnedGradientUpdater) skip.instantiate(state, true);
        u.applyUpdater(Nd4j.createFromArray(randomGradient(new Random(1), n)), 0, 0);
        float[] before = state.toFloatVector();
        float[] bad = randomGradient(new Random(2), n);
        bad[3] = Float.POSITIVE_INFINITY;
        INDArray gb = Nd4j.createFromArray(bad);
        u.applyUpdater(gb, 1, 0);
        assertEquals(0f, gb.getFloat(3), 0f);
        assertEquals(1, u.skippedCount());
        float[] after = state.toFloatVector();
        for (int k = 0; k < per; k++) {
            assertEquals(
                    before[k * n + 3],
                    after[k * n + 3],
                    "state row " + k + " of the skipped coordinate");
        }
        assertTrue(gb.getFloat(4) != bad[4], "other coordinates are updated");
    }

    @Test
    void stateMapRoundTripsAndRejectsWrongKeysOrSizes() {
        int n = 8;
        int per = updater.optimizer().stateSizePerCoordinate();
        INDArray state = Nd4j.rand(DataType.FLOAT, 1, n * per);
        GradientUpdater<?> u =
                updater.instantiate(Map.of(LearnedGradientUpdater.LSTM_STATE, state), false);
        assertEquals(
                state, u.getState().get(LearnedGradientUpdater.LSTM_STATE).reshape(1, n * per));

        IllegalStateException wrongKey =
                assertThrows(
                        IllegalStateException.class,
                        () -> updater.instantiate(Map.of("M", state), false));
        assertTrue(wrongKey.getMessage().contains("[LSTM_STATE]"), wrongKey.getMessage());
        assertTrue(wrongKey.getMessage().contains("[M]"), wrongKey.getMessage());

        INDArray odd = Nd4j.zeros(DataType.FLOAT, 1, n * per + 1);
        IllegalStateException wrongSize =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                updater.instantiate(
                                        Map.of(LearnedGradientUpdater.LSTM_STATE, odd), false));
        assertTrue(wrongSize.getMessage().contains(Integer.toString(per)), wrongSize.getMessage());

        IllegalArgumentException wrongView =
                assertThrows(IllegalArgumentException.class, () -> updater.instantiate(odd, false));
        assertTrue(
                wrongView.getMessage().contains("not a multiple of " + per),
                wrongView.getMessage());
    }

    @Test
    void wrongGradientLengthIsRejected() {
        int per = updater.optimizer().stateSizePerCoordinate();
        GradientUpdater<?> u = updater.instantiate(Nd4j.zeros(DataType.FLOAT, 1, 4 * per), true);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> u.applyUpdater(Nd4j.zeros(DataType.FLOAT, 5), 0, 0));
        assertTrue(e.getMessage().contains("4 values but has 5"), e.getMessage());
    }
}
