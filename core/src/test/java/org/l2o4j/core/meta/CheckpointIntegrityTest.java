package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint carries a SHA-256 of its whole content; any damage is a typed error. */
class CheckpointIntegrityTest {
    @TempDir Path dir;

    private static MetaTrainingConfig.Builder run(Path ckpt) {
        return MetaTrainerTest.small().iterations(4).checkpointEvery(2).checkpointPath(ckpt);
    }

    @Test
    void aFlippedByteInTheSavedWeightsIsReportedInsteadOfResumed() throws IOException {
        Path ckpt = dir.resolve("run.ckpt");
        new MetaTrainer(run(ckpt).build()).train();
        byte[] b = Files.readAllBytes(ckpt);
        // one bit of the 4th saved weight (phi follows the fingerprint and the counters): before
        // the checksum, this resumed silently into different final weights
        int utf = ((b[20] & 0xff) << 8) | (b[21] & 0xff);
        int phi = 20 + 2 + utf + 52 + 4;
        b[phi + 8 * 3 + 2] ^= 0x01;
        Files.write(ckpt, b);
        MetaTrainingConfig resume = run(ckpt).iterations(6).resume(true).build();
        DamagedCheckpointException e =
                assertThrows(
                        DamagedCheckpointException.class, () -> new MetaTrainer(resume).train());
        assertEquals(
                "checkpoint "
                        + ckpt
                        + " is damaged: its content does not match its sha256"
                        + " checksum",
                e.getMessage());
        assertEquals(ckpt, e.path());
        assertThrows(
                DamagedCheckpointException.class,
                () -> new MetaTrainer(resume).checkpointedIterations());
        // a flip in the validation history (the end of the body) is caught the same way
        byte[] c = Files.readAllBytes(ckpt);
        c[phi + 8 * 3 + 2] ^= 0x01;
        assertEquals(4, Checkpoint.fromBytes(c, ckpt).completedIterations);
        c[c.length - 48] ^= 0x10; // the last 8 body bytes before the hash are the CPU seconds
        assertThrows(DamagedCheckpointException.class, () -> Checkpoint.fromBytes(c, ckpt));
    }

    /** Item 5: a checkpoint that cannot be written says which, and why (not only a path). */
    @Test
    void aFailedCheckpointWriteSaysWhatAndWhy() throws IOException {
        Path file = dir.resolve("somefile");
        Files.writeString(file, "x");
        Path ckpt = file.resolve("run.ckpt");
        IOException e =
                assertThrows(IOException.class, () -> new MetaTrainer(run(ckpt).build()).train());
        assertEquals(
                "cannot write checkpoint " + ckpt + ": " + file + " exists and is not a directory",
                e.getMessage());
    }

    @Test
    void truncatedAndOldCheckpointsAreTypedErrors() throws IOException {
        Path ckpt = dir.resolve("t.ckpt");
        new MetaTrainer(run(ckpt).build()).train();
        byte[] b = Files.readAllBytes(ckpt);
        Files.write(ckpt, Arrays.copyOf(b, b.length - 1));
        DamagedCheckpointException e =
                assertThrows(DamagedCheckpointException.class, () -> Checkpoint.read(ckpt));
        assertTrue(e.getMessage().contains("is damaged: truncated to"), e.getMessage());
        // format version 1 (no checksum) is refused, not read unchecked
        byte[] v1 = b.clone();
        ByteBuffer.wrap(v1).putInt(8, 1);
        Files.write(ckpt, v1);
        CheckpointException old =
                assertThrows(CheckpointException.class, () -> Checkpoint.read(ckpt));
        assertTrue(old.getMessage().contains("format version 1"), old.getMessage());
        Files.write(ckpt, b);
        assertEquals(4, Checkpoint.read(ckpt).completedIterations);
    }

    /**
     * 1,000 seeded corruptions (bit flips, byte overwrites, truncations, appended bytes) of a valid
     * checkpoint: each read either returns the original content (when the corruption changed
     * nothing) or throws a {@link CheckpointException}; nothing else, and never other content.
     */
    @Test
    void fuzzedCheckpointsOnlyEverThrowCheckpointException() throws IOException {
        Path ckpt = dir.resolve("f.ckpt");
        new MetaTrainer(run(ckpt).build()).train();
        byte[] valid = Files.readAllBytes(ckpt);
        Checkpoint original = Checkpoint.read(ckpt);
        Random r = new Random(20261201L);
        int detected = 0;
        for (int iter = 0; iter < 1000; iter++) {
            byte[] b = valid.clone();
            int mode = r.nextInt(5);
            if (mode <= 2) {
                int flips = 1 + r.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    // half of the flips in the header, where lengths are parsed
                    int pos = r.nextBoolean() ? r.nextInt(64) : r.nextInt(b.length);
                    if (mode == 0) {
                        b[pos] ^= (byte) (1 << r.nextInt(8));
                    } else {
                        b[pos] = (byte) r.nextInt(256);
                    }
                }
            }
            if (mode == 2 || mode == 3) {
                b = Arrays.copyOf(b, r.nextInt(b.length + 1));
            } else if (mode == 4) {
                b = Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
            }
            try {
                Checkpoint c = Checkpoint.fromBytes(b, ckpt);
                assertArrayEquals(valid, b, "iteration " + iter + " read changed content");
                assertArrayEquals(original.phi, c.phi);
            } catch (CheckpointException e) {
                assertTrue(e.getMessage().contains(ckpt.toString()), e.getMessage());
                assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
                detected++;
            } catch (Throwable t) {
                fail("iteration " + iter + " (mode " + mode + ") threw " + t, t);
            }
        }
        assertTrue(detected > 950, "corruptions detected: " + detected);
    }
}
