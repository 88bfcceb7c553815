package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.OptimizerState;

class GroupedLstmOptimizerTest {
    static final LstmConfig C = LstmConfig.builder().layers(2).hidden(6).build();
    static final List<String> GROUPS =
            List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases");

    static GroupedWeights fourGroups() {
        return GroupedWeights.of(
                GROUPS,
                List.of(
                        LstmKernelOracleTest.randomWeights(C, 1),
                        LstmKernelOracleTest.randomWeights(C, 2),
                        LstmKernelOracleTest.randomWeights(C, 3),
                        LstmKernelOracleTest.randomWeights(C, 4)),
                Map.of("task_family", "conv"));
    }

    /** Interleaved labels, as a conv net's (kernel, bias, kernel, bias, dense W, dense b). */
    static int[] labels(int n, long seed) {
        Random r = new Random(seed);
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = r.nextInt(4);
        }
        return l;
    }

    static float[] grads(int n, long seed) {
        Random r = new Random(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 3));
        }
        return g;
    }

    @Test
    void eachGroupIsSteppedByItsOwnWeights() {
        GroupedWeights w = fourGroups();
        int n = 301;
        int[] labels = labels(n, 5);
        GroupedLstmOptimizer opt =
                GroupedLstmOptimizer.of(w, GROUPS, labels, Map.of())
                        .withKernel(Kernel.SCALAR)
                        .withThreads(1);
        OptimizerState s = opt.newState(n);
        float[] upd = new float[n];
        // reference: each group's coordinates alone through an LstmOptimizer with its weights
        OptimizerState[] ref = new OptimizerState[4];
        LstmOptimizer[] refOpt = new LstmOptimizer[4];
        int[] counts = new int[4];
        for (int l : labels) {
            counts[l]++;
        }
        for (int g = 0; g < 4; g++) {
            refOpt[g] = LstmOptimizer.of(w.weights(g)).withKernel(Kernel.SCALAR).withThreads(1);
            ref[g] = refOpt[g].newState(counts[g]);
        }
        for (int step = 0; step < 4; step++) {
            float[] grad = grads(n, 10 + step);
            opt.step(s, grad, upd);
            for (int g = 0; g < 4; g++) {
                float[] gg = new float[counts[g]];
                int j = 0;
                for (int i = 0; i < n; i++) {
                    if (labels[i] == g) {
                        gg[j++] = grad[i];
                    }
                }
                float[] ug = new float[counts[g]];
                refOpt[g].step(ref[g], gg, ug);
                j = 0;
                for (int i = 0; i < n; i++) {
                    if (labels[i] == g) {
                        assertEquals(ug[j++], upd[i], "step " + step + " coordinate " + i);
                    }
                }
            }
        }
        assertEquals(4, s.stepCount());
        // the group-major state layout of the class comment
        int start = 0;
        int sz = opt.stateSizePerCoordinate();
        for (int g = 0; g < 4; g++) {
            float[] sub =
                    java.util.Arrays.copyOfRange(s.data(), sz * start, sz * (start + counts[g]));
            assertArrayEquals(ref[g].data(), sub, "state of group " + g);
            start += counts[g];
        }
    }

    @Test
    void sharedWeightsGiveTheSharedOptimizersSteps() {
        LstmWeights one = LstmKernelOracleTest.randomWeights(C, 9);
        int n = 200;
        int[] labels = labels(n, 6);
        GroupedLstmOptimizer opt =
                GroupedLstmOptimizer.of(GroupedWeights.shared(one), GROUPS, labels, Map.of())
                        .withKernel(Kernel.SCALAR);
        LstmOptimizer plain = LstmOptimizer.of(one).withKernel(Kernel.SCALAR);
        OptimizerState s = opt.newState(n);
        OptimizerState p = plain.newState(n);
        float[] u1 = new float[n];
        float[] u2 = new float[n];
        for (int step = 0; step < 3; step++) {
            float[] grad = grads(n, 20 + step);
            opt.step(s, grad, u1);
            plain.step(p, grad, u2);
            assertArrayEquals(u2, u1, "step " + step);
        }
        // one weight set: one optimizer for every group
        assertSame(opt.optimizer(0), opt.optimizer(3));
    }

    @Test
    void oneGroupIsExactlyTheLstmOptimizer() {
        GroupedWeights w = fourGroups();
        int n = 150;
        GroupedLstmOptimizer opt =
                GroupedLstmOptimizer.of(w, List.of("dense-weights"), new int[n], Map.of());
        LstmOptimizer plain = LstmOptimizer.of(w.weights("dense-weights"));
        OptimizerState s = opt.newState(n);
        OptimizerState p = plain.newState(n);
        float[] u1 = new float[n];
        float[] u2 = new float[n];
        float[] grad = grads(n, 3);
        opt.step(s, grad, u1);
        plain.step(p, grad, u2);
        assertArrayEquals(u2, u1);
        assertArrayEquals(p.data(), s.data());
    }

    @Test
    void mappingRulesAndErrors() {
        GroupedWeights w = fourGroups();
        // an MLP uses the conv file's dense groups by name
        List<LstmWeights> mlp = w.resolve(List.of("dense-weights", "dense-biases"), Map.of());
        assertSame(w.weights(2), mlp.get(0));
        assertSame(w.weights(3), mlp.get(1));
        // other names: an error naming both lists, unless mapped
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> w.resolve(List.of("pixels"), Map.of()));
        assertTrue(e.getMessage().contains("[pixels]"), e.getMessage());
        assertTrue(e.getMessage().contains(GROUPS.toString()), e.getMessage());
        assertSame(
                w.weights(0),
                w.resolve(List.of("pixels"), Map.of("pixels", "conv-kernels")).get(0));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> w.resolve(List.of("pixels"), Map.of("pixels", "nope")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        // a shared set applies to every group
        GroupedWeights sh = GroupedWeights.shared(w.weights(1));
        assertSame(w.weights(1), sh.resolve(List.of("pixels", "x"), Map.of()).get(1));
    }

    @Test
    void rejectsBadLayoutsAndNames() {
        GroupedWeights w = fourGroups();
        assertThrows(
                IllegalArgumentException.class,
                () -> GroupedLstmOptimizer.of(w, GROUPS, new int[] {0, 4}, Map.of()));
        GroupedLstmOptimizer opt = GroupedLstmOptimizer.of(w, GROUPS, labels(10, 1), Map.of());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> opt.newState(11));
        assertTrue(e.getMessage().contains("10"), e.getMessage());
        LstmWeights a = LstmKernelOracleTest.randomWeights(C, 1);
        assertThrows(
                IllegalArgumentException.class,
                () -> GroupedWeights.of(List.of("a.b"), List.of(a), Map.of()));
        assertThrows(
                IllegalArgumentException.class,
                () -> GroupedWeights.of(List.of("a", "a"), List.of(a, a), Map.of()));
        LstmWeights other =
                LstmKernelOracleTest.randomWeights(
                        LstmConfig.builder().layers(1).hidden(6).build(), 1);
        assertThrows(
                IllegalArgumentException.class,
                () -> GroupedWeights.of(List.of("a", "b"), List.of(a, other), Map.of()));
    }

    @Test
    void nonFiniteGradientModifiesNothing() {
        GroupedWeights w = fourGroups();
        int n = 40;
        GroupedLstmOptimizer opt = GroupedLstmOptimizer.of(w, GROUPS, labels(n, 2), Map.of());
        OptimizerState s = opt.newState(n);
        float[] upd = new float[n];
        opt.step(s, grads(n, 1), upd);
        float[] before = s.data().clone();
        float[] grad = grads(n, 2);
        grad[n - 1] = Float.NaN;
        assertThrows(NonFiniteGradientException.class, () -> opt.step(s, grad, upd));
        assertArrayEquals(before, s.data());
        assertEquals(1, s.stepCount());
    }

    @Test
    void concatenatedParametersRoundTrip() {
        GroupedWeights w = fourGroups();
        float[] phi = w.concatenatedParameters();
        assertEquals(4 * C.numParameters(), phi.length);
        GroupedWeights back = GroupedWeights.fromConcatenated(C, GROUPS, phi, w.metadata());
        for (int g = 0; g < 4; g++) {
            assertArrayEquals(w.weights(g).parameters(), back.weights(g).parameters());
        }
        assertNotEquals(w.weights(0).parameter(0), w.weights(1).parameter(0));
    }
}
