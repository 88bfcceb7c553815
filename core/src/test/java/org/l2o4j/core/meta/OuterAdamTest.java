package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.OptimizerState;

/** The outer optimizer: Adam's math on the double phi, and its state in checkpoints. */
class OuterAdamTest {
    @Test
    void firstStepMovesEachParameterByTheLearningRateAgainstItsGradientSign() {
        OuterAdam adam = new OuterAdam(0.01);
        double[] phi = {1.0, -2.0, 0.5};
        double[] grad = {3.0, -0.25, 0.0};
        OuterOptimizer.State s = adam.newState(3);
        adam.step(phi, grad, 1.0, s);
        // m/bc1 = g and v/bc2 = g^2 after one step: the update is lr * g / (|g| + eps)
        assertEquals(1.0 - 0.01 * 3.0 / (3.0 + 1e-8), phi[0], 1e-15);
        assertEquals(-2.0 + 0.01 * 0.25 / (0.25 + 1e-8), phi[1], 1e-15);
        assertEquals(0.5, phi[2], 0.0);
        assertEquals(1, s.steps);
        assertEquals(0.1 * 3.0, s.slots[0][0], 1e-15);
        assertEquals(0.001 * 9.0, s.slots[1][0], 1e-15);
        assertEquals("adam(lr=0.01)", adam.id());
    }

    @Test
    void theScaleIsTheClipFactorOnTheGradient() {
        OuterAdam adam = new OuterAdam(1e-3);
        SplittableRandom rng = new SplittableRandom(4);
        double[] a = rng.doubles(50, -1, 1).toArray();
        double[] b = a.clone();
        OuterOptimizer.State sa = adam.newState(50);
        OuterOptimizer.State sb = adam.newState(50);
        for (int t = 0; t < 5; t++) {
            double[] g = rng.doubles(50, -10, 10).toArray();
            double[] half = new double[50];
            for (int p = 0; p < 50; p++) {
                half[p] = g[p] * 0.37;
            }
            adam.step(a, g, 0.37, sa);
            adam.step(b, half, 1.0, sb);
        }
        assertArrayEquals(b, a, 0.0);
        assertArrayEquals(sb.slots[0], sa.slots[0], 0.0);
        assertArrayEquals(sb.slots[1], sa.slots[1], 0.0);
    }

    /** The same math as the users' float Adam, up to float rounding. */
    @Test
    void agreesWithOptimAdam() {
        int n = 40;
        double lr = 1e-2;
        OuterAdam outer = new OuterAdam(lr);
        Adam inner = new Adam(lr);
        SplittableRandom rng = new SplittableRandom(11);
        double[] phi = rng.doubles(n, -1, 1).toArray();
        float[] theta = new float[n];
        for (int p = 0; p < n; p++) {
            theta[p] = (float) phi[p];
        }
        OuterOptimizer.State s = outer.newState(n);
        OptimizerState st = OptimizerState.create(n, inner.stateSizePerCoordinate());
        float[] update = new float[n];
        for (int t = 0; t < 30; t++) {
            double[] g = rng.doubles(n, -2, 2).toArray();
            float[] gf = new float[n];
            for (int p = 0; p < n; p++) {
                g[p] = (float) g[p];
                gf[p] = (float) g[p];
            }
            outer.step(phi, g, 1.0, s);
            inner.step(st, gf, 0, update, 0);
            for (int p = 0; p < n; p++) {
                theta[p] += update[p];
            }
        }
        for (int p = 0; p < n; p++) {
            assertEquals(phi[p], theta[p], 2e-6, "parameter " + p);
        }
    }

    @Test
    void checkpointsKeepTheOuterStateBitForBit() throws Exception {
        int n = 17;
        SplittableRandom rng = new SplittableRandom(5);
        OuterAdam adam = new OuterAdam(1e-3);
        Checkpoint c = new Checkpoint();
        c.fingerprint = "test";
        c.completedIterations = 3;
        c.phi = rng.doubles(n).toArray();
        c.bestPhi = c.phi.clone();
        c.outer = adam.newState(n);
        for (int t = 0; t < 3; t++) {
            adam.step(c.phi, rng.doubles(n, -5, 5).toArray(), 0.5, c.outer);
        }
        Checkpoint copy = c.copy();
        assertNotSame(c.outer.slots[0], copy.outer.slots[0]);
        Checkpoint back = Checkpoint.fromBytes(c.toBytes(), Path.of("x.ckpt"));
        assertEquals(3, back.outer.steps);
        assertArrayEquals(c.outer.slots[0], back.outer.slots[0], 0.0);
        assertArrayEquals(c.outer.slots[1], back.outer.slots[1], 0.0);
        assertArrayEquals(c.phi, back.phi, 0.0);
        // continuing from the restored state is the same as continuing from the original
        double[] g = rng.doubles(n, -5, 5).toArray();
        adam.step(c.phi, g, 1.0, c.outer);
        adam.step(back.phi, g, 1.0, back.outer);
        assertArrayEquals(c.phi, back.phi, 0.0);
    }

    @Test
    void checkpointVersion2HoldsExactlyTwoOuterSlots() {
        Checkpoint c = new Checkpoint();
        c.fingerprint = "test";
        c.phi = new double[2];
        c.bestPhi = new double[2];
        c.outer = new OuterOptimizer.State(0, new double[1][2]);
        assertThrows(IllegalStateException.class, c::toBytes);
    }
}
