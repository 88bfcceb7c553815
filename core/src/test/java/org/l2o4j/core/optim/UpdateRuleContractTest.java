package org.l2o4j.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link UpdateRule} must meet (see its javadoc). Extend it with a concrete
 * subclass per rule; adapters reuse it through the core test-jar.
 */
public abstract class UpdateRuleContractTest {
    /** A rule with the default {@link NonFinitePolicy#ERROR} policy. */
    protected abstract UpdateRule createRule();

    /** The same rule with {@link NonFinitePolicy#SKIP}, or null if it has none. */
    protected UpdateRule createSkippingRule() {
        return null;
    }

    /**
     * Index in the state data of float {@code k} of coordinate {@code i} for {@code n} coordinates;
     * the default is the structure-of-arrays layout {@code k * n + i}.
     */
    protected int stateIndex(int n, int i, int k) {
        return k * n + i;
    }

    /** Number of coordinates used by the tests. */
    protected int size() {
        return 37;
    }

    /** Random gradients of mixed magnitudes (seeded). */
    protected float[] gradients(int n, long seed) {
        Random r = new Random(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 3));
        }
        return g;
    }

    @Test
    void hasNameAndPolicy() {
        UpdateRule rule = createRule();
        assertNotNull(rule.name());
        assertTrue(!rule.name().isBlank());
        assertEquals(NonFinitePolicy.ERROR, rule.nonFinitePolicy());
    }

    @Test
    void newStateHasDeclaredSize() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState s = rule.newState(n);
        assertEquals(n, s.size());
        assertEquals(rule.stateSizePerCoordinate(), s.sizePerCoordinate());
        assertEquals((long) n * rule.stateSizePerCoordinate(), s.data().length);
        assertEquals(0, s.stepCount());
        assertThrows(IllegalArgumentException.class, () -> rule.newState(-1));
    }

    @Test
    void stepCountsAndIsDeterministic() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState a = rule.newState(n);
        OptimizerState b = createRule().newState(n);
        float[] ua = new float[n];
        float[] ub = new float[n];
        for (int t = 0; t < 3; t++) {
            float[] g = gradients(n, t);
            rule.step(a, g, ua);
            createRule().step(b, g, ub);
            assertArrayEquals(ua, ub, "update at step " + t);
            assertArrayEquals(a.data(), b.data(), "state at step " + t);
        }
        assertEquals(3, a.stepCount());
        for (float u : ua) {
            assertTrue(Float.isFinite(u));
        }
    }

    @Test
    void inPlaceUpdateEqualsSeparateArrays() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState a = rule.newState(n);
        OptimizerState b = rule.newState(n);
        for (int t = 0; t < 3; t++) {
            float[] g = gradients(n, 10 + t);
            float[] u = new float[n];
            rule.step(a, g, u);
            float[] inPlace = g.clone();
            rule.step(b, inPlace, inPlace);
            assertArrayEquals(u, inPlace, "step " + t);
        }
        assertArrayEquals(a.data(), b.data());
    }

    @Test
    void offsetsAreHonoured() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState a = rule.newState(n);
        OptimizerState b = rule.newState(n);
        float[] g = gradients(n, 5);
        float[] shifted = new float[n + 5];
        System.arraycopy(g, 0, shifted, 3, n);
        float[] u = new float[n];
        float[] u2 = new float[n + 7];
        rule.step(a, g, u);
        rule.step(b, shifted, 3, u2, 7);
        for (int i = 0; i < n; i++) {
            assertEquals(u[i], u2[7 + i], "coordinate " + i);
        }
    }

    @Test
    void copyIsIndependent() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState s = rule.newState(n);
        float[] u = new float[n];
        rule.step(s, gradients(n, 1), u);
        OptimizerState c = s.copy();
        float[] before = c.data().clone();
        float[] g = gradients(n, 2);
        float[] u1 = new float[n];
        rule.step(s, g, u1);
        assertArrayEquals(before, c.data(), "stepping the original changed the copy");
        assertEquals(1, c.stepCount());
        float[] u2 = new float[n];
        rule.step(c, g, u2);
        assertArrayEquals(u1, u2);
        assertArrayEquals(s.data(), c.data());
    }

    @Test
    void nonFiniteGradientThrowsBeforeModifyingAnything() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState s = rule.newState(n);
        float[] u = new float[n];
        rule.step(s, gradients(n, 1), u);
        for (float bad :
                new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] g = gradients(n, 2);
            g[n / 2] = bad;
            float[] state = s.data().clone();
            float[] upd = u.clone();
            NonFiniteGradientException e =
                    assertThrows(NonFiniteGradientException.class, () -> rule.step(s, g, u));
            assertTrue(e.getMessage().contains(String.valueOf(n / 2)), e.getMessage());
            assertArrayEquals(state, s.data(), "state changed");
            assertArrayEquals(upd, u, "update changed");
            assertEquals(1, s.stepCount());
        }
    }

    @Test
    void skipPolicyZeroesUpdateAndKeepsStateOfBadCoordinates() {
        UpdateRule rule = createSkippingRule();
        assumeTrue(rule != null, "rule has no SKIP policy");
        assertEquals(NonFinitePolicy.SKIP, rule.nonFinitePolicy());
        int n = size();
        OptimizerState s = rule.newState(n);
        OptimizerState ref = rule.newState(n);
        float[] u = new float[n];
        float[] g0 = gradients(n, 1);
        rule.step(s, g0, u);
        rule.step(ref, g0, u);
        float[] g = gradients(n, 2);
        int[] bad = {0, n / 2, n - 1};
        float[] good = g.clone();
        g[bad[0]] = Float.NaN;
        g[bad[1]] = Float.POSITIVE_INFINITY;
        g[bad[2]] = Float.NEGATIVE_INFINITY;
        float[] before = s.data().clone();
        float[] upd = new float[n];
        float[] refUpd = new float[n];
        rule.step(s, g, upd);
        rule.step(ref, good, refUpd);
        assertEquals(3, s.skippedCount());
        assertEquals(2, s.stepCount());
        int per = rule.stateSizePerCoordinate();
        for (int i = 0; i < n; i++) {
            boolean isBad = i == bad[0] || i == bad[1] || i == bad[2];
            if (isBad) {
                assertEquals(0f, upd[i], "update of skipped coordinate " + i);
                for (int k = 0; k < per; k++) {
                    int idx = stateIndex(n, i, k);
                    assertEquals(before[idx], s.data()[idx], "state of skipped coordinate " + i);
                }
            } else {
                assertEquals(refUpd[i], upd[i], "update of coordinate " + i);
                for (int k = 0; k < per; k++) {
                    int idx = stateIndex(n, i, k);
                    assertEquals(ref.data()[idx], s.data()[idx], "state of coordinate " + i);
                }
            }
        }
    }

    @Test
    void shortArraysAndForeignStateAreRejected() {
        UpdateRule rule = createRule();
        int n = size();
        OptimizerState s = rule.newState(n);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> rule.step(s, new float[n - 1], new float[n]));
        assertTrue(e.getMessage().contains(String.valueOf(n)), e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> rule.step(s, new float[n], new float[n - 1]));
        assertThrows(
                IllegalArgumentException.class,
                () -> rule.step(s, new float[n], 1, new float[n], 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> rule.step(s, new float[n], -1, new float[n], 0));
        OptimizerState foreign = OptimizerState.create(n, rule.stateSizePerCoordinate() + 1);
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> rule.step(foreign, new float[n], new float[n]));
        assertTrue(e.getMessage().contains("floats per coordinate"), e.getMessage());
    }

    @Test
    void emptyStepIsFine() {
        UpdateRule rule = createRule();
        OptimizerState s = rule.newState(0);
        rule.step(s, new float[0], new float[0]);
        assertEquals(1, s.stepCount());
    }
}
