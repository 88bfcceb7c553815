package org.l2o4j.core.meta;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The complete state of a meta-training run at a meta-iteration boundary: enough to continue
 * bit-identically. All randomness is derived from (seed, iteration, ...) counters, so no random
 * generator state needs saving.
 *
 * <p>Binary format (big-endian, {@link DataOutputStream}): magic {@code L2O4JMTC}, version, the
 * config fingerprint, counters, then phi, the outer Adam moments and the best weights as double
 * arrays, then the validation history. Written to a temporary file in the same directory, forced to
 * disk and renamed over the target, so a crash leaves either the old or the new checkpoint.
 */
final class Checkpoint {
    private static final long MAGIC = 0x4C324F344A4D5443L; // "L2O4JMTC"
    private static final int VERSION = 1;

    String fingerprint;
    int completedIterations;
    long adamStep;
    long optimizationRuns;
    long truncations;
    long skippedOuterSteps;
    long divergedRuns;
    double wallSeconds;
    double[] phi;
    double[] adamM;
    double[] adamV;
    double[] bestPhi;
    double bestLoss;
    int bestIteration;
    List<double[]> history = new ArrayList<>(); // {iteration, metaLoss, finalLoss}

    Checkpoint copy() {
        Checkpoint c = new Checkpoint();
        c.fingerprint = fingerprint;
        c.completedIterations = completedIterations;
        c.adamStep = adamStep;
        c.optimizationRuns = optimizationRuns;
        c.truncations = truncations;
        c.skippedOuterSteps = skippedOuterSteps;
        c.divergedRuns = divergedRuns;
        c.wallSeconds = wallSeconds;
        c.phi = phi.clone();
        c.adamM = adamM.clone();
        c.adamV = adamV.clone();
        c.bestPhi = bestPhi.clone();
        c.bestLoss = bestLoss;
        c.bestIteration = bestIteration;
        for (double[] h : history) {
            c.history.add(h.clone());
        }
        return c;
    }

    /** Writes atomically (temporary file + rename). */
    void write(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch =
                            FileChannel.open(
                                    tmp,
                                    StandardOpenOption.WRITE,
                                    StandardOpenOption.TRUNCATE_EXISTING);
                    OutputStream os = java.nio.channels.Channels.newOutputStream(ch);
                    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
                out.writeLong(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(fingerprint);
                out.writeInt(completedIterations);
                out.writeLong(adamStep);
                out.writeLong(optimizationRuns);
                out.writeLong(truncations);
                out.writeLong(skippedOuterSteps);
                out.writeLong(divergedRuns);
                out.writeDouble(wallSeconds);
                writeArray(out, phi);
                writeArray(out, adamM);
                writeArray(out, adamV);
                writeArray(out, bestPhi);
                out.writeDouble(bestLoss);
                out.writeInt(bestIteration);
                out.writeInt(history.size());
                for (double[] h : history) {
                    out.writeDouble(h[0]);
                    out.writeDouble(h[1]);
                    out.writeDouble(h[2]);
                }
                out.flush();
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
    }

    /**
     * Reads a checkpoint.
     *
     * @throws IOException if the file is missing, not a checkpoint or truncated
     */
    static Checkpoint read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException("No checkpoint to resume from at " + path);
        }
        try (InputStream is = Files.newInputStream(path);
                DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            long magic = in.readLong();
            if (magic != MAGIC) {
                throw new IOException(
                        path + " is not an l2o4j meta-training checkpoint (bad magic number)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(
                        "Checkpoint "
                                + path
                                + " has format version "
                                + version
                                + " but this version reads "
                                + VERSION);
            }
            Checkpoint c = new Checkpoint();
            c.fingerprint = in.readUTF();
            c.completedIterations = in.readInt();
            c.adamStep = in.readLong();
            c.optimizationRuns = in.readLong();
            c.truncations = in.readLong();
            c.skippedOuterSteps = in.readLong();
            c.divergedRuns = in.readLong();
            c.wallSeconds = in.readDouble();
            c.phi = readArray(in);
            c.adamM = readArray(in);
            c.adamV = readArray(in);
            c.bestPhi = readArray(in);
            c.bestLoss = in.readDouble();
            c.bestIteration = in.readInt();
            int n = in.readInt();
            if (n < 0) {
                throw new IOException("Corrupt checkpoint " + path + ": history size " + n);
            }
            for (int i = 0; i < n; i++) {
                c.history.add(new double[] {in.readDouble(), in.readDouble(), in.readDouble()});
            }
            return c;
        } catch (EOFException e) {
            throw new IOException("Checkpoint " + path + " is truncated", e);
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
        if (n < 0 || n > (1 << 28)) {
            throw new IOException("Corrupt checkpoint: array length " + n);
        }
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readDouble();
        }
        return a;
    }
}
