package org.l2o4j.core.lstm;

import java.util.Locale;
import java.util.Objects;

/**
 * How {@link LstmOptimizer} stores the recurrent state {@code (h, c)} between steps. The step
 * always computes in float32; with a 16-bit type the state is decoded exactly to float32 when a
 * tile is loaded and rounded to 16 bits when it is stored, halving the state memory (see
 * docs/design.md section 8 for the layout).
 *
 * <p>Rounding: {@link #BFLOAT16} and {@link #FLOAT16} round to nearest, ties to even (not
 * truncation). A finite value never becomes infinite: beyond the largest finite value of the type
 * (bfloat16 {@code 3.3895e38}, float16 {@code 65504}) it saturates to that value, so that a cell
 * state {@code c} that outgrows float16's range (it grows by at most 1 per step, so only after tens
 * of thousands of steps with a forget gate near 1) keeps {@code tanh(c) = +-1} and never becomes
 * {@code 0 * inf = NaN} when its forget gate rounds to 0. Infinities stay infinite, a NaN stays a
 * (quiet) NaN; float16 subnormals are kept (gradual underflow, not flushed to zero).
 *
 * <p>Packed layout ({@link #BFLOAT16}, {@link #FLOAT16}): two 16-bit values per float slot of the
 * {@link org.l2o4j.core.optim.OptimizerState}, {@code H * L} slots per coordinate instead of {@code
 * 2 * H * L} floats: slot row {@code r = l * H + j} holds {@code h_j} of layer {@code l} in its
 * high 16 bits and {@code c_j} in its low 16 bits ({@link #packedRow}). The slots are bit
 * containers: a host framework must copy them bitwise (any plain copy, serialization or assignment
 * does), never through arithmetic.
 */
public enum StateType {
    /** Plain float32 state, {@code 2 * H * L} floats per coordinate (the default). */
    FLOAT32("float32", 4),
    /** bfloat16 (8-bit exponent, 7-bit mantissa): float32's range, about 2.4 significant digits. */
    BFLOAT16("bfloat16", 2),
    /** IEEE half precision (5-bit exponent, 10-bit mantissa): range +-65504, about 3.3 digits. */
    FLOAT16("float16", 2);

    private final String id;
    private final int bytes;

    StateType(String id, int bytes) {
        this.id = id;
        this.bytes = bytes;
    }

    /** The lower-case name, as accepted by {@link #parse} and the command line. */
    public String id() {
        return id;
    }

    /** Bytes per stored state value (4 or 2). */
    public int bytesPerValue() {
        return bytes;
    }

    /** Whether the state is packed two values per float slot. */
    public boolean packed() {
        return this != FLOAT32;
    }

    /**
     * Float slots of {@link org.l2o4j.core.optim.OptimizerState} per coordinate for a config:
     * {@code 2 * H * L} for {@link #FLOAT32}, {@code H * L} for the 16-bit types.
     */
    public int slotsPerCoordinate(LstmConfig config) {
        int values = config.stateSizePerCoordinate();
        return packed() ? values / 2 : values;
    }

    /** Bytes of state per coordinate (per model parameter) for a config. */
    public long bytesPerCoordinate(LstmConfig config) {
        return 4L * slotsPerCoordinate(config);
    }

    /**
     * The type named {@code s}: {@code float32}, {@code bfloat16} or {@code float16} (case ignored;
     * {@code fp32}, {@code bf16}, {@code fp16} also accepted).
     *
     * @throws IllegalArgumentException naming the accepted values otherwise
     */
    public static StateType parse(String s) {
        Objects.requireNonNull(s, "state type");
        String v = s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "float32":
            case "fp32":
                return FLOAT32;
            case "bfloat16":
            case "bf16":
                return BFLOAT16;
            case "float16":
            case "fp16":
            case "half":
                return FLOAT16;
            default:
                throw new IllegalArgumentException(
                        "Unknown state type '" + s + "': expected float32, bfloat16 or float16");
        }
    }

    /** The value a float takes when stored in this type and read back (identity for FLOAT32). */
    public float round(float x) {
        switch (this) {
            case BFLOAT16:
                return bfloat16ToFloat(floatToBfloat16(x));
            case FLOAT16:
                return float16ToFloat(floatToFloat16(x));
            default:
                return x;
        }
    }

    /** The 16-bit pattern (in the low 16 bits) of {@code x} in this 16-bit type. */
    public int encode(float x) {
        switch (this) {
            case BFLOAT16:
                return floatToBfloat16(x);
            case FLOAT16:
                return floatToFloat16(x);
            default:
                throw new UnsupportedOperationException("float32 is not a 16-bit type");
        }
    }

    /** The float value of a 16-bit pattern (low 16 bits of {@code bits}) of this 16-bit type. */
    public float decode(int bits) {
        switch (this) {
            case BFLOAT16:
                return bfloat16ToFloat(bits);
            case FLOAT16:
                return float16ToFloat(bits);
            default:
                throw new UnsupportedOperationException("float32 is not a 16-bit type");
        }
    }

    /** The packed slot of a pair: {@code h} in the high 16 bits, {@code c} in the low ones. */
    public float pack(float h, float c) {
        return Float.intBitsToFloat((encode(h) << 16) | encode(c));
    }

    /** The {@code h} half of a packed slot. */
    public float unpackH(float slot) {
        return decode(Float.floatToRawIntBits(slot) >>> 16);
    }

    /** The {@code c} half of a packed slot. */
    public float unpackC(float slot) {
        return decode(Float.floatToRawIntBits(slot) & 0xFFFF);
    }

    /** Slot row of the pair {@code (h_j, c_j)} of layer {@code l} with {@code hidden} units. */
    public static int packedRow(int layer, int unit, int hidden) {
        return layer * hidden + unit;
    }

    /**
     * Converts a state's data from this type's layout to {@code target}'s (float32 rows {@code k *
     * n + i} as in {@link LstmOptimizer}, packed slots as above), for {@code n} coordinates.
     * Widening to float32 is exact; narrowing rounds as a step's store does; between the two 16-bit
     * types the value goes through float32 (one rounding).
     *
     * @return a new array of {@code n * target.slotsPerCoordinate(config)} floats
     */
    public float[] convert(float[] data, int n, LstmConfig config, StateType target) {
        int per = slotsPerCoordinate(config);
        if (data.length != (long) n * per) {
            throw new IllegalArgumentException(
                    "State data of "
                            + n
                            + " coordinates in "
                            + id
                            + " must have "
                            + (long) n * per
                            + " floats but has "
                            + data.length);
        }
        if (target == this) {
            return data.clone();
        }
        int h = config.hidden();
        int layers = config.layers();
        float[] out = new float[Math.multiplyExact(n, target.slotsPerCoordinate(config))];
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < h; j++) {
                int hRow = l * 2 * h + j;
                int cRow = hRow + h;
                int pRow = packedRow(l, j, h);
                for (int i = 0; i < n; i++) {
                    float hv;
                    float cv;
                    if (packed()) {
                        float slot = data[pRow * n + i];
                        hv = unpackH(slot);
                        cv = unpackC(slot);
                    } else {
                        hv = data[hRow * n + i];
                        cv = data[cRow * n + i];
                    }
                    if (target.packed()) {
                        out[pRow * n + i] = target.pack(hv, cv);
                    } else {
                        out[hRow * n + i] = hv;
                        out[cRow * n + i] = cv;
                    }
                }
            }
        }
        return out;
    }

    // ---- scalar conversions (the vector kernel has lane-wise versions of the same functions) ----

    /**
     * float32 to bfloat16, round to nearest even, finite values saturating at {@code +-0x7F7F}
     * (3.3895e38), infinities kept, NaN to a quiet NaN with the same sign. Result in the low 16
     * bits.
     */
    public static int floatToBfloat16(float x) {
        int b = Float.floatToRawIntBits(x);
        int a = b & 0x7FFFFFFF;
        if (a >= 0x7F7F8000) {
            if (a > 0x7F800000) {
                return (b >>> 16) | 0x0040; // NaN: keep sign and top payload, make quiet
            }
            if (a < 0x7F800000) {
                return (b >>> 16 & 0x8000) | 0x7F7F; // would round to infinity: saturate
            }
            return b >>> 16; // +-infinity
        }
        return (b + 0x7FFF + ((b >>> 16) & 1)) >>> 16;
    }

    /** bfloat16 (low 16 bits) to float32, exact. */
    public static float bfloat16ToFloat(int bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /**
     * float32 to IEEE float16, round to nearest even (subnormals included), finite values
     * saturating at {@code +-65504}, infinities kept, NaN to the quiet NaN {@code 0x7E00} with the
     * same sign. Result in the low 16 bits.
     */
    public static int floatToFloat16(float x) {
        int b = Float.floatToRawIntBits(x);
        int sign = (b >>> 16) & 0x8000;
        int a = b & 0x7FFFFFFF;
        int o;
        if (a >= 0x477FF000) {
            // >= 65520 rounds to infinity in IEEE: saturate finite values; keep inf, NaN
            o = a > 0x7F800000 ? 0x7E00 : a == 0x7F800000 ? 0x7C00 : 0x7BFF;
        } else if (a < 0x38800000) {
            // below the smallest normal float16 2^-14: the float add of 0.5 rounds the value to
            // a multiple of 2^-24 (float16's subnormal step), ties to even, in hardware
            o = Float.floatToRawIntBits(Float.intBitsToFloat(a) + 0.5f) - 0x3F000000;
        } else {
            int mantOdd = (a >>> 13) & 1;
            o = (a + ((15 - 127) << 23) + 0xFFF + mantOdd) >>> 13;
        }
        return sign | o;
    }

    /** IEEE float16 (low 16 bits) to float32, exact (subnormals, infinities and NaN included). */
    public static float float16ToFloat(int bits) {
        int h = bits & 0xFFFF;
        int o = (h & 0x7FFF) << 13;
        int exp = o & 0x0F800000;
        o += (127 - 15) << 23;
        float f;
        if (exp == 0x0F800000) {
            f = Float.intBitsToFloat(o + ((128 - 16) << 23)); // inf, NaN
        } else if (exp == 0) {
            // zero or subnormal: renormalize with one exact float subtraction
            f = Float.intBitsToFloat(o + (1 << 23)) - Float.intBitsToFloat(113 << 23);
        } else {
            f = Float.intBitsToFloat(o);
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(f) | (h & 0x8000) << 16);
    }
}
