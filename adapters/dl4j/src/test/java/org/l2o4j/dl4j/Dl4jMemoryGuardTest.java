package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.optim.StateMemory;
import org.l2o4j.core.optim.StateMemoryException;

/**
 * The DL4J memory guard: the network's whole optimizer state is checked before DL4J allocates it,
 * here against a small fake limit ({@code -Dl2o4j.stateMemoryLimitBytes}).
 */
class Dl4jMemoryGuardTest {
    @AfterEach
    void clearLimit() {
        System.clearProperty(StateMemory.LIMIT_PROPERTY);
        Dl4jMemoryGuard.reset();
    }

    /** Parameters of {@link TestNets#mlp}: 10*16 + 16 + 16*3 + 3. */
    private static final long PARAMETERS = 227;

    @Test
    void networkTooLargeForTheLimitFailsAtInitialization() {
        // 227 x 320 bytes = 72,640 in total; every single array is below the limit
        System.setProperty(StateMemory.LIMIT_PROPERTY, "60000");
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(LearnedUpdater.pretrained()));
        net.init();
        assertEquals(PARAMETERS, net.numParams());
        StateMemoryException e =
                assertThrows(StateMemoryException.class, () -> net.fit(TestNets.data(1, 32)));
        System.out.println("DL4J: " + e.getMessage());
        // it stops as soon as the running total passes the limit: here at the last weight array,
        // 10*16 + 16 + 16*3 = 224 parameters, before the output bias
        assertEquals(224 * 320, e.requiredBytes());
        String m = e.getMessage();
        assertTrue(m.contains("224 parameters x 320 bytes"), m);
        assertTrue(m.contains("org.bytedeco.javacpp.maxbytes"), m);
        assertTrue(m.contains("16-bit"), m);
        assertTrue(m.contains("smaller cell"), m);

        // with room for it the same network trains
        System.setProperty(StateMemory.LIMIT_PROPERTY, "80000");
        MultiLayerNetwork ok = new MultiLayerNetwork(TestNets.mlp(LearnedUpdater.pretrained()));
        ok.init();
        ok.fit(TestNets.data(1, 32));
        assertEquals(PARAMETERS * 80, ok.getUpdater().getStateViewArray().length());
    }

    @Test
    void realOffHeapLimitLetsSmallNetworksThroughAndStopsHugeOnes() {
        assertTrue(Dl4jMemoryGuard.availableOffHeap() > 0);
        LearnedUpdater u = LearnedUpdater.pretrained();
        Dl4jMemoryGuard.check(u.optimizer(), PARAMETERS);
        // 26,843,545 parameters x 80 values is DL4J's int limit of updater state values
        StateMemoryException e =
                assertThrows(
                        StateMemoryException.class,
                        () -> Dl4jMemoryGuard.check(u.optimizer(), 30_000_000L));
        System.out.println("DL4J 30M: " + e.getMessage());
        assertTrue(e.getMessage().contains("int"), e.getMessage());
        // a single array's stateSize outside DL4J's updater construction checks that array alone
        assertEquals(PARAMETERS * 80, u.stateSize(PARAMETERS));
    }
}
