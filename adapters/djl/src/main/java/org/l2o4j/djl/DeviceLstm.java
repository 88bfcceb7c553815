package org.l2o4j.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.optim.OptimizerState;

/**
 * The learned optimizer's step as NDArray operations on the parameter's own device (the "device
 * path" of {@link LearnedOptimizer}): the same math as the core's Java kernel (docs/design.md
 * section 1), written as three stages, features -> cell -> head, over all coordinates of a
 * parameter at once.
 *
 * <p>Layout (docs/design.md section 8, the core's structure of arrays, kept on the device): per
 * layer {@code h} and {@code c} are {@code [H, n]} arrays, coordinate innermost, so the state of
 * {@code n} coordinates converts to and from the core's {@link OptimizerState} (rows {@code l*2H +
 * j} = h, {@code l*2H + H + j} = c) without transposes. Each layer is one matrix product {@code
 * [4H, in+H] x [in+H, n]} for all gates of all hidden units, gate rows in PyTorch's order i, f, g,
 * o as in {@link LstmWeights}; then one {@code tanh} over all gates, using {@code sigmoid(x) = 0.5
 * + 0.5 tanh(x/2)} like the Java kernel (the halving is folded into the i, f, o rows of the
 * weights, which is exact in float).
 *
 * <p>Thread-safe: the weights are uploaded once per device and only read afterwards; a state is
 * used by one update at a time (its caller holds the parameter's lock).
 */
final class DeviceLstm {
    private final LstmConfig config;
    private final float[] params;
    private final Map<Device, Weights> byDevice = new ConcurrentHashMap<>();

    LstmConfig config() {
        return config;
    }

    /** The weights on one device, gate rows prepared for the single tanh. */
    private static final class Weights {
        final NDManager manager;
        final NDArray[] w; // per layer [4H, in+H]: [W_ih | W_hh], rows i, f, o halved
        final NDArray[] b; // per layer [4H, 1], rows i, f, o halved
        final NDArray post; // [4H, 1]: 0.5 for i, f, o; 1 for g
        final NDArray shift; // [4H, 1]: 0.5 for i, f, o; 0 for g
        final NDArray outW; // [1, H]
        final NDArray zero; // scalar 0 (float32)
        final NDArray minusOne; // scalar -1 (float32)

        Weights(NDManager manager, LstmConfig c, float[] p) {
            this.manager = manager;
            int h = c.hidden();
            int layers = c.layers();
            w = new NDArray[layers];
            b = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                int in = c.layerInputSize(l);
                int k = in + h;
                float[] wl = new float[4 * h * k];
                float[] bl = new float[4 * h];
                int wih = LstmWeights.weightIhOffset(c, l);
                int whh = LstmWeights.weightHhOffset(c, l);
                int bo = LstmWeights.biasOffset(c, l);
                for (int row = 0; row < 4 * h; row++) {
                    float s = gateScale(row, h);
                    for (int q = 0; q < in; q++) {
                        wl[row * k + q] = s * p[wih + row * in + q];
                    }
                    for (int q = 0; q < h; q++) {
                        wl[row * k + in + q] = s * p[whh + row * h + q];
                    }
                    bl[row] = s * p[bo + row];
                }
                w[l] = manager.create(wl, new Shape(4L * h, k));
                b[l] = manager.create(bl, new Shape(4L * h, 1));
            }
            float[] post = new float[4 * h];
            float[] shift = new float[4 * h];
            for (int row = 0; row < 4 * h; row++) {
                boolean gCandidate = row / h == 2;
                post[row] = gCandidate ? 1f : 0.5f;
                shift[row] = gCandidate ? 0f : 0.5f;
            }
            this.post = manager.create(post, new Shape(4L * h, 1));
            this.shift = manager.create(shift, new Shape(4L * h, 1));
            int out = LstmWeights.outputWeightOffset(c);
            float[] ow = new float[h];
            System.arraycopy(p, out, ow, 0, h);
            this.outW = manager.create(ow, new Shape(1, h));
            this.zero = manager.create(0f);
            this.minusOne = manager.create(-1f);
            // Created during an update: keep them out of its NDScope (they live as long as this).
            NDScope.unregister(w);
            NDScope.unregister(b);
            NDScope.unregister(this.post, this.shift, this.outW, this.zero, this.minusOne);
        }

        /** 0.5 for the rows of the sigmoid gates i, f, o (then tanh gives the sigmoid); 1 for g. */
        private static float gateScale(int row, int h) {
            return row / h == 2 ? 1f : 0.5f;
        }
    }

    private Weights weights(NDManager like, Device device) {
        return byDevice.computeIfAbsent(
                device,
                d ->
                        new Weights(
                                NDManager.newBaseManager(d, like.getEngine().getEngineName()),
                                config,
                                params));
    }

    /**
     * Coordinates per piece of a parameter's step: a large parameter is processed in pieces of at
     * most this many coordinates (each with its own state arrays), so the temporaries of a step
     * (about {@code in + 15 H} floats per coordinate of one piece) stay bounded however large the
     * parameter is.
     */
    static final int DEFAULT_CHUNK = 1 << 20;

    private final int chunk;

    DeviceLstm(LstmOptimizer rule, int chunk) {
        this.config = rule.config();
        this.params = rule.weights().parameters().clone();
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be >= 1 but was " + chunk);
        }
        this.chunk = chunk;
    }

    /** The optimizer state of one parameter on one device: pieces of at most {@link #chunk}. */
    static final class State {
        final NDManager manager;
        final int n;
        final int[] from; // first coordinate of each piece
        final int[] size; // coordinates of each piece
        final NDArray[][] h; // [piece][layer]: [H, size]
        final NDArray[][] c; // [piece][layer]: [H, size]
        long stepCount;
        long skippedCount;

        private State(NDManager manager, int n, int layers, int chunk) {
            this.manager = manager;
            this.n = n;
            int pieces = Math.max(1, (n + chunk - 1) / chunk);
            this.from = new int[pieces];
            this.size = new int[pieces];
            for (int k = 0; k < pieces; k++) {
                from[k] = k * chunk;
                size[k] = Math.min(chunk, n - from[k]);
            }
            this.h = new NDArray[pieces][layers];
            this.c = new NDArray[pieces][layers];
        }

        /** A host copy in the core's layout (one device-to-host transfer per piece). */
        OptimizerState toHost() {
            int layers = h[0].length;
            int hidden = (int) h[0][0].getShape().get(0);
            int per = 2 * hidden * layers;
            float[] data = new float[Math.multiplyExact(n, per)];
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (int k = 0; k < from.length; k++) {
                    if (size[k] == 0) {
                        continue;
                    }
                    NDList rows = new NDList(2 * layers);
                    for (int l = 0; l < layers; l++) {
                        rows.add(h[k][l]);
                        rows.add(c[k][l]);
                    }
                    float[] piece = NDArrays.concat(rows, 0).toFloatArray(); // [per, size]
                    for (int r = 0; r < per; r++) {
                        System.arraycopy(piece, r * size[k], data, r * n + from[k], size[k]);
                    }
                }
            }
            OptimizerState s = OptimizerState.wrap(n, per, data);
            s.setStepCount(stepCount);
            s.addSkipped(skippedCount);
            return s;
        }

        /** Frees the device memory. */
        void close() {
            manager.close();
        }
    }

    /**
     * A state on {@code device} for {@code n} coordinates, from {@code host} (the core's layout) or
     * fresh (zeros) if {@code host} is null.
     */
    State newState(NDManager like, Device device, int n, OptimizerState host) {
        int hidden = config.hidden();
        int layers = config.layers();
        NDManager m = NDManager.newBaseManager(device, like.getEngine().getEngineName());
        State s = new State(m, n, layers, chunk);
        if (host != null) {
            host.requirePerCoordinate(config.stateSizePerCoordinate(), "the learned optimizer");
            s.stepCount = host.stepCount();
            s.skippedCount = host.skippedCount();
        }
        for (int k = 0; k < s.from.length; k++) {
            int size = s.size[k];
            Shape shape = new Shape(hidden, size);
            for (int l = 0; l < layers; l++) {
                if (host == null) {
                    s.h[k][l] = m.zeros(shape, DataType.FLOAT32);
                    s.c[k][l] = m.zeros(shape, DataType.FLOAT32);
                } else {
                    s.h[k][l] =
                            m.create(rows(host, 2 * l * hidden, hidden, s.from[k], size), shape);
                    s.c[k][l] =
                            m.create(
                                    rows(host, (2 * l + 1) * hidden, hidden, s.from[k], size),
                                    shape);
                }
                NDScope.unregister(s.h[k][l], s.c[k][l]);
            }
        }
        return s;
    }

    /** Rows {@code [row0, row0 + count)}, coordinates {@code [from, from + size)} of a state. */
    private static float[] rows(OptimizerState host, int row0, int count, int from, int size) {
        float[] d = host.data();
        int n = host.size();
        float[] out = new float[count * size];
        for (int r = 0; r < count; r++) {
            System.arraycopy(d, (row0 + r) * n + from, out, r * size, size);
        }
        return out;
    }

    /**
     * One step for all coordinates of a parameter: returns the update {@code [n]} (to be added to
     * the parameter) and replaces the state in {@code s}. Call inside an {@link NDScope} with
     * PyTorch's grad mode off; the update is a temporary of that scope.
     *
     * @param g the gradient after rescaling, clipping and weight decay, {@code [n]}, on the state's
     *     device
     * @param freezeZeros whether a coordinate with gradient exactly +-0 keeps its state and gets
     *     update +0
     * @param skipNonFinite whether a NaN/infinite gradient leaves its coordinate and state alone
     *     (the SKIP policy; under ERROR the caller has already rejected them)
     */
    NDArray step(State s, NDArray g, boolean freezeZeros, boolean skipNonFinite) {
        Weights w = weights(s.manager, s.manager.getDevice());
        int pieces = s.from.length;
        if (pieces == 1) {
            NDArray u = stepPiece(w, s, 0, g, freezeZeros, skipNonFinite);
            s.stepCount++;
            return u;
        }
        NDList updates = new NDList(pieces);
        try {
            for (int k = 0; k < pieces; k++) {
                try (NDScope piece = new NDScope()) {
                    piece.suppressNotUsedWarning();
                    NDArray gk = g.get(s.from[k] + ":" + (s.from[k] + s.size[k]));
                    NDArray u = stepPiece(w, s, k, gk, freezeZeros, skipNonFinite);
                    NDScope.unregister(u); // kept until the concatenation below
                    updates.add(u);
                }
            }
            s.stepCount++;
            return NDArrays.concat(updates, 0);
        } finally {
            updates.close();
        }
    }

    /** The step of piece {@code k}: its update {@code [size]}. */
    private NDArray stepPiece(
            Weights w, State s, int k, NDArray g, boolean freezeZeros, boolean skipNonFinite) {
        int n = s.size[k];
        NDArray keep = null; // [1, n]: coordinates that keep their state and get update 0
        if (skipNonFinite) {
            NDArray bad = g.isNaN().logicalOr(g.isInfinite());
            s.skippedCount += bad.sum().toType(DataType.INT64, false).getLong();
            keep = bad;
        }
        if (freezeZeros) {
            NDArray zero = g.eq(0f);
            keep = keep == null ? zero : keep.logicalOr(zero);
        }
        if (keep != null) {
            keep = keep.reshape(1, n);
        }
        NDArray x = features(w, g, n);
        for (int l = 0; l < config.layers(); l++) {
            x = cell(w, l, s.h[k], s.c[k], x, keep);
        }
        NDArray u = head(w, x);
        if (keep != null) {
            u = where(keep, w.zero, u);
        }
        return u.reshape(n);
    }

    /** PyTorch's {@code where} (broadcasting; DJL's own requires equal shapes). */
    private static NDArray where(NDArray condition, NDArray a, NDArray b) {
        return JniUtils.where((PtNDArray) condition, (PtNDArray) a, (PtNDArray) b);
    }

    /** Features: {@code [in_0, n]} (log-sign: two rows; none: the gradient). */
    private NDArray features(Weights w, NDArray g, int n) {
        if (config.preprocessing() == Preprocessing.NONE) {
            return g.reshape(1, n);
        }
        double p = config.logSignP();
        float threshold = (float) Math.exp(-p);
        float invP = (float) (1.0 / p);
        float expP = (float) Math.exp(p);
        NDArray a = g.abs();
        NDArray big = a.gte(threshold);
        NDArray magnitude = where(big, a.log().muli(invP), w.minusOne);
        NDArray second = where(big, g.sign(), g.mul(expP));
        return NDArrays.stack(new NDList(magnitude, second), 0);
    }

    /**
     * Layer {@code l} of the cell: updates {@code hs[l]}, {@code cs[l]} (except the {@code keep}
     * coordinates) and returns the new {@code h} as the next layer's input.
     */
    private NDArray cell(Weights w, int l, NDArray[] hs, NDArray[] cs, NDArray x, NDArray keep) {
        int hidden = config.hidden();
        NDArray hOld = hs[l];
        NDArray cOld = cs[l];
        try (NDScope layer = new NDScope()) {
            layer.suppressNotUsedWarning();
            NDArray z = w.w[l].matMul(NDArrays.concat(new NDList(x, hOld), 0));
            z.addi(w.b[l]);
            NDArray t = z.tanh(); // i, f, o rows: tanh(z/2) (weights halved); g rows: tanh(z)
            t.muli(w.post).addi(w.shift);
            NDList gates = t.split(new long[] {hidden, 2L * hidden, 3L * hidden}, 0);
            NDArray i = gates.get(0);
            NDArray f = gates.get(1);
            NDArray gg = gates.get(2);
            NDArray o = gates.get(3);
            NDArray cNew = f.mul(cOld).addi(i.mul(gg));
            NDArray hNew = o.mul(cNew.tanh());
            if (keep != null) {
                cNew = where(keep, cOld, cNew);
                hNew = where(keep, hOld, hNew);
            }
            // Take over the new arrays' storage (no copy); the old state is freed.
            hOld.intern(hNew);
            cOld.intern(cNew);
        }
        return hs[l];
    }

    /** Head: {@code scale * (w . h + b)}, {@code [1, n]}. */
    private NDArray head(Weights w, NDArray h) {
        float bias = params[LstmWeights.outputWeightOffset(config) + config.hidden()];
        return w.outW.matMul(h).addi(bias).muli((float) config.outputScale());
    }
}
