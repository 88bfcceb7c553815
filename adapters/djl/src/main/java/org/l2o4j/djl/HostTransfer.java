package org.l2o4j.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;

/**
 * Moves float32 data between {@link NDArray}s and Java arrays. Call inside an {@code NDScope}: any
 * temporary array created here is registered with the current scope.
 */
final class HostTransfer {
    private HostTransfer() {}

    /** Copies all values of {@code a} (float32, {@code dst.length} values) into {@code dst}. */
    static void read(NDArray a, float[] dst) {
        // On PyTorch/CPU the direct buffer is a view of the tensor: one copy in total.
        FloatBuffer fb = a.toByteBuffer(true).asFloatBuffer();
        if (fb.remaining() != dst.length) {
            throw new IllegalArgumentException(
                    "Expected "
                            + dst.length
                            + " float32 values but the array has "
                            + fb.remaining());
        }
        fb.get(dst);
    }

    /**
     * {@code a += values}, on {@code a}'s device, in place, without autograd recording: PyTorch's
     * grad mode is per thread, and it is on in any thread but the one that started the engine (and
     * stays on after a gradient collector there), where an in-place change of a parameter that
     * requires grad would fail. DJL's own optimizers do the same (their fused PyTorch updates run
     * under {@code AutoGradMode(false)}).
     */
    static void addInPlace(NDArray a, float[] values) {
        NDArray delta = a.getManager().create(FloatBuffer.wrap(values), a.getShape());
        if (!delta.getDevice().equals(a.getDevice())) {
            delta = delta.toDevice(a.getDevice(), false);
        }
        if (a instanceof PtNDArray && JniUtils.isGradMode()) {
            JniUtils.setGradMode(false);
            try {
                a.addi(delta);
            } finally {
                JniUtils.setGradMode(true);
            }
        } else {
            a.addi(delta);
        }
    }

    /** Overwrites {@code values} into {@code a}, in place (keeps its gradient attachment). */
    static void write(NDArray a, float[] values) {
        a.set(FloatBuffer.wrap(values));
    }

    /** Sets the gradient attached to {@code a} to zero (PyTorch accumulates otherwise). */
    static void clearGradient(NDArray a) {
        if (a instanceof PtNDArray) {
            // What DJL's own optimizers do on PyTorch (PtNDArrayEx.adamUpdate).
            JniUtils.zeroGrad((PtNDArray) a);
        } else if (a.hasGradient()) {
            NDArray g = a.getGradient();
            g.subi(g);
        }
    }
}
