package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetaLossWeightingTest {

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "final", "linear", "discounted:0.9", "discounted:1.0"})
    void toStringRoundTripsAndWeightsSumToOne(String text) {
        MetaLossWeighting w = MetaLossWeighting.parse(text);
        assertEquals(w, MetaLossWeighting.parse(w.toString()));
        double[] ws = w.weights(100);
        assertEquals(101, ws.length);
        assertEquals(0.0, ws[0]);
        double sum = 0;
        for (double v : ws) {
            assertTrue(v >= 0);
            sum += v;
        }
        assertEquals(1.0, sum, 1e-12);
    }

    @Test
    void shapes() {
        double[] u = MetaLossWeighting.uniform().weights(4);
        assertEquals(0.25, u[3], 1e-15);
        double[] f = MetaLossWeighting.finalStep().weights(4);
        assertEquals(1.0, f[4]);
        assertEquals(0.0, f[3]);
        double[] l = MetaLossWeighting.linear().weights(4);
        assertEquals(4.0 / 10, l[4], 1e-15);
        assertEquals(1.0 / 10, l[1], 1e-15);
        double[] d = MetaLossWeighting.discounted(0.5).weights(3);
        assertEquals(2 * d[2], d[3], 1e-15);
        assertEquals(2 * d[1], d[2], 1e-15);
    }

    @Test
    void badInputNamesTheAcceptedForms() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MetaLossWeighting.parse("log"));
        assertTrue(e.getMessage().contains("uniform, final, linear or discounted:G"));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> MetaLossWeighting.parse("discounted:1.5"));
        assertTrue(e.getMessage().contains("(0, 1]"));
        assertThrows(IllegalArgumentException.class, () -> MetaLossWeighting.parse("discounted:x"));
    }
}
