package org.l2o4j.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Two or three steps of each baseline, computed by hand from the formulas in its javadoc (update is
 * added to the parameters). Coordinates 0 and 1 get gradients (1, 2, -1) and (-1, -2, 1), so
 * coordinate 1 must mirror coordinate 0.
 */
class BaselineHandComputedTest {
    private static final float[][] GRADS = {{1f, -1f}, {2f, -2f}, {-1f, 1f}};

    private static void check(UpdateRule rule, double... expected) {
        OptimizerState s = rule.newState(2);
        float[] u = new float[2];
        for (int t = 0; t < expected.length; t++) {
            rule.step(s, GRADS[t], u);
            assertEquals(expected[t], u[0], 1e-6 * Math.abs(expected[t]), "step " + (t + 1));
            assertEquals(-expected[t], u[1], 1e-6 * Math.abs(expected[t]), "mirror " + (t + 1));
        }
        assertEquals(expected.length, s.stepCount());
    }

    @Test
    void sgd() {
        // update = -lr g with lr = 0.1
        check(new Sgd(0.1), -0.1, -0.2, 0.1);
    }

    @Test
    void heavyBall() {
        // v1 = 1, u1 = -0.1 * 1; v2 = 0.9 * 1 + 2 = 2.9, u2 = -0.29;
        // v3 = 0.9 * 2.9 - 1 = 1.61, u3 = -0.161
        check(new Momentum(0.1, 0.9, false), -0.1, -0.29, -0.161);
    }

    @Test
    void nesterov() {
        // u = -lr (g + mu v): u1 = -0.1 (1 + 0.9) = -0.19; u2 = -0.1 (2 + 0.9 * 2.9) = -0.461;
        // u3 = -0.1 (-1 + 0.9 * 1.61) = -0.0449
        check(Momentum.nag(0.1), -0.19, -0.461, -0.0449);
    }

    @Test
    void rmsProp() {
        // s1 = 0.1 * 1 = 0.1, u1 = -0.01 / sqrt(0.1) = -0.0316227756;
        // s2 = 0.09 + 0.1 * 4 = 0.49, u2 = -0.01 * 2 / 0.7 = -0.0285714286;
        // s3 = 0.441 + 0.1 = 0.541, u3 = 0.01 / sqrt(0.541) = 0.0135956934
        check(new RmsProp(0.01), -0.0316227756, -0.0285714286, 0.0135956934);
    }

    @Test
    void adam() {
        // t=1: m = 0.1, v = 0.001; m^ = 1, v^ = 1; u = -0.1 * 1 / (1 + 1e-8) = -0.1
        // t=2: m = 0.09 + 0.2 = 0.29, v = 0.000999 + 0.004 = 0.004999;
        //      m^ = 0.29 / 0.19, v^ = 0.004999 / 0.001999; u = -0.1 m^ / sqrt(v^) = -0.0965182020
        // t=3: m = 0.261 - 0.1 = 0.161, v = 0.004994001 + 0.001 = 0.005994001;
        //      m^ = 0.161 / 0.271, v^ = 0.005994001 / 0.002997001; u = -0.0420089301
        check(new Adam(0.1), -0.1, -0.0965182020, -0.0420089301);
    }
}
