package org.l2o4j.core.meta;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The complete state of a meta-training run at a meta-iteration boundary: enough to continue
 * bit-identically. All randomness is derived from (seed, iteration, ...) counters, so no random
 * generator state needs saving.
 *
 * <p>Binary format (big-endian, {@link DataOutputStream}): magic {@code L2O4JMTC}, version (3), the
 * length of the body, the body (the config fingerprint, counters including the outer steps, then
 * phi, the outer optimizer's two slot arrays ({@link OuterAdam}'s moments m and v) and the best
 * weights as double arrays, then the validation history, then (version 3) the curriculum state: the
 * stage, the validations without improvement in it, and the start iterations of the stages reached,
 * and the CPU seconds spent in meta-iterations), and last the SHA-256 of all bytes before it.
 * Version 2 (no curriculum state, no CPU seconds) is still read, as stage 0 with 0 CPU seconds.
 * Reading checks the length and the checksum before parsing, so a flipped byte or a truncated file
 * is a {@link DamagedCheckpointException}, never a silently different run. Written to a temporary
 * file in the same directory, forced to disk and renamed over the target, so a crash leaves either
 * the old or the new checkpoint.
 */
final class Checkpoint {
    private static final long MAGIC = 0x4C324F344A4D5443L; // "L2O4JMTC"
    private static final int VERSION = 3;

    /** The version before the curriculum state and the CPU seconds; read as stage 0, 0 CPU-s. */
    private static final int VERSION_2 = 2;

    /**
     * Slot arrays of the outer optimizer's state in version 2 (Adam's m and v); an outer optimizer
     * with another number needs a new version.
     */
    static final int OUTER_SLOTS = 2;

    /** Magic, version and body length. */
    private static final int HEADER_BYTES = 20;

    private static final int HASH_BYTES = 32;

    /** Larger files are not checkpoints (phi has at most a few million parameters). */
    private static final long MAX_BYTES = 1L << 30;

    String fingerprint;
    int completedIterations;
    long optimizationRuns;
    long truncations;
    long skippedOuterSteps;
    long divergedRuns;
    double wallSeconds;

    /** Process CPU seconds spent in meta-iterations (validation excluded), all sessions. */
    double cpuSeconds;

    double[] phi;

    /** The outer optimizer's state (steps and slot arrays). */
    OuterOptimizer.State outer;

    double[] bestPhi;
    double bestLoss;
    int bestIteration;
    List<double[]> history = new ArrayList<>(); // {iteration, metaLoss, finalLoss}

    /** The curriculum stage (0 without a curriculum). */
    int stage;

    /** Validations in a row without a new best (in the current stage). */
    int staleValidations;

    /** The first meta-iteration of each stage reached ({@code [0]} to begin with). */
    List<Integer> stageStarts = new ArrayList<>(List.of(0));

    Checkpoint copy() {
        Checkpoint c = new Checkpoint();
        c.fingerprint = fingerprint;
        c.completedIterations = completedIterations;
        c.optimizationRuns = optimizationRuns;
        c.truncations = truncations;
        c.skippedOuterSteps = skippedOuterSteps;
        c.divergedRuns = divergedRuns;
        c.wallSeconds = wallSeconds;
        c.cpuSeconds = cpuSeconds;
        c.phi = phi.clone();
        c.outer = outer.copy();
        c.bestPhi = bestPhi.clone();
        c.bestLoss = bestLoss;
        c.bestIteration = bestIteration;
        for (double[] h : history) {
            c.history.add(h.clone());
        }
        c.stage = stage;
        c.staleValidations = staleValidations;
        c.stageStarts = new ArrayList<>(stageStarts);
        return c;
    }

    /**
     * The file's bytes: magic, version, body length, body, and the SHA-256 of everything before it.
     */
    byte[] toBytes() {
        if (outer.slots.length != OUTER_SLOTS) {
            throw new IllegalStateException(
                    "checkpoint version "
                            + VERSION
                            + " holds "
                            + OUTER_SLOTS
                            + " outer optimizer slots, not "
                            + outer.slots.length);
        }
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(body)) {
                out.writeUTF(fingerprint);
                out.writeInt(completedIterations);
                out.writeLong(outer.steps);
                out.writeLong(optimizationRuns);
                out.writeLong(truncations);
                out.writeLong(skippedOuterSteps);
                out.writeLong(divergedRuns);
                out.writeDouble(wallSeconds);
                writeArray(out, phi);
                for (double[] slot : outer.slots) {
                    writeArray(out, slot);
                }
                writeArray(out, bestPhi);
                out.writeDouble(bestLoss);
                out.writeInt(bestIteration);
                out.writeInt(history.size());
                for (double[] h : history) {
                    out.writeDouble(h[0]);
                    out.writeDouble(h[1]);
                    out.writeDouble(h[2]);
                }
                out.writeInt(stage);
                out.writeInt(staleValidations);
                out.writeInt(stageStarts.size());
                for (int st : stageStarts) {
                    out.writeInt(st);
                }
                out.writeDouble(cpuSeconds);
            }
            byte[] b = body.toByteArray();
            ByteBuffer all = ByteBuffer.allocate(HEADER_BYTES + b.length + HASH_BYTES);
            all.putLong(MAGIC).putInt(VERSION).putLong(b.length).put(b);
            all.put(sha256(all.array(), 0, all.position()));
            return all.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
    }

    /**
     * Writes atomically: a temporary file {@code <name>.<digits>.tmp} next to {@code path}, forced
     * to disk and renamed over it, so a crash leaves either the old or the new checkpoint (and at
     * worst a stale temporary, see {@link RunFiles#removeStaleTemporaries}).
     *
     * @throws IOException saying {@code cannot write checkpoint PATH: REASON}
     */
    void write(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        byte[] bytes = toBytes();
        try {
            Path dir = abs.getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, RunFiles.checkpointTemporaryPrefix(abs), ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ByteBuffer buf = ByteBuffer.wrap(bytes);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    ch.force(true);
                }
                try {
                    Files.move(
                            tmp,
                            abs,
                            StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new IOException("cannot write checkpoint " + path + ": " + RunFiles.reason(e), e);
        }
    }

    /**
     * Reads a checkpoint and checks its SHA-256 before using any of it.
     *
     * @throws CheckpointException if the file is missing, not a checkpoint or of another version
     * @throws DamagedCheckpointException if its content does not match its checksum
     */
    static Checkpoint read(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new CheckpointException(path, "No checkpoint to resume from at " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new CheckpointException(
                    path, "cannot read checkpoint " + path + ": not a regular file");
        }
        long size;
        byte[] bytes;
        try {
            size = Files.size(path);
            if (size > MAX_BYTES) {
                throw new DamagedCheckpointException(
                        path,
                        "checkpoint "
                                + path
                                + " is damaged: "
                                + size
                                + " bytes, more than any checkpoint ("
                                + MAX_BYTES
                                + ")");
            }
            bytes = Files.readAllBytes(path);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(
                    path, "cannot read checkpoint " + path + ": " + RunFiles.reason(e), e);
        }
        return fromBytes(bytes, path);
    }

    /** Parses and verifies {@link #toBytes()} output; {@code path} names it in messages. */
    static Checkpoint fromBytes(byte[] bytes, Path path) throws CheckpointException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length < 8 || b.getLong(0) != MAGIC) {
            throw new CheckpointException(
                    path,
                    path
                            + " is not an l2o4j meta-training checkpoint (bad magic number: not a"
                            + " checkpoint, or its first bytes are damaged)");
        }
        if (bytes.length < HEADER_BYTES + HASH_BYTES) {
            throw damaged(path, "truncated to " + bytes.length + " bytes");
        }
        int version = b.getInt(8);
        if (version != VERSION && version != VERSION_2) {
            throw new CheckpointException(
                    path,
                    "checkpoint "
                            + path
                            + " has format version "
                            + version
                            + " but this version of l2o4j reads versions "
                            + VERSION_2
                            + " and "
                            + VERSION
                            + (version == 1
                                    ? " (version 1 carried no checksum); start the run again"
                                    : ""));
        }
        long bodyLength = b.getLong(12);
        long expected = HEADER_BYTES + bodyLength + HASH_BYTES;
        if (bodyLength < 0 || expected != bytes.length) {
            throw damaged(
                    path,
                    bodyLength >= 0 && expected > bytes.length
                            ? "truncated to " + bytes.length + " bytes (expected " + expected + ")"
                            : bytes.length + " bytes where its header announces " + expected);
        }
        int hashAt = bytes.length - HASH_BYTES;
        byte[] actual = sha256(bytes, 0, hashAt);
        if (!MessageDigest.isEqual(actual, Arrays.copyOfRange(bytes, hashAt, bytes.length))) {
            throw damaged(path, "its content does not match its sha256 checksum");
        }
        try (DataInputStream in =
                new DataInputStream(
                        new ByteArrayInputStream(bytes, HEADER_BYTES, (int) bodyLength))) {
            Checkpoint c = new Checkpoint();
            c.fingerprint = in.readUTF();
            c.completedIterations = in.readInt();
            long outerSteps = in.readLong();
            c.optimizationRuns = in.readLong();
            c.truncations = in.readLong();
            c.skippedOuterSteps = in.readLong();
            c.divergedRuns = in.readLong();
            c.wallSeconds = in.readDouble();
            c.phi = readArray(in);
            double[][] slots = new double[OUTER_SLOTS][];
            for (int i = 0; i < OUTER_SLOTS; i++) {
                slots[i] = readArray(in);
            }
            c.outer = new OuterOptimizer.State(outerSteps, slots);
            c.bestPhi = readArray(in);
            c.bestLoss = in.readDouble();
            c.bestIteration = in.readInt();
            int n = in.readInt();
            if (n < 0 || n > bodyLength / 24) {
                throw new IOException("history size " + n);
            }
            for (int i = 0; i < n; i++) {
                c.history.add(new double[] {in.readDouble(), in.readDouble(), in.readDouble()});
            }
            if (version >= 3) {
                c.stage = in.readInt();
                c.staleValidations = in.readInt();
                int starts = in.readInt();
                if (c.stage < 0 || c.staleValidations < 0 || starts != c.stage + 1) {
                    throw new IOException(
                            "curriculum stage " + c.stage + " with " + starts + " stage starts");
                }
                c.stageStarts = new ArrayList<>();
                for (int i = 0; i < starts; i++) {
                    c.stageStarts.add(in.readInt());
                }
                c.cpuSeconds = in.readDouble();
            }
            if (in.available() != 0
                    || c.completedIterations < 0
                    || c.outer.slots[0].length != c.phi.length
                    || c.outer.slots[1].length != c.phi.length
                    || c.bestPhi.length != c.phi.length) {
                throw new IOException("inconsistent fields");
            }
            return c;
        } catch (IOException e) {
            // The checksum matched, so l2o4j wrote these bytes: a bug, not damage on disk.
            throw new CheckpointException(
                    path,
                    "checkpoint " + path + " has a valid checksum but cannot be parsed: " + e,
                    e);
        }
    }

    private static DamagedCheckpointException damaged(Path path, String what) {
        return new DamagedCheckpointException(path, "checkpoint " + path + " is damaged: " + what);
    }

    private static byte[] sha256(byte[] b, int from, int to) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(b, from, to - from);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform provides SHA-256", e);
        }
    }

    private static void writeArray(DataOutputStream out, double[] a) throws IOException {
        out.writeInt(a.length);
        for (double v : a) {
            out.writeDouble(v);
        }
    }

    private static double[] readArray(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / 8) {
            throw new IOException("array length " + n);
        }
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readDouble();
        }
        return a;
    }
}
