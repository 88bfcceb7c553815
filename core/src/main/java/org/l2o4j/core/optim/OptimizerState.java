package org.l2o4j.core.optim;

import java.util.Arrays;

/**
 * The mutable state of an {@link UpdateRule} for {@code n} coordinates: {@code n *
 * sizePerCoordinate} floats whose layout the rule defines, a step counter and a count of skipped
 * non-finite gradients.
 *
 * <p>The data array may belong to the caller ({@link #wrap}), so an adapter can keep the state
 * inside its host framework's own storage. {@link #copy()} gives an independent deep copy.
 */
public final class OptimizerState {
    private final int size;
    private final int sizePerCoordinate;
    private final float[] data;
    private long stepCount;
    private long skippedCount;

    private OptimizerState(int size, int sizePerCoordinate, float[] data) {
        this.size = size;
        this.sizePerCoordinate = sizePerCoordinate;
        this.data = data;
    }

    /** Zero-filled state for {@code n} coordinates of {@code perCoordinate} floats each. */
    public static OptimizerState create(int n, int perCoordinate) {
        checkSizes(n, perCoordinate);
        return new OptimizerState(
                n, perCoordinate, new float[Math.multiplyExact(n, perCoordinate)]);
    }

    /**
     * State backed by the given array (not copied).
     *
     * @throws IllegalArgumentException if {@code data.length != n * perCoordinate}
     */
    public static OptimizerState wrap(int n, int perCoordinate, float[] data) {
        checkSizes(n, perCoordinate);
        long expected = (long) n * perCoordinate;
        if (data.length != expected) {
            throw new IllegalArgumentException(
                    "State array for "
                            + n
                            + " coordinates x "
                            + perCoordinate
                            + " floats must have length "
                            + expected
                            + " but has length "
                            + data.length);
        }
        return new OptimizerState(n, perCoordinate, data);
    }

    private static void checkSizes(int n, int perCoordinate) {
        if (n < 0) {
            throw new IllegalArgumentException("Number of coordinates must be >= 0 but was " + n);
        }
        if (perCoordinate < 0) {
            throw new IllegalArgumentException(
                    "State floats per coordinate must be >= 0 but was " + perCoordinate);
        }
    }

    /** Number of coordinates. */
    public int size() {
        return size;
    }

    /** Floats of state per coordinate. */
    public int sizePerCoordinate() {
        return sizePerCoordinate;
    }

    /** The backing array, {@code size() * sizePerCoordinate()} floats, laid out by the rule. */
    public float[] data() {
        return data;
    }

    /** Steps taken so far (Adam uses it for bias correction). */
    public long stepCount() {
        return stepCount;
    }

    /** Sets the step counter, e.g. from a host framework's iteration count on restore. */
    public void setStepCount(long stepCount) {
        if (stepCount < 0) {
            throw new IllegalArgumentException("Step count must be >= 0 but was " + stepCount);
        }
        this.stepCount = stepCount;
    }

    /** Increments the step counter; called by rules at the end of each step. */
    public void incrementStepCount() {
        stepCount++;
    }

    /**
     * Coordinate-steps skipped because of non-finite gradients under {@link NonFinitePolicy#SKIP}.
     */
    public long skippedCount() {
        return skippedCount;
    }

    /** Adds to the skipped counter; called by rules. */
    public void addSkipped(long count) {
        skippedCount += count;
    }

    /** Resets the data to zeros and the counters to 0 (fresh state, same size). */
    public void reset() {
        Arrays.fill(data, 0f);
        stepCount = 0;
        skippedCount = 0;
    }

    /** An independent deep copy. */
    public OptimizerState copy() {
        OptimizerState c = new OptimizerState(size, sizePerCoordinate, data.clone());
        c.stepCount = stepCount;
        c.skippedCount = skippedCount;
        return c;
    }

    /**
     * Checks that this state fits a rule with the given floats per coordinate.
     *
     * @throws IllegalArgumentException naming both sizes otherwise
     */
    public void requirePerCoordinate(int expected, String ruleName) {
        if (sizePerCoordinate != expected) {
            throw new IllegalArgumentException(
                    "State has "
                            + sizePerCoordinate
                            + " floats per coordinate but "
                            + ruleName
                            + " expects "
                            + expected
                            + ": was it created by a different optimizer?");
        }
    }
}
