package org.l2o4j.djl;

import ai.djl.Device;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
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
 *   UTF  "l2o4j-djl-optimizer-state"   int version (1)
 *   UTF  rule name   UTF rule fingerprint (sha256 of the LSTM weights, or the rule's toString)
 *   int  floats per coordinate   int number of entries
 *   per entry: UTF parameter name, UTF device, int n, long stepCount, long skippedCount,
 *              n * perCoordinate float32 (little-endian)
 * </pre>
 */
final class StateFile {
    static final String MAGIC = "l2o4j-djl-optimizer-state";
    static final int VERSION = 1;

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
            throw new IOException(
                    source + ": bad device '" + name + "' (expected type:id, e.g. gpu:0)", e);
        }
    }

    static String fingerprint(UpdateRule rule) {
        if (rule instanceof LstmOptimizer lstm) {
            float[] p = lstm.weights().parameters();
            ByteBuffer b = ByteBuffer.allocate(p.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(p);
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update(lstm.config().toString().getBytes(StandardCharsets.UTF_8));
                md.update(b.array());
                return "sha256:" + HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return rule.toString();
    }

    static void write(OutputStream out, UpdateRule rule, List<Entry> entries) throws IOException {
        DataOutputStream d = new DataOutputStream(new BufferedOutputStream(out));
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
    }

    static List<Entry> read(InputStream in, String source, UpdateRule rule) throws IOException {
        DataInputStream d = new DataInputStream(new BufferedInputStream(in));
        try {
            String magic = d.readUTF();
            if (!MAGIC.equals(magic)) {
                throw new IOException(
                        source
                                + ": not an l2o4j DJL optimizer state file (header '"
                                + magic
                                + "')");
            }
            int version = d.readInt();
            if (version != VERSION) {
                throw new IOException(
                        source
                                + ": optimizer state format version "
                                + version
                                + " is not supported (expected "
                                + VERSION
                                + ")");
            }
            String name = d.readUTF();
            String fingerprint = d.readUTF();
            int per = d.readInt();
            String expected = fingerprint(rule);
            if (!name.equals(rule.name())
                    || !fingerprint.equals(expected)
                    || per != rule.stateSizePerCoordinate()) {
                throw new IOException(
                        source
                                + ": the state was saved by optimizer '"
                                + name
                                + "' ("
                                + fingerprint
                                + ", "
                                + per
                                + " floats per coordinate) but this optimizer is '"
                                + rule.name()
                                + "' ("
                                + expected
                                + ", "
                                + rule.stateSizePerCoordinate()
                                + "); load it into an optimizer built with the same weights");
            }
            int count = d.readInt();
            if (count < 0) {
                throw new IOException(source + ": negative entry count " + count);
            }
            List<Entry> entries = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                String param = d.readUTF();
                String device = d.readUTF();
                int n = d.readInt();
                long steps = d.readLong();
                long skipped = d.readLong();
                if (n < 0 || steps < 0 || skipped < 0) {
                    throw new IOException(source + ": corrupt entry for parameter " + param);
                }
                byte[] bytes = new byte[Math.multiplyExact(Math.multiplyExact(n, per), 4)];
                d.readFully(bytes);
                float[] data = new float[n * per];
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
                OptimizerState s = OptimizerState.wrap(n, per, data);
                s.setStepCount(steps);
                s.addSkipped(skipped);
                entries.add(new Entry(param, device, s));
            }
            return entries;
        } catch (EOFException e) {
            throw new IOException(source + ": optimizer state file is truncated", e);
        }
    }
}
