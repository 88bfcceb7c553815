package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetaLossWeightingTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "uniform",
                "final",
                "linear",
                "discounted:0.9",
                "discounted:1.0",
                "steps:100",
                "steps:7,100"
            })
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
        assertTrue(
                e.getMessage().contains("uniform, final, linear, discounted:G")
                        && e.getMessage().contains("steps:S1,S2"),
                e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> MetaLossWeighting.parse("discounted:1.5"));
        assertTrue(e.getMessage().contains("(0, 1]"));
        assertThrows(IllegalArgumentException.class, () -> MetaLossWeighting.parse("discounted:x"));
        for (String bad : new String[] {"steps:", "steps:0", "steps:a", "steps:10,,20"}) {
            e = assertThrows(IllegalArgumentException.class, () -> MetaLossWeighting.parse(bad));
            assertTrue(e.getMessage().contains("steps"), e.getMessage());
        }
    }

    @Test
    void stepsWeighListedStepsWithinTheHorizon() {
        MetaLossWeighting w = MetaLossWeighting.parse(" steps:4, 2 ,4");
        assertEquals("steps:2,4", w.toString());
        assertEquals(MetaLossWeighting.steps(2, 4), w);
        double[] h4 = w.weights(4);
        assertEquals(0.5, h4[2], 0.0);
        assertEquals(0.5, h4[4], 0.0);
        assertEquals(0.0, h4[1] + h4[3], 0.0);
        // a shorter horizon (a curriculum stage) keeps the steps within it
        double[] h3 = w.weights(3);
        assertEquals(1.0, h3[2], 0.0);
        assertEquals(0.0, h3[1] + h3[3], 0.0);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> w.weights(1));
        assertTrue(
                e.getMessage().contains("steps:2,4") && e.getMessage().contains("horizon 1"),
                e.getMessage());
        // steps:T is final
        assertArrayEquals(
                MetaLossWeighting.finalStep().weights(4), MetaLossWeighting.steps(4).weights(4));
    }
}
