package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuadraticTaskFamilyTest {

    @Test
    void gradientMatchesFiniteDifferences() {
        Task t = new QuadraticTaskFamily().sample(3);
        double[] theta = t.initialParameters();
        double[] g = new double[10];
        double f = t.lossAndGradient(theta, 0, g);
        assertEquals(f, t.loss(theta, 5), 1e-12 * f);
        double h = 1e-6;
        for (int i = 0; i < 10; i++) {
            double s = theta[i];
            theta[i] = s + h;
            double fp = t.loss(theta, 0);
            theta[i] = s - h;
            double fm = t.loss(theta, 0);
            theta[i] = s;
            assertEquals((fp - fm) / (2 * h), g[i], 1e-6 * Math.max(1, Math.abs(g[i])));
        }
    }

    @Test
    void sameSeedSameTaskOtherSeedOtherTask() {
        QuadraticTaskFamily f = new QuadraticTaskFamily();
        double[] x = f.sample(1).initialParameters();
        assertArrayEquals(x, f.sample(1).initialParameters());
        assertNotEquals(x[0], f.sample(2).initialParameters()[0]);
        assertEquals(10, x.length);
        assertEquals("quadratic(dim=10)", f.name());
        double zeroLoss = new QuadraticTaskFamily(4, 0).sample(1).loss(new double[4], 0);
        assertTrue(zeroLoss > 0);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new QuadraticTaskFamily(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new QuadraticTaskFamily(3, -1));
        Task t = new QuadraticTaskFamily().sample(0);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> t.lossAndGradient(new double[3], 0, new double[10]));
        assertTrue(e.getMessage().contains("length 10 but has length 3"));
    }
}
