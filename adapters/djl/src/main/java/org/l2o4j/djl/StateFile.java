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
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/**
 * The optimizer state file of {@link LearnedOptimizer}: a small binary format (big-endian header
 * through {@link DataOutputStream}, state floats little-endian).
 *
 * <pre>
 *   UTF  "l2o4j-djl-optimizer-state"   int version (2 or 3)
 *   UTF  rule name   UTF rule fingerprint (sha256 of the LSTM weights, or the rule's toString)
 *   UTF  state type: float32, bfloat16 or float16 (version 3 only; versions 1, 2: float32)
 *   int  floats per coordinate   int number of entries
 *   per entry: UTF parameter name, UTF device, int n, long stepCount, long skippedCount,
 *              n * perCoordinate float32 (little-endian)
 *   32 bytes: SHA-256 of all the bytes before it (version 2)
 * </pre>
 *
 * <p>The lowest version that can hold the state is written: version 2 for float32 state (older
 * l2o4j reads it), version 3 when the state is 16-bit ({@link StateType}; the floats then hold the
 * packed pairs of the core's layout, {@code hidden * layers} per coordinate). A state of another
 * type than the loading optimizer's is converted on load ({@link StateType#convert}: widening to
 * float32 is exact, narrowing rounds to nearest even as a step does). A device-resident state (the
 * DJL device path) is saved in the same layout, so files move between the paths.
 *
 * <p>Version 1 is the same as 2 without the checksum; such files still load, unchecked. A version-2
 * file whose bytes differ in any way from those written (a changed byte, cut short, bytes appended)
 * is rejected with a {@link DamagedStateFileException} before anything is interpreted beyond the
 * layout: the checksum is verified before the optimizer's identity or any state is used.
 */
final class StateFile {
    static final String MAGIC = "l2o4j-djl-optimizer-state";

    /** The version written for float32 state. */
    static final int VERSION = 2;

    /** The version written for 16-bit state (adds the state type after the fingerprint). */
    static final int VERSION_STATE_TYPE = 3;

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

    /** The state type of a rule: the LSTM's, float32 for any other rule. */
    static StateType stateType(UpdateRule rule) {
        return rule instanceof LstmOptimizer lstm ? lstm.stateType() : StateType.FLOAT32;
    }

    static void write(OutputStream out, UpdateRule rule, List<Entry> entries) throws IOException {
        BufferedOutputStream buffered = new BufferedOutputStream(out);
        MessageDigest sha = sha256();
        DigestOutputStream digest = new DigestOutputStream(buffered, sha);
        DataOutputStream d = new DataOutputStream(digest);
        StateType type = stateType(rule);
        d.writeUTF(MAGIC);
        d.writeInt(type == StateType.FLOAT32 ? VERSION : VERSION_STATE_TYPE);
        d.writeUTF(rule.name());
        d.writeUTF(fingerprint(rule));
        if (type != StateType.FLOAT32) {
            d.writeUTF(type.id());
        }
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
     * @throws StateFileException if the state was saved by an optimizer with other weights (a state
     *     of another {@link StateType} is converted to the rule's)
     */
    static List<Entry> read(InputStream in, String source, UpdateRule rule, long size)
            throws IOException {
        Counting counted = new Counting(new BufferedInputStream(in));
        DigestInputStream digest = new DigestInputStream(counted, sha256());
        DataInputStream d = new DataInputStream(digest);
        String name;
        String fingerprint;
        String typeName = StateType.FLOAT32.id();
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
            if (version != VERSION
                    && version != VERSION_UNCHECKED
                    && version != VERSION_STATE_TYPE) {
                throw damaged(
                        source,
                        "its format version reads "
                                + version
                                + ", but this l2o4j writes "
                                + VERSION
                                + " or "
                                + VERSION_STATE_TYPE
                                + " and reads "
                                + VERSION_UNCHECKED
                                + " to "
                                + VERSION_STATE_TYPE
                                + "; if a newer l2o4j wrote it, load it with that",
                        null);
            }
            boolean checked = version != VERSION_UNCHECKED;
            long trailer = checked ? CHECKSUM_BYTES : 0;
            name = d.readUTF();
            fingerprint = d.readUTF();
            if (version == VERSION_STATE_TYPE) {
                typeName = d.readUTF(); // parsed once the checksum has been verified
            }
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
            if (checked) {
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
        StateType fileType;
        try {
            fileType = StateType.parse(typeName);
        } catch (IllegalArgumentException e) {
            throw damaged(
                    source,
                    "its state type reads '" + typeName + "' (a newer l2o4j may have written it)",
                    null);
        }
        StateType ruleType = stateType(rule);
        int filePer =
                rule instanceof LstmOptimizer lstm
                        ? fileType.slotsPerCoordinate(lstm.config())
                        : rule.stateSizePerCoordinate();
        if (!name.equals(rule.name())
                || !fingerprint.equals(fingerprint(rule))
                || per != filePer
                || (fileType != ruleType && !(rule instanceof LstmOptimizer))) {
            throw new StateFileException(
                    source,
                    "the state was saved by optimizer '"
                            + name
                            + "' ("
                            + fingerprint
                            + ", "
                            + per
                            + " floats per coordinate of "
                            + fileType.id()
                            + " state) but this optimizer is '"
                            + rule.name()
                            + "' ("
                            + fingerprint(rule)
                            + ", "
                            + rule.stateSizePerCoordinate()
                            + " of "
                            + ruleType.id()
                            + "); load it into an optimizer built with the same weights");
        }
        if (fileType != ruleType) {
            // convert: exact when widening to float32, one rounding to nearest even otherwise
            LstmOptimizer lstm = (LstmOptimizer) rule;
            List<Entry> converted = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                OptimizerState s = e.state();
                OptimizerState c =
                        OptimizerState.wrap(
                                s.size(),
                                rule.stateSizePerCoordinate(),
                                fileType.convert(s.data(), s.size(), lstm.config(), ruleType));
                c.setStepCount(s.stepCount());
                c.addSkipped(s.skippedCount());
                converted.add(new Entry(e.parameterName(), e.device(), c));
            }
            return converted;
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
