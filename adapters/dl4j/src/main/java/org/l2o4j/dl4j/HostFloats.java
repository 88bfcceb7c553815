package org.l2o4j.dl4j;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk copies between a contiguous ND4J array (off-heap, CPU backend) and Java float arrays.
 *
 * <p>The core kernel works on {@code float[]}; ND4J's CPU buffers are native memory, so the adapter
 * copies with one {@code memcpy}-like JavaCPP call per contiguous run (no element-wise {@code
 * getFloat}, no temporary INDArray). FLOAT arrays copy directly; DOUBLE arrays convert through a
 * reusable double buffer. The benchmark measures what the copies cost.
 */
final class HostFloats {
    private final INDArray array;
    private final long length;
    private final FloatPointer floats;
    private final DoublePointer doubles;
    private double[] doubleScratch = new double[0];
    private float[] floatScratch = new float[0];

    /**
     * @param what names the array in error messages
     * @throws IllegalArgumentException if the array is not a contiguous FLOAT or DOUBLE vector
     */
    HostFloats(INDArray array, String what) {
        this.array = array;
        this.length = array.length();
        if (length > 1 && array.elementWiseStride() != 1) {
            throw new IllegalArgumentException(
                    "The "
                            + what
                            + " array must be contiguous (element-wise stride 1) but has stride "
                            + array.elementWiseStride());
        }
        DataType t = array.dataType();
        Pointer p = array.data().addressPointer();
        if (t == DataType.FLOAT) {
            floats = new FloatPointer(p);
            doubles = null;
        } else if (t == DataType.DOUBLE) {
            floats = null;
            doubles = new DoublePointer(p);
        } else {
            throw new IllegalArgumentException(
                    "LearnedUpdater supports FLOAT and DOUBLE networks but the "
                            + what
                            + " array has data type "
                            + t);
        }
    }

    /** The wrapped array. */
    INDArray array() {
        return array;
    }

    /**
     * Copies {@code len} values from index {@code from} of the array into {@code dst[dstOff..]}.
     */
    void read(long from, float[] dst, int dstOff, int len) {
        check(from, len);
        if (floats != null) {
            floats.position(from).get(dst, dstOff, len);
        } else {
            double[] d = scratch(len);
            doubles.position(from).get(d, 0, len);
            for (int i = 0; i < len; i++) {
                dst[dstOff + i] = (float) d[i];
            }
        }
    }

    /** Copies {@code src[srcOff .. srcOff+len)} into the array starting at index {@code to}. */
    void write(long to, float[] src, int srcOff, int len) {
        check(to, len);
        if (floats != null) {
            floats.position(to).put(src, srcOff, len);
        } else {
            double[] d = scratch(len);
            for (int i = 0; i < len; i++) {
                d[i] = src[srcOff + i];
            }
            doubles.position(to).put(d, 0, len);
        }
    }

    /** Like {@link #read(long, float[], int, int)} into doubles (exact for DOUBLE arrays). */
    void read(long from, double[] dst, int dstOff, int len) {
        check(from, len);
        if (doubles != null) {
            doubles.position(from).get(dst, dstOff, len);
        } else {
            float[] f = floatScratch(len);
            floats.position(from).get(f, 0, len);
            for (int i = 0; i < len; i++) {
                dst[dstOff + i] = f[i];
            }
        }
    }

    /** Like {@link #write(long, float[], int, int)} from doubles (rounded for FLOAT arrays). */
    void write(long to, double[] src, int srcOff, int len) {
        check(to, len);
        if (doubles != null) {
            doubles.position(to).put(src, srcOff, len);
        } else {
            float[] f = floatScratch(len);
            for (int i = 0; i < len; i++) {
                f[i] = (float) src[srcOff + i];
            }
            floats.position(to).put(f, 0, len);
        }
    }

    private void check(long from, int len) {
        if (from < 0 || len < 0 || from + len > length) {
            throw new IndexOutOfBoundsException(
                    "Range [" + from + ", " + (from + len) + ") outside array of length " + length);
        }
    }

    private float[] floatScratch(int len) {
        if (floatScratch.length < len) {
            floatScratch = new float[len];
        }
        return floatScratch;
    }

    private double[] scratch(int len) {
        if (doubleScratch.length < len) {
            doubleScratch = new double[len];
        }
        return doubleScratch;
    }
}
