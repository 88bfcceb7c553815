package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Random scaling of tasks (meta-train --random-scale) and the {@code scaled} family. */
class ScaledTaskTest {

    @Test
    void lossAndGradientAreExactlyTheScaledOnes() {
        Task base = new QuadraticTaskFamily().sample(7);
        double a = 37.5;
        double s = 0.03125;
        ScaledTask t = ScaledTask.of(base, a, s);
        SplittableRandom rng = new SplittableRandom(1);
        double[] x = rng.doubles(10, -30, 30).toArray();
        double[] g = new double[10];
        double loss = t.lossAndGradient(x, 4, g);
        double[] theta = new double[10];
        for (int i = 0; i < 10; i++) {
            theta[i] = s * x[i];
        }
        double[] gb = new double[10];
        double lb = base.lossAndGradient(theta, 4, gb);
        assertEquals(a * lb, loss, 0.0);
        for (int i = 0; i < 10; i++) {
            assertEquals(gb[i] * (a * s), g[i], 0.0, "coordinate " + i);
        }
        assertEquals(a * base.loss(theta, 4), t.loss(x, 4), 0.0);
        // the initial point is the base task's in the scaled coordinates
        double[] x0 = t.initialParameters();
        double[] theta0 = base.initialParameters();
        for (int i = 0; i < 10; i++) {
            assertEquals(theta0[i] / s, x0[i], 0.0);
        }
        assertEquals(10, t.dimension());
        assertEquals(base.parameterGroups(), t.parameterGroups());
    }

    /** The gradient is the gradient of the scaled loss (finite differences). */
    @Test
    void gradientMatchesFiniteDifferences() {
        ScaledTask t = ScaledTask.of(new QuadraticTaskFamily().sample(3), 0.01, 8.0);
        double[] x = t.initialParameters();
        double[] g = new double[10];
        t.lossAndGradient(x, 0, g);
        double h = 1e-7;
        for (int i = 0; i < 10; i++) {
            double v = x[i];
            x[i] = v + h;
            double fp = t.loss(x, 0);
            x[i] = v - h;
            double fm = t.loss(x, 0);
            x[i] = v;
            assertEquals((fp - fm) / (2 * h), g[i], 1e-5 * Math.max(1, Math.abs(g[i])));
        }
    }

    @Test
    void randomScalesComeFromTheSeedAlone() {
        double[] f = ScaledTask.randomScales(123, 2);
        assertArrayEquals(f, ScaledTask.randomScales(123, 2), 0.0);
        assertNotEquals(f[0], f[1], "loss and parameter scales are drawn independently");
        assertNotEquals(f[0], ScaledTask.randomScales(124, 2)[0]);
        // log10 of the factors is uniform in [-r, r)
        int n = 4000;
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            for (double v : ScaledTask.randomScales(k, 1.5)) {
                double e = Math.log10(v);
                sum += e;
                min = Math.min(min, e);
                max = Math.max(max, e);
            }
        }
        assertTrue(min >= -1.5 && min < -1.49, "min " + min);
        assertTrue(max < 1.5 + 1e-12 && max > 1.49, "max " + max);
        assertEquals(0, sum / (2 * n), 0.03);
        Task base = new QuadraticTaskFamily().sample(5);
        assertSame(base, ScaledTask.random(base, 5, 0.0), "range 0: the task itself");
        ScaledTask r = (ScaledTask) ScaledTask.random(base, 99, 1.0);
        double[] expected = ScaledTask.randomScales(99, 1.0);
        assertEquals(expected[0], r.lossScale(), 0.0);
        assertEquals(expected[1], r.paramScale(), 0.0);
    }

    @Test
    void rejectsBadScales() {
        Task base = new QuadraticTaskFamily().sample(0);
        assertThrows(IllegalArgumentException.class, () -> ScaledTask.of(base, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ScaledTask.of(base, 1, -2));
        assertThrows(
                IllegalArgumentException.class,
                () -> ScaledTask.of(base, Double.POSITIVE_INFINITY, 1));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ScaledTask.checkRange(-1));
        assertEquals(
                "random scale (log10 range) must be finite and >= 0 but was -1.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScaledTask.checkRange(Double.NaN));
    }

    @Test
    void theScaledFamilyParsesAndPassesOtherOptionsOn() {
        TaskFamily f = TaskFamilies.parse("scaled[of=quadratic[dim=4];loss-scale=100]");
        assertEquals("scaled(quadratic(dim=4),loss=100.0,param=1.0)", f.name());
        Task t = f.sample(9);
        Task base = new QuadraticTaskFamily(4, 1).sample(9);
        double[] x = base.initialParameters();
        assertEquals(100 * base.loss(x, 0), t.loss(x, 0), 0.0);
        // an option the scaled family does not have goes to its base family
        TaskFamily g =
                TaskFamilies.create("scaled", java.util.Map.of("of", "quadratic", "dim", "3"));
        assertEquals(3, g.sample(1).dimension());
        assertTrue(TaskFamilies.options("scaled").contains(TaskFamilies.SPLIT));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.parse("scaled[of=quadratic;param-scale=0]"));
        assertEquals("parameter scale must be finite and > 0 but was 0.0", e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> TaskFamilies.parse("scaled[loss-scale=2]"));
    }
}
