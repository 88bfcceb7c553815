package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.optim.OptimizerState;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * 16-bit LSTM state in DL4J ({@link LearnedUpdater#withStateType}): the state view halves and holds
 * the packed values bit-for-bit as the core writes them (also through DOUBLE arrays), the option is
 * in the JSON (absent: FLOAT32), and {@code ModelSerializer} restores a network that then trains on
 * identically.
 */
class LearnedUpdaterStateTypeTest {
    @TempDir static Path dir;
    static LstmWeights weights;
    static LearnedUpdater random;

    @BeforeAll
    static void weights() throws Exception {
        weights = TestWeights.random(3, TestWeights.smallConfig(), 0.3);
        random = LearnedUpdater.fromFile(TestWeights.write(dir.resolve("w.safetensors"), weights));
    }

    @ParameterizedTest
    @EnumSource(
            value = StateType.class,
            names = {"BFLOAT16", "FLOAT16"})
    void theStateViewHoldsThePackedStateOfTheCore(StateType t) {
        LearnedUpdater u = random.withStateType(t);
        assertEquals(t, u.stateType());
        assertEquals(t, u.optimizer().stateType());
        // 2 layers x 4 units: 16 floats per parameter in float32, 8 slots in 16 bits
        assertEquals(16 * 100, random.stateSize(100));
        assertEquals(8 * 100, u.stateSize(100));
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            int n = LearnedGradientUpdater.CHUNK + 77; // two heap windows
            INDArray view = Nd4j.zeros(dt, 1, (long) n * 8);
            GradientUpdater<?> g = u.instantiate(view, true);
            LstmOptimizer core = LstmOptimizer.of(weights).withStateType(t);
            OptimizerState s = core.newState(n);
            Random r = new Random(5);
            for (int step = 0; step < 3; step++) {
                float[] grad = new float[n];
                for (int i = 0; i < n; i++) {
                    grad[i] = (float) (r.nextGaussian() * Math.pow(10, -4 * r.nextDouble()));
                }
                float[] expected = new float[n];
                core.step(s, grad, expected);
                INDArray gv = Nd4j.createFromArray(grad).castTo(dt);
                g.applyUpdater(gv, step, 0);
                float[] got = gv.castTo(DataType.FLOAT).toFloatVector();
                for (int i = 0; i < n; i++) {
                    assertEquals(-expected[i], got[i], 1e-6f * Math.max(1, Math.abs(expected[i])));
                }
                // the packed slots survive the DL4J array bit for bit (also float -> double)
                float[] st = view.castTo(DataType.FLOAT).toFloatVector();
                assertArrayEquals(bits(s.data()), bits(st), dt + " state after step " + step);
            }
        }
    }

    @Test
    void theStateTypeIsInTheJsonAndOldJsonWithoutItRestoresAsFloat32() {
        LearnedUpdater u = random.withStateType(StateType.FLOAT16);
        assertNotEquals(random, u);
        String json = TestNets.mlp(u).toJson();
        assertTrue(json.contains("\"stateType\" : \"FLOAT16\""), json);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        LearnedUpdater restored =
                (LearnedUpdater) ((BaseLayer) back.getConf(0).getLayer()).getIUpdater();
        assertEquals(u, restored);
        assertEquals(StateType.FLOAT16, restored.optimizer().stateType(), "in use");

        String f32 = TestNets.mlp(random).toJson();
        assertTrue(f32.contains("\"stateType\" : \"FLOAT32\""), f32);
        // JSON written before the option existed has no stateType
        String old = f32.replaceAll(",\\s*\"stateType\" : \"FLOAT32\"", "");
        assertFalse(old.contains("stateType"), old);
        LearnedUpdater fromOld =
                (LearnedUpdater)
                        ((BaseLayer) MultiLayerConfiguration.fromJson(old).getConf(0).getLayer())
                                .getIUpdater();
        assertEquals(StateType.FLOAT32, fromOld.stateType());
        assertEquals(random, fromOld);
        assertTrue(u.toString().contains("stateType=FLOAT16"), u.toString());
    }

    @ParameterizedTest
    @EnumSource(
            value = StateType.class,
            names = {"BFLOAT16", "FLOAT16"})
    void modelSerializerRoundTripContinuesIdentically(StateType t) throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(random.withStateType(t)));
        net.init();
        DataSet ds = TestNets.data(3, 64);
        double before = net.score(ds);
        for (int i = 0; i < 5; i++) {
            net.fit(ds);
        }
        INDArray state = net.getUpdater().getStateViewArray();
        assertEquals(net.numParams() * 8, state.length(), "half of float32's 16 per parameter");

        File f = dir.resolve("mlp-" + t.id() + ".zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertArrayEquals(
                bits(state.toFloatVector()),
                bits(restored.getUpdater().getStateViewArray().toFloatVector()));
        for (int i = 0; i < 20; i++) {
            net.fit(ds);
            restored.fit(ds);
        }
        assertArrayEquals(
                bits(net.params().toFloatVector()),
                bits(restored.params().toFloatVector()),
                "bit-identical parameters after 20 more steps");
        assertTrue(net.score(ds) < before, "training reduced the loss");

        // a state saved in 16 bits does not fit a float32 updater: a clear error
        LearnedUpdater f32 = random;
        INDArray view = Nd4j.zeros(DataType.FLOAT, 1, 10 * 8);
        Exception e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                f32.instantiate(view, false)
                                        .setStateViewArray(view, new long[] {10}, 'c', false));
        assertTrue(e.getMessage().contains("state type"), e.getMessage());
    }

    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }
}
