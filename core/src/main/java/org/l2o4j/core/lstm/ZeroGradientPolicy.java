package org.l2o4j.core.lstm;

import java.util.Locale;

/**
 * What {@link LstmOptimizer} does with a coordinate whose gradient is exactly zero ({@code +0.0} or
 * {@code -0.0}; any non-zero value, however small, is an ordinary gradient).
 *
 * <p>The LSTM maps a zero gradient to a non-zero update: a coordinate that gets no gradient at all
 * (a frozen or unused embedding row, a sparse feature absent from the batch, a weight from an input
 * that is always 0, a dead ReLU unit) would otherwise drift every step. Measured from the fresh
 * state with a gradient of exactly 0 at every step (single coordinate; the same with either
 * kernel):
 *
 * <ul>
 *   <li>{@code general-v1}: +3.39e-5 per step; +0.028 after 1,000 steps, +0.33 after 10,000;
 *   <li>{@code mnist-mlp-v1}: -1.12e-3 per step; -0.86 after 1,000 steps, -11.0 after 10,000.
 * </ul>
 *
 * <p>(The first steps differ: {@code mnist-mlp-v1} moves +0.18 in its first 10 steps before
 * settling at its steady rate from about step 100.) {@link #FREEZE}, the default, moves such a
 * coordinate by exactly 0.
 */
public enum ZeroGradientPolicy {
    /**
     * A coordinate with an exactly-zero gradient gets the update {@code +0.0} and its LSTM state (h
     * and c of every layer) is left untouched, as if the step had not happened for it; the other
     * coordinates get bit-for-bit the results they would get under {@link #UPDATE}. The default.
     */
    FREEZE,

    /**
     * Every coordinate runs the LSTM, whatever its gradient: a zero gradient still moves the
     * parameter (see the class comment). The behaviour of l2o4j before this option existed, and the
     * one the meta-trainer uses (its double-precision training kernel has no such rule).
     */
    UPDATE;

    /** The lower-case name, as accepted by {@link #parse(String)} and the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code freeze} or {@code update} (case-insensitive). */
    public static ZeroGradientPolicy parse(String s) {
        for (ZeroGradientPolicy p : values()) {
            if (p.id().equalsIgnoreCase(s.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "Unknown zero-gradient policy '" + s + "': expected one of freeze, update");
    }
}
