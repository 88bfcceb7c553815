package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;

/** A damaged optimizer state file is always reported as such: never loaded, never another error. */
class StateFileFuzzTest {
    private static final LstmWeights WEIGHTS = Fixtures.random(51, 0.4);
    private static final int TRIALS = 1000;

    private static Model model;
    private static byte[] file;

    @TempDir Path dir;

    private static LearnedOptimizer newOptimizer() {
        return LearnedOptimizer.builder().optWeights(WEIGHTS).build();
    }

    @BeforeAll
    static void saveAState() throws IOException {
        model = Fixtures.model("mlp", 6);
        LearnedOptimizer opt = newOptimizer();
        try (Trainer trainer = Fixtures.trainer(model, opt)) {
            for (int s = 0; s < 2; s++) {
                Fixtures.trainStep(trainer, s);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        opt.saveState(out, model.getBlock());
        file = out.toByteArray();
    }

    @org.junit.jupiter.api.AfterAll
    static void close() {
        model.close();
    }

    /** Loads {@code bytes}, through a file for every tenth trial (the size is then known). */
    private void load(LearnedOptimizer opt, byte[] bytes, String name, int trial)
            throws IOException {
        Block block = model.getBlock();
        if (trial % 10 == 0) {
            Path p = dir.resolve(name);
            Files.write(p, bytes);
            opt.loadState(p, block);
        } else {
            opt.loadState(new ByteArrayInputStream(bytes), name, block);
        }
    }

    private void expectDamaged(LearnedOptimizer opt, byte[] bytes, String name, int trial) {
        try {
            load(opt, bytes, name, trial);
            fail(name + " loaded");
        } catch (DamagedStateFileException e) {
            String m = e.getMessage();
            assertTrue(m.contains(name), m);
            assertTrue(m.contains("damaged"), m);
            assertFalse(m.contains("\n"), m);
        } catch (Exception e) {
            throw new AssertionError(name + ": " + e, e);
        }
    }

    @Test
    void savingToAPathLeavesOnlyTheFile() throws IOException {
        LearnedOptimizer opt = newOptimizer();
        opt.loadState(new ByteArrayInputStream(file), "intact", model.getBlock());
        Path p = dir.resolve("sub").resolve("state.l2os");
        opt.saveState(p, model.getBlock());
        opt.saveState(p, model.getBlock()); // over an existing file
        assertArrayEquals(file, Files.readAllBytes(p));
        try (var files = Files.list(p.getParent())) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    @Test
    void theIntactFileLoads() throws IOException {
        LearnedOptimizer opt = newOptimizer();
        opt.loadState(new ByteArrayInputStream(file), "intact", model.getBlock());
        assertEquals(model.getBlock().getParameters().size(), opt.stateCount());
    }

    @Test
    void everyFlippedByteIsReportedAsDamage() {
        Random r = new Random(20261201);
        LearnedOptimizer opt = newOptimizer();
        for (int t = 0; t < TRIALS; t++) {
            byte[] b = file.clone();
            int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 + r.nextInt(255));
            expectDamaged(opt, b, "flip-" + t + "-at-" + at + ".l2os", t);
        }
        assertEquals(0, opt.stateCount(), "nothing was loaded");
    }

    @Test
    void everyTruncationIsReportedAsDamage() {
        Random r = new Random(7);
        LearnedOptimizer opt = newOptimizer();
        for (int t = 0; t < TRIALS; t++) {
            int length = t == 0 ? 0 : r.nextInt(file.length);
            expectDamaged(opt, Arrays.copyOf(file, length), "cut-" + t + "-at-" + length, t);
        }
        assertEquals(0, opt.stateCount(), "nothing was loaded");
    }

    @Test
    void extraBytesAfterTheEndAreDamage() {
        byte[] b = Arrays.copyOf(file, file.length + 1);
        expectDamaged(newOptimizer(), b, "longer.l2os", 1);
    }

    /** The version-1 format (no checksum) of the same state: version 1, no trailer. */
    private static byte[] asVersion1() {
        int magicLength = 2 + StateFile.MAGIC.length();
        assertEquals(2, ByteBuffer.wrap(file, magicLength, 4).getInt(), "version 2 written");
        byte[] v1 = Arrays.copyOf(file, file.length - 32);
        ByteBuffer.wrap(v1, magicLength, 4).putInt(1);
        return v1;
    }

    @Test
    void version1FilesWithoutAChecksumStillLoad() throws IOException {
        LearnedOptimizer v2 = newOptimizer();
        v2.loadState(new ByteArrayInputStream(file), "v2", model.getBlock());
        LearnedOptimizer v1 = newOptimizer();
        v1.loadState(new ByteArrayInputStream(asVersion1()), "v1", model.getBlock());
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            String id = p.getValue().getId();
            OptimizerState a = v2.stateOf(id, p.getValue().getArray().getDevice());
            OptimizerState b = v1.stateOf(id, p.getValue().getArray().getDevice());
            assertArrayEquals(a.data(), b.data(), p.getKey());
            assertEquals(a.stepCount(), b.stepCount());
        }
    }

    @Test
    void aVersion2FileWhoseVersionReads1IsDamage() {
        byte[] b = file.clone();
        ByteBuffer.wrap(b, 2 + StateFile.MAGIC.length(), 4).putInt(1);
        expectDamaged(newOptimizer(), b, "version-flipped.l2os", 1);
    }
}
