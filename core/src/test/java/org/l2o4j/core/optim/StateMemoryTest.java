package org.l2o4j.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StateMemoryTest {
    @AfterEach
    void clear() {
        System.clearProperty(StateMemory.LIMIT_PROPERTY);
    }

    private static void check(long parameters, long available) {
        StateMemory.check(parameters, 320, "80 floats", available, "the heap", "more", "smaller");
    }

    @Test
    void failsOnlyWhenTheEstimateExceedsTheLimit() {
        check(1000, 320_000);
        StateMemoryException e =
                assertThrows(StateMemoryException.class, () -> check(1001, 320_000));
        assertEquals(320_320, e.requiredBytes());
        assertEquals(320_000, e.availableBytes());
        assertTrue(
                e.getMessage().contains("320.3 kB (1,001 parameters x 320 bytes: 80 floats)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("the heap can hold only 320.0 kB more"), e.getMessage());
        check(Long.MAX_VALUE, -1); // unknown limit: not checked
        assertThrows(StateMemoryException.class, () -> check(Long.MAX_VALUE, Long.MAX_VALUE - 1));
    }

    @Test
    void propertyReplacesTheLimit() {
        System.setProperty(StateMemory.LIMIT_PROPERTY, "1000");
        StateMemoryException e = assertThrows(StateMemoryException.class, () -> check(4, 1L << 40));
        assertTrue(e.getMessage().contains("-D" + StateMemory.LIMIT_PROPERTY), e.getMessage());
        System.setProperty(StateMemory.LIMIT_PROPERTY, "-3");
        assertThrows(IllegalArgumentException.class, () -> check(4, 1L << 40));
    }

    @Test
    void measuredLimitsArePositive() {
        assertTrue(StateMemory.availableHeap() > 0);
        assertTrue(StateMemory.availablePhysicalMemory() != 0);
        assertEquals("999 B", StateMemory.bytes(999));
        assertEquals("32.8 GB", StateMemory.bytes(32_800_000_000L));
    }
}
