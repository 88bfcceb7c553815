package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.training.Trainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.optim.StateMemory;
import org.l2o4j.core.optim.StateMemoryException;

/**
 * The memory guard: the first update of a model estimates the optimizer state it needs and fails
 * before allocating it when the limit (here a small fake one, {@code
 * -Dl2o4j.stateMemoryLimitBytes}) is too small.
 */
class MemoryGuardTest {
    /** Parameters of {@link Fixtures#mlp()}: 8*16 + 16 + 16*3 + 3. */
    private static final long PARAMETERS = 195;

    @AfterEach
    void clearLimit() {
        System.clearProperty(StateMemory.LIMIT_PROPERTY);
    }

    @Test
    void modelTooLargeForTheLimitFailsBeforeAnyChange() {
        for (DevicePath path : new DevicePath[] {DevicePath.NEVER, DevicePath.ALWAYS}) {
            // 195 x 320 bytes = 62,400 (Java kernel: + 8 bytes per parameter of buffers)
            System.setProperty(StateMemory.LIMIT_PROPERTY, "50000");
            LearnedOptimizer opt =
                    LearnedOptimizer.builder()
                            .optWeights(Fixtures.random(1, 0.3))
                            .optDevicePath(path)
                            .build();
            try (Model model = Fixtures.model("mlp", 3);
                    Trainer trainer = Fixtures.trainer(model, opt)) {
                float[] before = LearnedOptimizerTest.flatParams(model);
                StateMemoryException e =
                        assertThrows(
                                StateMemoryException.class, () -> Fixtures.trainStep(trainer, 0));
                System.out.println(path + ": " + e.getMessage());
                long perParameter = path == DevicePath.NEVER ? 328 : 320;
                assertEquals(PARAMETERS * perParameter, e.requiredBytes(), path.name());
                assertEquals(50000, e.availableBytes());
                String m = e.getMessage();
                assertTrue(m.contains("195 parameters x " + perParameter + " bytes"), m);
                assertTrue(m.contains("16-bit"), m);
                assertTrue(m.contains("smaller cell"), m);
                assertTrue(m.contains(path == DevicePath.NEVER ? "-Xmx" : "physical memory"), m);
                assertArrayEquals(before, LearnedOptimizerTest.flatParams(model));
                assertEquals(0, opt.stateCount(), "nothing allocated");

                // with room for it, the same trainer goes on
                System.setProperty(StateMemory.LIMIT_PROPERTY, "70000");
                Fixtures.trainStep(trainer, 1);
                assertEquals(4, opt.stateCount());
            }
        }
    }

    @Test
    void messageForALargeModelOnTheHeap() {
        System.setProperty(StateMemory.LIMIT_PROPERTY, String.valueOf(8_000_000_000L));
        LearnedOptimizer opt = LearnedOptimizer.builder().optPretrained("general-v1").build();
        StateMemoryException e =
                assertThrows(
                        StateMemoryException.class,
                        () -> opt.checkMemory(100_000_000L, Device.cpu(), false));
        System.out.println("100M parameters, Java kernel: " + e.getMessage());
        assertTrue(e.getMessage().contains("32.8 GB"), e.getMessage());
        assertTrue(e.getMessage().contains("100,000,000 parameters"), e.getMessage());
        // a model that fits passes
        opt.checkMemory(1_000_000L, Device.cpu(), false);
    }

    @Test
    void realLimitsLetSmallModelsThrough() {
        LearnedOptimizer opt = LearnedOptimizer.builder().optPretrained("general-v1").build();
        opt.checkMemory(PARAMETERS, Device.cpu(), false);
        opt.checkMemory(PARAMETERS, Device.cpu(), true);
        // a model beyond any heap fails with the heap's real limit
        assertThrows(
                StateMemoryException.class,
                () -> opt.checkMemory(Long.MAX_VALUE / 1000, Device.cpu(), false));
    }
}
