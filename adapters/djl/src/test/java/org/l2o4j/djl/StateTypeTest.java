package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.OptimizerState;

/**
 * 16-bit LSTM state in DJL ({@link LearnedOptimizer.Builder#optStateType}) on the Java-kernel path:
 * half the state, save/load round trips continuing identically, files of another state type
 * converted on load, float32 files still written as version 2, damaged version-3 files rejected.
 */
class StateTypeTest {
    private static final LstmWeights WEIGHTS = Fixtures.random(33, 0.4);
    private static Model model;
    private static byte[] bf16File;
    private static LearnedOptimizer bf16Trained;

    private static LearnedOptimizer newOptimizer(StateType t) {
        return LearnedOptimizer.builder().optWeights(WEIGHTS).optStateType(t).build();
    }

    @BeforeAll
    static void trainAndSave() throws IOException {
        model = Fixtures.model("mlp", 8);
        bf16Trained = newOptimizer(StateType.BFLOAT16);
        try (Trainer trainer = Fixtures.trainer(model, bf16Trained)) {
            for (int s = 0; s < 3; s++) {
                Fixtures.trainStep(trainer, s);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bf16Trained.saveState(out, model.getBlock());
        bf16File = out.toByteArray();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void theOptionHalvesTheStateAndIsChecked() {
        LearnedOptimizer o = newOptimizer(StateType.FLOAT16);
        assertEquals(StateType.FLOAT16, o.stateType());
        LstmOptimizer rule = assertInstanceOf(LstmOptimizer.class, o.rule());
        assertEquals(StateType.FLOAT16, rule.stateType());
        assertEquals(WEIGHTS.config().stateSizePerCoordinate() / 2, rule.stateSizePerCoordinate());
        assertEquals(
                StateType.FLOAT32,
                LearnedOptimizer.builder().optWeights(WEIGHTS).build().stateType());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LearnedOptimizer.builder()
                                        .optUpdateRule(new Adam(1e-3))
                                        .optStateType(StateType.BFLOAT16)
                                        .build());
        assertTrue(e.getMessage().contains("optStateType"), e.getMessage());
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            OptimizerState s = bf16Trained.stateOf(p.getValue().getId(), device(p));
            assertEquals(
                    p.getValue().getArray().size() * rule.stateSizePerCoordinate(),
                    s.data().length,
                    p.getKey());
        }
    }

    private static ai.djl.Device device(Pair<String, Parameter> p) {
        return p.getValue().getArray().getDevice();
    }

    @Test
    void aSixteenBitStateFileIsVersion3AndLoadsIdentically() throws IOException {
        int magicLength = 2 + StateFile.MAGIC.length();
        assertEquals(3, ByteBuffer.wrap(bf16File, magicLength, 4).getInt(), "version 3 written");
        LearnedOptimizer back = newOptimizer(StateType.BFLOAT16);
        back.loadState(new ByteArrayInputStream(bf16File), "bf16", model.getBlock());
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            OptimizerState a = bf16Trained.stateOf(p.getValue().getId(), device(p));
            OptimizerState b = back.stateOf(p.getValue().getId(), device(p));
            assertArrayEquals(bits(a.data()), bits(b.data()), p.getKey());
            assertEquals(a.stepCount(), b.stepCount());
        }
        // and saving it again gives the same bytes
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        back.saveState(again, model.getBlock());
        assertArrayEquals(bf16File, again.toByteArray());
    }

    @Test
    void aStateOfAnotherTypeIsConvertedOnLoad() throws IOException {
        LstmOptimizer rule = (LstmOptimizer) bf16Trained.rule();
        for (StateType target : new StateType[] {StateType.FLOAT32, StateType.FLOAT16}) {
            LearnedOptimizer other = newOptimizer(target);
            other.loadState(new ByteArrayInputStream(bf16File), "bf16", model.getBlock());
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                OptimizerState a = bf16Trained.stateOf(p.getValue().getId(), device(p));
                OptimizerState b = other.stateOf(p.getValue().getId(), device(p));
                float[] expected =
                        StateType.BFLOAT16.convert(a.data(), a.size(), rule.config(), target);
                assertArrayEquals(bits(expected), bits(b.data()), target + " " + p.getKey());
                assertEquals(a.stepCount(), b.stepCount());
            }
            // a float32 file of the widened state is version 2 and converts back exactly
            if (target == StateType.FLOAT32) {
                ByteArrayOutputStream f32 = new ByteArrayOutputStream();
                other.saveState(f32, model.getBlock());
                byte[] bytes = f32.toByteArray();
                assertEquals(2, ByteBuffer.wrap(bytes, 2 + StateFile.MAGIC.length(), 4).getInt());
                LearnedOptimizer narrowed = newOptimizer(StateType.BFLOAT16);
                narrowed.loadState(new ByteArrayInputStream(bytes), "f32", model.getBlock());
                ByteArrayOutputStream again = new ByteArrayOutputStream();
                narrowed.saveState(again, model.getBlock());
                assertArrayEquals(bf16File, again.toByteArray(), "bf16 -> f32 -> bf16 is exact");
            }
        }
    }

    @Test
    void trainingContinuesIdenticallyAfterSavingAndLoading() throws IOException {
        for (StateType t : new StateType[] {StateType.BFLOAT16, StateType.FLOAT16}) {
            float[] uninterrupted = new float[4];
            float[] resumed = new float[4];
            try (Model m = Fixtures.model("mlp", 9)) {
                LearnedOptimizer opt = newOptimizer(t);
                byte[] state;
                byte[] params;
                try (Trainer trainer = Fixtures.trainer(m, opt)) {
                    for (int s = 0; s < 4; s++) {
                        Fixtures.trainStep(trainer, s);
                    }
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    opt.saveState(out, m.getBlock());
                    state = out.toByteArray();
                    params = toBytes(LearnedOptimizerTest.flatParams(m));
                    for (int s = 0; s < 4; s++) {
                        uninterrupted[s] = Fixtures.trainStep(trainer, 4 + s);
                    }
                }
                // restore parameters and optimizer state, then train the same steps again
                LearnedOptimizer again = newOptimizer(t);
                try (Trainer trainer = Fixtures.trainer(m, again)) {
                    setFlatParams(m, fromBytes(params));
                    again.loadState(new ByteArrayInputStream(state), "s", m.getBlock());
                    for (int s = 0; s < 4; s++) {
                        resumed[s] = Fixtures.trainStep(trainer, 4 + s);
                    }
                }
            }
            assertArrayEquals(uninterrupted, resumed, 1e-6f, t + " losses after reload");
        }
    }

    @Test
    void damagedVersion3FilesAreRejected() {
        Random r = new Random(3);
        LearnedOptimizer opt = newOptimizer(StateType.BFLOAT16);
        for (int t = 0; t < 200; t++) {
            byte[] b = bf16File.clone();
            int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 + r.nextInt(255));
            try {
                opt.loadState(new ByteArrayInputStream(b), "flip-" + t, model.getBlock());
                fail("flip " + t + " at " + at + " loaded");
            } catch (DamagedStateFileException e) {
                assertTrue(e.getMessage().contains("damaged"), e.getMessage());
            } catch (Exception e) {
                throw new AssertionError("flip " + t + " at " + at + ": " + e, e);
            }
        }
        assertEquals(0, opt.stateCount());
    }

    @Test
    void anUnknownStateTypeWithAValidChecksumIsReported() throws Exception {
        // the type string replaced by another of the same length, checksum recomputed
        String s = new String(bf16File, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = s.indexOf("bfloat16");
        assertTrue(at > 0);
        byte[] b = Arrays.copyOf(bf16File, bf16File.length);
        System.arraycopy(
                "bfloat99".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, b, at, 8);
        byte[] digest =
                MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(b, b.length - 32));
        System.arraycopy(digest, 0, b, b.length - 32, 32);
        DamagedStateFileException e =
                assertThrows(
                        DamagedStateFileException.class,
                        () ->
                                newOptimizer(StateType.FLOAT32)
                                        .loadState(
                                                new ByteArrayInputStream(b),
                                                "odd",
                                                model.getBlock()));
        assertTrue(e.getMessage().contains("state type reads 'bfloat99'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    private static void setFlatParams(Model m, float[] flat) {
        int off = 0;
        for (Pair<String, Parameter> p : m.getBlock().getParameters()) {
            var a = p.getValue().getArray();
            int n = (int) a.size();
            a.set(java.nio.FloatBuffer.wrap(Arrays.copyOfRange(flat, off, off + n)));
            off += n;
        }
    }

    private static byte[] toBytes(float[] f) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        for (float v : f) {
            d.writeInt(Float.floatToRawIntBits(v));
        }
        return out.toByteArray();
    }

    private static float[] fromBytes(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        float[] f = new float[b.length / 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = Float.intBitsToFloat(bb.getInt());
        }
        return f;
    }

    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }
}
