package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.l2o4j.core.optim.OptimizerState;

/**
 * {@link LstmWeights#widenFeatures}: new feature columns with zero weights change no update (bit
 * for bit while the old features keep their order).
 */
class WidenFeaturesTest {

    private static LstmConfig config(CellType cell, String features, int layers, int hidden) {
        LstmConfig.Builder b =
                LstmConfig.builder()
                        .cell(cell)
                        .features(FeatureSet.parse(features))
                        .layers(layers)
                        .hidden(hidden)
                        .outputScale(0.05);
        if (cell == CellType.MLP) {
            b.activation(CellActivation.TANH);
        }
        return b.build();
    }

    /**
     * Steps the old and the widened optimizer side by side over a trajectory (the parameters move
     * by the old optimizer's updates, the param feature's column) and asserts their updates are
     * bitwise equal at every step.
     */
    private static void assertSameUpdates(LstmWeights old, LstmWeights wide, Kernel kernel) {
        assertSameUpdates(old, wide, kernel, true);
    }

    /**
     * As above; with {@code exact} false (the old features reordered) the updates may differ by the
     * float rounding of the first layer's sums taken in another order, so they are compared within
     * {@code 1e-5 * outputScale * max(1, |update / outputScale|)}, the bound of {@code
     * MlpVectorCellTest} for sums of up to 32 terms rounded differently.
     */
    private static void assertSameUpdates(
            LstmWeights old, LstmWeights wide, Kernel kernel, boolean exact) {
        int n = 37;
        LstmOptimizer a = LstmOptimizer.of(old).withKernel(kernel);
        LstmOptimizer b = LstmOptimizer.of(wide).withKernel(kernel);
        OptimizerState sa = a.newState(n);
        OptimizerState sb = b.newState(n);
        Random r = new Random(11);
        float[] theta = new float[n];
        for (int i = 0; i < n; i++) {
            theta[i] = (float) r.nextGaussian();
        }
        float[] ua = new float[n];
        float[] ub = new float[n];
        for (int step = 0; step < 6; step++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                // scales from 1e-4 to 1e2
                g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 4));
            }
            a.step(sa, theta, 0, g, 0, ua, 0);
            b.step(sb, theta, 0, g, 0, ub, 0);
            if (exact) {
                assertArrayEquals(ua, ub, "step " + step + ", kernel " + kernel);
            } else {
                double scale = old.config().outputScale();
                for (int i = 0; i < n; i++) {
                    double tol = 1e-5 * scale * Math.max(1, Math.abs(ua[i] / scale));
                    assertEquals(ua[i], ub[i], tol, "step " + step + ", coordinate " + i);
                }
            }
            for (int i = 0; i < n; i++) {
                theta[i] += ua[i];
            }
        }
        assertFalse(Arrays.equals(ua, new float[n]), "the optimizer moved");
    }

    @ParameterizedTest
    @CsvSource({
        // cell, old features, new features (new ones first, between and last), layers, hidden,
        // whether the old features keep their order (then bit for bit)
        "MLP, rms|mom:0.9, grad|rms|mom:0.5|mom:0.9|mom:0.999, 2, 8, true",
        "MLP, rms|mom:0.5|mom:0.9|mom:0.99, rms|mom:0.5|mom:0.9|mom:0.99|mom:0.999, 2, 32, true",
        "MLP, grad, log-sign|grad|param, 1, 5, true",
        "MLP, mom:0.9|rms, rms|grad|mom:0.9, 3, 7, false",
        "GRU, rms|mom:0.9, grad|rms|mom:0.5|mom:0.9|param, 2, 6, true",
        "GRU, grad, grad|rms, 1, 4, true",
        "GRU, grad|rms, rms|mom:0.9|grad, 1, 4, false"
    })
    void zeroNewColumnsGiveTheOldUpdates(
            CellType cell, String from, String to, int layers, int hidden, boolean inOrder) {
        LstmConfig oc = config(cell, from.replace('|', ','), layers, hidden);
        FeatureSet wider = FeatureSet.parse(to.replace('|', ','));
        LstmWeights old =
                LstmKernelOracleTest.randomWeights(oc, 3).withMetadata(Map.of("note", "kept"));
        LstmWeights wide = LstmWeights.widenFeatures(old, wider);

        assertEquals(oc.toBuilder().features(wider).build(), wide.config());
        assertEquals(Map.of("note", "kept"), wide.metadata());
        // the first layer: old columns moved, new columns zero; every other tensor unchanged
        List<LstmWeights.TensorSpec> os = LstmWeights.tensorSpecs(oc);
        List<LstmWeights.TensorSpec> ns = LstmWeights.tensorSpecs(wide.config());
        LstmWeights.TensorSpec o0 = os.get(0);
        LstmWeights.TensorSpec n0 = ns.get(0);
        int oldIn = oc.inputFeatures();
        int newIn = wide.config().inputFeatures();
        int zeros = 0;
        for (int k = 0; k < n0.size(); k++) {
            zeros += wide.parameter(n0.offset + k) == 0f ? 1 : 0;
        }
        assertEquals(o0.shape[0] * (newIn - oldIn), zeros, "zero weights of the new columns");
        for (int t = 1; t < os.size(); t++) {
            assertEquals(os.get(t).name, ns.get(t).name);
            for (int k = 0; k < os.get(t).size(); k++) {
                assertEquals(
                        old.parameter(os.get(t).offset + k),
                        wide.parameter(ns.get(t).offset + k),
                        os.get(t).name);
            }
        }

        assertSameUpdates(old, wide, Kernel.SCALAR, inOrder);
        if (cell == CellType.MLP && Kernel.vectorAvailable()) {
            assertSameUpdates(old, wide, Kernel.VECTOR, inOrder);
        }
    }

    /** The check above is not vacuous: a weight in a new column changes the updates. */
    @Test
    void aNonZeroNewColumnChangesTheUpdates() {
        LstmConfig oc = config(CellType.MLP, "rms", 1, 4);
        LstmWeights old = LstmKernelOracleTest.randomWeights(oc, 5);
        LstmWeights wide = LstmWeights.widenFeatures(old, FeatureSet.parse("rms,grad"));
        float[] p = wide.parameters();
        // mlp.0.weight [4 x 2]: row 0's new column (grad) is at index 1
        assertEquals(0f, p[1]);
        p[1] = 0.5f;
        LstmWeights changed = new LstmWeights(wide.config(), p);
        assertThrows(
                AssertionError.class,
                () -> assertSameUpdates(old, changed, Kernel.SCALAR),
                "a non-zero grad column must change the updates");
    }

    @Test
    void theSameFeaturesGiveEqualWeights() {
        LstmConfig oc = config(CellType.MLP, "rms,mom:0.9", 2, 6);
        LstmWeights old = LstmKernelOracleTest.randomWeights(oc, 7);
        LstmWeights same = LstmWeights.widenFeatures(old, FeatureSet.parse("rms,mom:0.9"));
        assertEquals(oc, same.config());
        assertArrayEquals(old.parameters(), same.parameters());
    }

    @Test
    void theLstmCellIsRefused() {
        LstmWeights lstm =
                LstmKernelOracleTest.randomWeights(LstmConfig.builder().hidden(4).build(), 1);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LstmWeights.widenFeatures(lstm, FeatureSet.parse("log-sign,grad")));
        assertEquals(
                "widening the features to log-sign,grad needs an mlp or gru cell but the weights"
                        + " are "
                        + lstm.config()
                        + " (the lstm's input is its preprocessing, log-sign or grad, a fixed"
                        + " layout)",
                e.getMessage());
    }

    @Test
    void aSetWithoutAnOldFeatureIsRefused() {
        LstmWeights old =
                LstmKernelOracleTest.randomWeights(
                        config(CellType.MLP, "rms,mom:0.5,mom:0.9", 1, 4), 1);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LstmWeights.widenFeatures(old, FeatureSet.parse("grad,mom:0.9")));
        assertEquals(
                "widening the features rms,mom:0.5,mom:0.9 to grad,mom:0.9: the new set must keep"
                        + " every old feature but lacks rms, mom:0.5",
                e.getMessage());
    }

    /** The new columns' first-layer weights, and nothing else, are the widened file's new ones. */
    @Test
    void newFeatureParametersAreTheNewColumnsOfTheFirstLayer() {
        LstmConfig c =
                LstmConfig.builder()
                        .cell(CellType.MLP)
                        .features(FeatureSet.parse("rms,mom:0.9"))
                        .layers(2)
                        .hidden(3)
                        .build();
        FeatureSet wider = FeatureSet.parse("time:10,rms,grad,mom:0.9,time:100");
        LstmConfig wc = c.toBuilder().features(wider).build();
        boolean[] mask = LstmWeights.newFeatureParameters(c.features(), wc);
        assertEquals(wc.numParameters(), mask.length);
        // mlp.0.weight is [3 x 5], row-major, first: columns 0 (time:10), 2 (grad), 4 (time:100)
        int count = 0;
        for (int p = 0; p < mask.length; p++) {
            boolean expected = p < 15 && (p % 5 == 0 || p % 5 == 2 || p % 5 == 4);
            assertEquals(expected, mask[p], "parameter " + p);
            count += mask[p] ? 1 : 0;
        }
        assertEquals(9, count);
        assertThrows(
                IllegalArgumentException.class,
                () -> LstmWeights.newFeatureParameters(FeatureSet.parse("rms,mom:0.5"), wc));
    }
}
