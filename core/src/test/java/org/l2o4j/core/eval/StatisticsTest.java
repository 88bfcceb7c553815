package org.l2o4j.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatisticsTest {

    @Test
    void studentTQuantilesMatchTables() {
        assertEquals(12.7062, Statistics.studentTQuantile(0.975, 1), 1e-3);
        assertEquals(4.3027, Statistics.studentTQuantile(0.975, 2), 1e-3);
        assertEquals(2.2622, Statistics.studentTQuantile(0.975, 9), 1e-3);
        assertEquals(2.0452, Statistics.studentTQuantile(0.975, 29), 1e-3);
        assertEquals(1.9600, Statistics.studentTQuantile(0.975, 1e6), 1e-3);
        assertEquals(-2.2622, Statistics.studentTQuantile(0.025, 9), 1e-3);
    }

    @Test
    void summaryOfKnownSample() {
        Statistics.Summary s = Statistics.summarize(new double[] {1, 2, 3, 4, 5});
        assertEquals(5, s.n());
        assertEquals(3.0, s.mean(), 1e-12);
        assertEquals(Math.sqrt(2.5), s.std(), 1e-12);
        assertEquals(2.7764 * Math.sqrt(2.5) / Math.sqrt(5), s.ci95HalfWidth(), 1e-3);
        assertTrue(s.ciLow() < 3 && s.ciHigh() > 3);
    }

    @Test
    void degenerateSamples() {
        assertTrue(Double.isNaN(Statistics.summarize(new double[0]).mean()));
        Statistics.Summary one = Statistics.summarize(new double[] {7});
        assertEquals(7, one.mean());
        assertTrue(Double.isNaN(one.std()));
    }

    @Test
    void rejectsNonFiniteValues() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Statistics.summarize(new double[] {1, Double.NaN}));
        assertTrue(e.getMessage().contains("value 1"), e.getMessage());
    }
}
