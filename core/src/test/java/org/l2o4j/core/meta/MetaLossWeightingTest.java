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
                "steps:7,100",
                "linear+steps:100",
                "0.7*linear+0.3*steps:50",
                "uniform+final+discounted:0.9"
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

    @Test
    void sumAddsItsPartsEachNormalisedAndScaledByItsShare() {
        MetaLossWeighting w = MetaLossWeighting.parse(" Linear + steps:2 ");
        assertEquals("linear+steps:2", w.toString());
        double[] h4 = w.weights(4);
        // linear: 1/10, 2/10, 3/10, 4/10; steps:2: 1 at t = 2; added, then halved
        assertEquals(0.05, h4[1], 1e-15);
        assertEquals((0.2 + 1) / 2, h4[2], 1e-15);
        assertEquals(0.15, h4[3], 1e-15);
        assertEquals(0.2, h4[4], 1e-15);
        MetaLossWeighting shared = MetaLossWeighting.parse("3*linear+1*steps:2");
        assertEquals("3.0*linear+steps:2", shared.toString());
        assertEquals(shared, MetaLossWeighting.parse(shared.toString()));
        double[] s4 = shared.weights(4);
        assertEquals((3 * 0.2 + 1) / 4, s4[2], 1e-15);
        assertEquals(3 * 0.4 / 4, s4[4], 1e-15);
        assertEquals(
                MetaLossWeighting.parse("discounted:1e+0+linear"),
                MetaLossWeighting.sum(
                        new MetaLossWeighting[] {
                            MetaLossWeighting.discounted(1), MetaLossWeighting.linear()
                        },
                        new double[] {1, 1}),
                "an exponent's sign is not a sum");
        // a curriculum stage shorter than every step of a steps: part leaves that part out
        assertArrayEquals(
                MetaLossWeighting.linear().weights(3),
                MetaLossWeighting.parse("linear+steps:100").weights(3));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> MetaLossWeighting.parse("steps:50+steps:60").weights(10));
        assertTrue(e.getMessage().contains("horizon 10"), e.getMessage());
        for (String bad :
                new String[] {
                    "linear+",
                    "+linear",
                    "x*linear+final",
                    "0*linear+final",
                    "-1*final+linear",
                    "linear+log"
                }) {
            e = assertThrows(IllegalArgumentException.class, () -> MetaLossWeighting.parse(bad));
            assertTrue(e.getMessage().contains("'"), bad + ": " + e.getMessage());
        }
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> MetaLossWeighting.parse("0*linear+final"));
        assertTrue(
                e.getMessage().contains("share") && e.getMessage().contains("0.0"), e.getMessage());
    }
}
