package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

/** The PyTorch engine must come from the classpath: tests run with ai.djl.offline=true. */
class OfflineTest {
    @Test
    void pytorchEngineRunsOffline() {
        assertEquals("true", System.getProperty("ai.djl.offline"), "Surefire sets offline mode");
        assertTrue(Utils.isOfflineMode());
        Engine engine = Engine.getInstance();
        assertEquals("PyTorch", engine.getEngineName());
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(6f, m.create(new float[] {1, 2, 3}).sum().getFloat(), 0f);
        }
    }
}
