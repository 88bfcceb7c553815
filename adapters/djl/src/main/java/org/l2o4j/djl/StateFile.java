package org.l2o4j.djl;

import ai.djl.Device;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UTFDataFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/**
 * The optimizer state file of {@link LearnedOptimizer}: a small binary format (big-endian header
 * through {@link DataOutputStream}, state floats little-endian).
 *
 * <pre>
 *   UTF  "l2o4j-djl-optimizer-state"   int version (2)
 *   UTF  rule name   UTF rule fingerprint (sha256 of the LSTM weights, or the rule's toString)
 *   int  floats per coordinate   int number of entries
 *   per entry: UTF parameter name, UTF device, int n, long stepCount, long skippedCount,
 *              n * perCoordinate float32 (little-endian)
 *   32 bytes: SHA-256 of all the bytes before it (version 2)
 * </pre>
 *
 * <p>Version 1 is the same without the checksum; such files still load, unchecked. A version-2 file
 * whose bytes differ in any way from those written (a changed byte, cut short, bytes appended) is
 * rejected with a {@link DamagedStateFileException} before anything is interpreted beyond the
 * layout: the checksum is verified before the optimizer's identity or any state is used.
 */
final class StateFile {
    static final String MAGIC = "l2o4j-djl-optimizer-state";

    /** The version written. */
    static final int VERSION = 2;

    /** The version without a checksum, still read. */
    static final int VERSION_UNCHECKED = 1;

    /** Bytes of the trailing SHA-256. */
    static final int CHECKSUM_BYTES = 32;

    /** Floats read at a time, so a damaged count cannot make one huge allocation. */
    private static final int CHUNK = 1 << 16;

    private static final String WHAT_TO_DO =
            "; save the state again, or train on from the model alone (its optimizer state then"
                    + " starts fresh)";

    private StateFile() {}

    /** One saved state: a parameter (by name in its block) on a device. */
    record Entry(String parameterName, String device, OptimizerState state) {}

    /** A device as {@code type:id}, e.g. {@code cpu:-1} or {@code gpu:0}. */
    static String deviceName(Device d) {
        return d.getDeviceType() + ":" + d.getDeviceId();
    }

    /** The inverse of {@link #deviceName}. */
    static Device device(String name, String source) throws IOException {
        int colon = name.lastIndexOf(':');
        try {
            return Device.of(name.substring(0, colon), Integer.parseInt(name.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new StateFileException(
                    source, "bad device '" + name + "' (expected type:id, e.g. gpu:0)", e);
        }
    }

    static String fingerprint(UpdateRule rule) {
        if (rule instanceof LstmOptimizer lstm) {
            float[] p = lstm.weights().parameters();
            ByteBuffer b = ByteBuffer.allocate(p.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(p);
            MessageDigest md = sha256();
            md.update(lstm.config().toString().getBytes(StandardCharsets.UTF_8));
            md.update(b.array());
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        }
        return rule.toString();
    }

    static void write(OutputStream out, UpdateRule rule, List<Entry> entries) throws IOException {
        BufferedOutputStream buffered = new BufferedOutputStream(out);
        MessageDigest sha = sha256();
        DigestOutputStream digest = new DigestOutputStream(buffered, sha);
        DataOutputStream d = new DataOutputStream(digest);
        d.writeUTF(MAGIC);
        d.writeInt(VERSION);
        d.writeUTF(rule.name());
        d.writeUTF(fingerprint(rule));
        d.writeInt(rule.stateSizePerCoordinate());
        d.writeInt(entries.size());
        for (Entry e : entries) {
            OptimizerState s = e.state();
            d.writeUTF(e.parameterName());
            d.writeUTF(e.device());
            d.writeInt(s.size());
            d.writeLong(s.stepCount());
            d.writeLong(s.skippedCount());
            float[] data = s.data();
            ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(data);
            d.write(b.array());
        }
        d.flush();
        buffered.write(sha.digest());
        buffered.flush();
    }

    /**
     * Reads a state file saved by an optimizer with rule {@code rule}.
     *
     * @param size the number of bytes {@code in} holds, or -1 if unknown
     * @throws DamagedStateFileException if the bytes are not those that were written
     * @throws StateFileException if the state was saved by an optimizer with other weights
     */
    static List<Entry> read(InputStream in, String source, UpdateRule rule, long size)
            throws IOException {
        Counting counted = new Counting(new BufferedInputStream(in));
        DigestInputStream digest = new DigestInputStream(counted, sha256());
        DataInputStream d = new DataInputStream(digest);
        String name;
        String fingerprint;
        int per;
        List<Entry> entries = new ArrayList<>();
        int version;
        try {
            String magic;
            try {
                magic = d.readUTF();
            } catch (EOFException | UTFDataFormatException e) {
                magic = null;
            }
            if (magic == null && counted.count == 0) {
                throw damaged(source, "it is empty", null);
            }
            if (!MAGIC.equals(magic)) {
                throw new DamagedStateFileException(
                        source,
                        "not an l2o4j DJL optimizer state file, or a damaged one (it does not start"
                                + " with the header '"
                                + MAGIC
                                + "')"
                                + WHAT_TO_DO);
            }
            version = d.readInt();
            if (version != VERSION && version != VERSION_UNCHECKED) {
                throw damaged(
                        source,
                        "its format version reads "
                                + version
                                + ", but this l2o4j writes "
                                + VERSION
                                + " and reads "
                                + VERSION_UNCHECKED
                                + " and "
                                + VERSION
                                + "; if a newer l2o4j wrote it, load it with that",
                        null);
            }
            long trailer = version == VERSION ? CHECKSUM_BYTES : 0;
            name = d.readUTF();
            fingerprint = d.readUTF();
            per = d.readInt();
            int count = d.readInt();
            if (per < 0 || count < 0) {
                throw damaged(
                        source,
                        "it gives " + per + " floats per coordinate and " + count + " entries",
                        null);
            }
            for (int k = 0; k < count; k++) {
                String param = d.readUTF();
                String device = d.readUTF();
                int n = d.readInt();
                long steps = d.readLong();
                long skipped = d.readLong();
                long floats = (long) n * per;
                if (n < 0 || steps < 0 || skipped < 0 || floats > Integer.MAX_VALUE) {
                    throw damaged(
                            source,
                            "entry "
                                    + (k + 1)
                                    + " of "
                                    + count
                                    + " has "
                                    + n
                                    + " coordinates, "
                                    + steps
                                    + " steps and "
                                    + skipped
                                    + " skipped coordinates",
                            null);
                }
                if (size >= 0 && floats * 4 > size - counted.count - trailer) {
                    throw damaged(
                            source,
                            "it is cut short: entry "
                                    + (k + 1)
                                    + " of "
                                    + count
                                    + " needs "
                                    + floats * 4
                                    + " bytes but "
                                    + Math.max(0, size - counted.count - trailer)
                                    + " are left",
                            null);
                }
                float[] data = readFloats(d, (int) floats);
                OptimizerState s = OptimizerState.wrap(n, per, data);
                s.setStepCount(steps);
                s.addSkipped(skipped);
                entries.add(new Entry(param, device, s));
            }
            if (version == VERSION) {
                digest.on(false);
                byte[] expected = new byte[CHECKSUM_BYTES];
                d.readFully(expected);
                byte[] actual = digest.getMessageDigest().digest();
                if (!MessageDigest.isEqual(expected, actual)) {
                    throw damaged(
                            source,
                            "its SHA-256 checksum does not match its content: bytes were changed"
                                    + " after it was saved",
                            null);
                }
            }
            if (d.read() != -1) {
                throw damaged(source, "it has bytes after its end", null);
            }
        } catch (EOFException | UTFDataFormatException e) {
            throw damaged(source, "it is cut short, or a length in it was changed", e);
        }
        if (!name.equals(rule.name())
                || !fingerprint.equals(fingerprint(rule))
                || per != rule.stateSizePerCoordinate()) {
            throw new StateFileException(
                    source,
                    "the state was saved by optimizer '"
                            + name
                            + "' ("
                            + fingerprint
                            + ", "
                            + per
                            + " floats per coordinate) but this optimizer is '"
                            + rule.name()
                            + "' ("
                            + fingerprint(rule)
                            + ", "
                            + rule.stateSizePerCoordinate()
                            + "); load it into an optimizer built with the same weights");
        }
        return entries;
    }

    private static DamagedStateFileException damaged(String source, String how, Throwable cause) {
        String detail = "the optimizer state file is damaged: " + how + WHAT_TO_DO;
        return cause == null
                ? new DamagedStateFileException(source, detail)
                : new DamagedStateFileException(source, detail, cause);
    }

    /** Reads {@code count} little-endian floats, allocating no more than the bytes that come. */
    private static float[] readFloats(DataInputStream d, int count) throws IOException {
        float[] out = new float[Math.min(count, CHUNK)];
        byte[] buf = new byte[Math.min(count, CHUNK) * 4];
        int done = 0;
        while (done < count) {
            int k = Math.min(CHUNK, count - done);
            d.readFully(buf, 0, k * 4);
            if (out.length < done + k) {
                out =
                        Arrays.copyOf(
                                out, (int) Math.min(count, Math.max(done + k, 2L * out.length)));
            }
            ByteBuffer.wrap(buf, 0, k * 4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(out, done, k);
            done += k;
        }
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts the bytes read through it. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            count += k;
            return k;
        }
    }
}
