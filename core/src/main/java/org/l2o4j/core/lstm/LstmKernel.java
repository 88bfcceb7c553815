package org.l2o4j.core.lstm;

/**
 * The LSTM forward step over a range of coordinates: what the scalar ({@link ScalarLstmKernel}) and
 * the vector kernel ({@code VectorLstmKernel}, in {@code src/main/java-vector}) share, the weights
 * packed for them and the per-step constants; the arithmetic is in the subclasses.
 *
 * <p>Coordinates are processed in tiles of {@link #tileWidth()} coordinates. For each tile and
 * layer the layer input (features or the previous layer's new h) and the old h are gathered into a
 * small contiguous scratch, then for each hidden unit the four gate pre-activations of the whole
 * tile are accumulated at once from one {@linkplain #packed packed} weight stream (the four gate
 * weights of one unit and one input are adjacent), so every weight is loaded once per tile.
 *
 * <p>Instances are immutable and thread-safe; per-thread scratch is passed in ({@link Scratch}).
 * Results do not depend on how a range is split, as long as split points are multiples of {@link
 * #tileWidth()}: the final partial tile and tiles with non-finite gradients always go through
 * {@link ScalarLstmKernel#scalarTile}.
 *
 * <p>Exactly-zero gradients under {@link ZeroGradientPolicy#FREEZE} ({@code freezeZeros}): the
 * coordinate gets update {@code +0.0} and its state is not written. Every coordinate's arithmetic
 * is independent of the others in its tile, so freezing one changes nothing for its neighbours.
 */
abstract class LstmKernel {
    final LstmConfig config;
    final int layers;
    final int hidden;
    final int features;
    final boolean logSign;
    final float logSignP;
    final float invLogSignP;
    final float expP;
    final float logSignThreshold;
    final float outputScale;

    /**
     * The LSTM weights repacked for the kernels: for layer {@code l} (at {@link #layerOffset}),
     * hidden unit {@code j}, a block of {@code 4 * (in + H + 1)} floats: for each input {@code k}
     * in {@code [x_0..x_in-1, h_0..h_H-1]} the four gate weights {@code (i, f, g, o)}, then the
     * four biases. After the layers: output weight [H] and output bias.
     */
    final float[] packed;

    final int[] layerOffset;
    final int outputOffset;

    LstmKernel(LstmWeights weights) {
        this.config = weights.config();
        this.layers = config.layers();
        this.hidden = config.hidden();
        this.features = config.inputFeatures();
        this.logSign = config.preprocessing() == Preprocessing.LOG_SIGN;
        this.logSignP = (float) config.logSignP();
        this.invLogSignP = (float) (1.0 / config.logSignP());
        this.expP = (float) Math.exp(config.logSignP());
        this.logSignThreshold = (float) Math.exp(-config.logSignP());
        this.outputScale = (float) config.outputScale();
        float[] p = weights.parameters();
        if (config.cell() != CellType.LSTM) {
            // another cell's kernel (CellKernel) reads the canonical parameters as they are
            this.layerOffset = new int[0];
            this.outputOffset = 0;
            this.packed = p;
            return;
        }
        int h = hidden;
        this.layerOffset = new int[layers];
        int size = 0;
        for (int l = 0; l < layers; l++) {
            layerOffset[l] = size;
            size += h * 4 * (config.layerInputSize(l) + h + 1);
        }
        this.outputOffset = size;
        this.packed = new float[size + h + 1];
        for (int l = 0; l < layers; l++) {
            int in = config.layerInputSize(l);
            int wih = LstmWeights.weightIhOffset(config, l);
            int whh = LstmWeights.weightHhOffset(config, l);
            int b = LstmWeights.biasOffset(config, l);
            int k4 = 4 * (in + h + 1);
            for (int j = 0; j < h; j++) {
                int base = layerOffset[l] + j * k4;
                for (int q = 0; q < 4; q++) {
                    int row = q * h + j;
                    for (int k = 0; k < in; k++) {
                        packed[base + 4 * k + q] = p[wih + row * in + k];
                    }
                    for (int k = 0; k < h; k++) {
                        packed[base + 4 * (in + k) + q] = p[whh + row * h + k];
                    }
                    packed[base + 4 * (in + h) + q] = p[b + row];
                }
            }
        }
        int out = LstmWeights.outputWeightOffset(config);
        System.arraycopy(p, out, packed, outputOffset, h + 1);
    }

    /** A short description for logs and benchmarks. */
    abstract String description();

    /** Coordinates per tile; split points of a range must be multiples of it. */
    abstract int tileWidth();

    /** Floats of scratch one thread needs. */
    abstract int scratchSize();

    /**
     * Processes coordinates {@code [from, to)} of a state of {@code n} coordinates.
     *
     * @param checkFinite whether the gradient may contain non-finite values (SKIP policy)
     * @param freezeZeros whether coordinates with a gradient of exactly {@code +-0.0} get update
     *     {@code +0.0} and keep their state ({@link ZeroGradientPolicy#FREEZE})
     * @param theta the parameter values before the step, {@code theta[thetaOff + i]} for coordinate
     *     {@code i}; null when the features do not {@linkplain FeatureSet#needsParam() need them}.
     *     The cells with the {@code param} feature read them (CellKernel); the LSTM, whose features
     *     never include it, ignores them
     * @return the number of coordinates skipped because of non-finite gradients
     */
    abstract long run(
            float[] s,
            int n,
            float[] theta,
            int thetaOff,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            boolean freezeZeros,
            float[] scratch);

    /** Floats of the per-thread tile state a 16-bit step needs ({@link #run16}). */
    final int tileStateSize() {
        return tileWidth() * config.stateSizePerCoordinate();
    }

    /**
     * Processes coordinates {@code [from, to)} of a packed 16-bit state ({@link
     * StateType#packed()}, {@code H * L} slots per coordinate): per tile, decodes the state exactly
     * into the float32 tile state {@code ts} (rows of {@link #tileWidth()} floats, the float32
     * layout), runs the float32 code on it ({@link #run}, on the same tiles as a float32 step) and
     * rounds it back. So a 16-bit step gives bit-for-bit the float32 step on the decoded state,
     * followed by rounding the new state; coordinates the float32 step leaves alone (frozen,
     * skipped) keep their bits.
     */
    final long run16(
            StateType type,
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            boolean freezeZeros,
            float[] scratch,
            float[] ts) {
        final int tw = tileWidth();
        long skipped = 0;
        for (int i0 = from; i0 < to; i0 += tw) {
            int w = Math.min(tw, to - i0);
            if (freezeZeros && ScalarLstmKernel.countZeros(grad, gradOff + i0, w) == w) {
                // every coordinate frozen: nothing to decode, compute or store
                for (int c = 0; c < w; c++) {
                    upd[updOff + i0 + c] = 0f;
                }
                continue;
            }
            decodeTile(type, s, n, i0, w, ts);
            skipped +=
                    run(
                            ts,
                            tw,
                            null,
                            0,
                            grad,
                            gradOff + i0,
                            upd,
                            updOff + i0,
                            0,
                            w,
                            checkFinite,
                            freezeZeros,
                            scratch);
            encodeTile(type, ts, s, n, i0, w);
        }
        return skipped;
    }

    /**
     * Decodes the packed slots of coordinates {@code [i0, i0 + w)} into the float32 tile state
     * {@code ts} (row {@code k} at {@code k * tileWidth()}). Overridden by the vector kernel.
     */
    void decodeTile(StateType type, float[] s, int n, int i0, int w, float[] ts) {
        decodeTileScalar(type, s, n, i0, w, ts);
    }

    /**
     * Rounds the float32 tile state back into the packed slots. Overridden by the vector kernel.
     */
    void encodeTile(StateType type, float[] ts, float[] s, int n, int i0, int w) {
        encodeTileScalar(type, ts, s, n, i0, w);
    }

    final void decodeTileScalar(StateType type, float[] s, int n, int i0, int w, float[] ts) {
        final int tw = tileWidth();
        final int h = hidden;
        final boolean bf = type == StateType.BFLOAT16;
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int src = StateType.packedRow(l, j, h) * n + i0;
                int hDst = (l * 2 * h + j) * tw;
                int cDst = hDst + h * tw;
                for (int c = 0; c < w; c++) {
                    int bits = Float.floatToRawIntBits(s[src + c]);
                    if (bf) {
                        ts[hDst + c] = Float.intBitsToFloat(bits & 0xFFFF0000);
                        ts[cDst + c] = Float.intBitsToFloat(bits << 16);
                    } else {
                        ts[hDst + c] = StateType.float16ToFloat(bits >>> 16);
                        ts[cDst + c] = StateType.float16ToFloat(bits);
                    }
                }
            }
        }
    }

    final void encodeTileScalar(StateType type, float[] ts, float[] s, int n, int i0, int w) {
        final int tw = tileWidth();
        final int h = hidden;
        final boolean bf = type == StateType.BFLOAT16;
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int dst = StateType.packedRow(l, j, h) * n + i0;
                int hSrc = (l * 2 * h + j) * tw;
                int cSrc = hSrc + h * tw;
                for (int c = 0; c < w; c++) {
                    int hb;
                    int cb;
                    if (bf) {
                        hb = StateType.floatToBfloat16(ts[hSrc + c]);
                        cb = StateType.floatToBfloat16(ts[cSrc + c]);
                    } else {
                        hb = StateType.floatToFloat16(ts[hSrc + c]);
                        cb = StateType.floatToFloat16(ts[cSrc + c]);
                    }
                    s[dst + c] = Float.intBitsToFloat((hb << 16) | cb);
                }
            }
        }
    }
}
