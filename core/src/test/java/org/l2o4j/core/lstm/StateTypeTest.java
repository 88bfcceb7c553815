package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 16-bit conversions of {@link StateType} against an independent reference (round to nearest
 * even with {@link Math#rint} on the exact double value, saturating), and the vector kernel's
 * lane-wise conversions against the scalar ones.
 */
class StateTypeTest {
    static final double FP16_MAX = 65504.0;
    static final double BF16_MAX = Float.intBitsToFloat(0x7F7F0000);

    /** Reference: {@code x} rounded to bfloat16, ties to even, finite values saturating. */
    static double refBf16(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x) || x == 0) {
            return x;
        }
        int e = Math.max(Math.getExponent(x), -126);
        double ulp = Math.scalb(1.0, e - 7);
        double r = Math.rint(x / ulp) * ulp;
        if (Math.abs(r) > BF16_MAX) {
            r = Math.copySign(BF16_MAX, x);
        }
        return r == 0 ? Math.copySign(0.0, x) : r;
    }

    /** Reference: {@code x} rounded to IEEE float16, ties to even, finite values saturating. */
    static double refFp16(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x) || x == 0) {
            return x;
        }
        int e = Math.max(Math.getExponent(x), -14);
        double ulp = Math.scalb(1.0, e - 10);
        double r = Math.rint(x / ulp) * ulp;
        if (Math.abs(r) > FP16_MAX) {
            r = Math.copySign(FP16_MAX, x);
        }
        return r == 0 ? Math.copySign(0.0, x) : r;
    }

    /** Reference value of a float16 bit pattern, from the IEEE definition. */
    static double refFp16Value(int bits) {
        int sign = (bits >>> 15) & 1;
        int e = (bits >>> 10) & 0x1F;
        int m = bits & 0x3FF;
        double v;
        if (e == 0) {
            v = Math.scalb((double) m, -24);
        } else if (e == 31) {
            v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = Math.scalb((double) (1024 + m), e - 25);
        }
        return sign == 1 ? -v : v;
    }

    private static void check(StateType t, float x) {
        double expected = t == StateType.BFLOAT16 ? refBf16(x) : refFp16(x);
        float actual = t.round(x);
        if (Double.isNaN(expected)) {
            if (!Float.isNaN(actual)) {
                fail(t + " of NaN " + Integer.toHexString(Float.floatToRawIntBits(x)));
            }
            return;
        }
        if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(actual)) {
            fail(
                    t
                            + " of "
                            + x
                            + " (0x"
                            + Integer.toHexString(Float.floatToRawIntBits(x))
                            + "): expected "
                            + expected
                            + " but was "
                            + actual);
        }
    }

    /** Floats around every rounding boundary of the type, plus many random ones. */
    private static void checkMany(StateType t) {
        for (int p = 0; p < 0x10000; p++) {
            float v = t.decode(p);
            if (Float.isNaN(v)) {
                continue;
            }
            // the value itself, its float neighbours, and the midpoint to the next 16-bit value
            // and its float neighbours
            check(t, v);
            check(t, Math.nextUp(v));
            check(t, Math.nextDown(v));
            float next = t.decode(p + 1 & 0xFFFF);
            if (!Float.isNaN(next) && !Float.isInfinite(next) && !Float.isInfinite(v)) {
                float mid = (float) (((double) v + next) / 2);
                check(t, mid);
                check(t, Math.nextUp(mid));
                check(t, Math.nextDown(mid));
            }
        }
        Random r = new Random(1);
        for (int k = 0; k < 1_000_000; k++) {
            check(t, Float.intBitsToFloat(r.nextInt()));
            check(t, (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6)));
        }
        float[] special = {
            0f,
            -0f,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            Float.MIN_NORMAL,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            65504f,
            65519.996f,
            65520f,
            -65520f,
            1e6f,
            -1e6f,
            1e-8f,
            -1e-8f,
            5.9604645e-8f,
            2.9802322e-8f,
            2.9802326e-8f,
            6.097555e-5f,
            6.1035156e-5f
        };
        for (float x : special) {
            check(t, x);
        }
    }

    @Test
    void bfloat16RoundsToNearestEvenAndSaturates() {
        checkMany(StateType.BFLOAT16);
        // ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to even (1)
        assertEquals(1f, StateType.BFLOAT16.round(1f + 0x1p-8f));
        assertEquals(1f + 0x1p-6f, StateType.BFLOAT16.round(1f + 0x1p-7f + 0x1p-8f));
        // not truncation
        assertEquals(1f + 0x1p-7f, StateType.BFLOAT16.round(1f + 0x1p-8f + 0x1p-20f));
        assertEquals(BF16_MAX, StateType.BFLOAT16.round(Float.MAX_VALUE));
    }

    @Test
    void float16RoundsToNearestEvenWithSubnormalsAndSaturates() {
        checkMany(StateType.FLOAT16);
        assertEquals(65504f, StateType.FLOAT16.round(1e9f));
        assertEquals(-65504f, StateType.FLOAT16.round(-70000f));
        assertEquals(Float.POSITIVE_INFINITY, StateType.FLOAT16.round(Float.POSITIVE_INFINITY));
        assertEquals(0x1p-24f, StateType.FLOAT16.round(0x1p-24f));
        assertEquals(0f, StateType.FLOAT16.round(0x1p-25f)); // tie to even: 0
        assertEquals(0x1p-24f, StateType.FLOAT16.round(0x1.000002p-25f));
        assertEquals(0x7BFF, StateType.floatToFloat16(65520f));
        assertEquals(0x7E00, StateType.floatToFloat16(Float.NaN));
        assertEquals(0x8000, StateType.floatToFloat16(-0f));
    }

    @Test
    void decodingIsExactForEveryPattern() {
        for (int p = 0; p < 0x10000; p++) {
            double ref = refFp16Value(p);
            float f16 = StateType.float16ToFloat(p);
            if (Double.isNaN(ref)) {
                assertTrue(Float.isNaN(f16), "float16 " + Integer.toHexString(p));
            } else {
                assertEquals(
                        Double.doubleToRawLongBits(ref),
                        Double.doubleToRawLongBits(f16),
                        "float16 " + Integer.toHexString(p));
                assertEquals(p, StateType.floatToFloat16(f16), "round trip " + p);
            }
            float bf = StateType.bfloat16ToFloat(p);
            assertEquals(p << 16, Float.floatToRawIntBits(bf));
            if (!Float.isNaN(bf)) {
                assertEquals(p, StateType.floatToBfloat16(bf), "bfloat16 round trip " + p);
            }
        }
    }

    @Test
    void packedSlotHoldsHInTheHighAndCInTheLowHalf() {
        for (StateType t : new StateType[] {StateType.BFLOAT16, StateType.FLOAT16}) {
            float slot = t.pack(0.75f, -3.5f);
            int bits = Float.floatToRawIntBits(slot);
            assertEquals(t.encode(0.75f), bits >>> 16);
            assertEquals(t.encode(-3.5f), bits & 0xFFFF);
            assertEquals(0.75f, t.unpackH(slot));
            assertEquals(-3.5f, t.unpackC(slot));
        }
    }

    @Test
    void sizesAndParsing() {
        LstmConfig c = LstmConfig.paperDefaults();
        assertEquals(80, StateType.FLOAT32.slotsPerCoordinate(c));
        assertEquals(40, StateType.BFLOAT16.slotsPerCoordinate(c));
        assertEquals(40, StateType.FLOAT16.slotsPerCoordinate(c));
        assertEquals(320, StateType.FLOAT32.bytesPerCoordinate(c));
        assertEquals(160, StateType.FLOAT16.bytesPerCoordinate(c));
        for (StateType t : StateType.values()) {
            assertEquals(t, StateType.parse(t.id()));
            assertEquals(t, StateType.parse(" " + t.id().toUpperCase() + " "));
        }
        assertEquals(StateType.BFLOAT16, StateType.parse("bf16"));
        assertEquals(StateType.FLOAT16, StateType.parse("fp16"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> StateType.parse("int8"));
        assertTrue(e.getMessage().contains("float32, bfloat16 or float16"), e.getMessage());
    }

    @Test
    void convertWidensExactlyAndNarrowsByRounding() {
        LstmConfig c = LstmConfig.builder().layers(2).hidden(3).build();
        int n = 5;
        Random r = new Random(3);
        float[] f32 = new float[n * c.stateSizePerCoordinate()];
        for (int k = 0; k < f32.length; k++) {
            f32[k] = (float) r.nextGaussian() * 3;
        }
        for (StateType t : new StateType[] {StateType.BFLOAT16, StateType.FLOAT16}) {
            float[] packed = StateType.FLOAT32.convert(f32, n, c, t);
            assertEquals(n * 6, packed.length);
            float[] back = t.convert(packed, n, c, StateType.FLOAT32);
            for (int k = 0; k < f32.length; k++) {
                assertEquals(t.round(f32[k]), back[k]);
            }
            // h_j of layer l is row l*2H + j, c_j row l*2H + H + j; packed row l*H + j
            int l = 1;
            int j = 2;
            int i = 4;
            float slot = packed[StateType.packedRow(l, j, 3) * n + i];
            assertEquals(t.round(f32[(l * 6 + j) * n + i]), t.unpackH(slot));
            assertEquals(t.round(f32[(l * 6 + 3 + j) * n + i]), t.unpackC(slot));
            assertArrayEquals(packed, StateType.FLOAT32.convert(back, n, c, t));
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> StateType.FLOAT16.convert(new float[3], n, c, StateType.FLOAT32));
    }

    /** The vector kernel's lane-wise conversions give exactly the scalar ones' bits. */
    @Test
    void vectorConversionsMatchScalar() {
        assumeTrue(Kernel.vectorAvailable());
        LstmConfig c = LstmConfig.paperDefaults();
        LstmKernel k =
                KernelSelection.create(Kernel.VECTOR, LstmKernelOracleTest.randomWeights(c, 1));
        int tw = k.tileWidth();
        int n = 3 * tw;
        int i0 = tw;
        Random r = new Random(9);
        float[] specials = {
            0f,
            -0f,
            Float.NaN,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.MAX_VALUE,
            Float.MIN_VALUE,
            -1e-40f,
            65519f,
            65520f,
            -1e5f,
            3e-8f,
            -6e-5f,
            Float.intBitsToFloat(0x7F7F8000)
        };
        for (StateType t : new StateType[] {StateType.BFLOAT16, StateType.FLOAT16}) {
            for (int round = 0; round < 200; round++) {
                // decoding: random bit patterns (every 16-bit pair)
                float[] s = new float[n * c.stateSizePerCoordinate() / 2];
                for (int q = 0; q < s.length; q++) {
                    s[q] = Float.intBitsToFloat(r.nextInt());
                }
                float[] tsV = new float[k.tileStateSize()];
                float[] tsS = new float[k.tileStateSize()];
                k.decodeTile(t, s, n, i0, tw, tsV);
                k.decodeTileScalar(t, s, n, i0, tw, tsS);
                assertArrayEquals(rawBits(tsS), rawBits(tsV), t + " decode");
                // encoding: mostly ordinary values, some lanes special in some rounds
                for (int q = 0; q < tsV.length; q++) {
                    double mag = Math.pow(10, r.nextInt(14) - 9);
                    tsV[q] = (float) (r.nextGaussian() * mag);
                    if (round % 4 == 0 && r.nextInt(50) == 0) {
                        tsV[q] = specials[r.nextInt(specials.length)];
                    }
                }
                float[] outV = s.clone();
                float[] outS = s.clone();
                k.encodeTile(t, tsV, outV, n, i0, tw);
                k.encodeTileScalar(t, tsV, outS, n, i0, tw);
                assertArrayEquals(rawBits(outS), rawBits(outV), t + " encode");
            }
        }
    }

    static int[] rawBits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }
}
