package org.l2o4j.core.task;

import java.util.Locale;

/** Hidden-layer activation functions of {@link MlpTaskFamily}, each overflow-safe in double. */
public enum Activation {
    /** {@code 1 / (1 + e^-x)} (the paper's choice). */
    SIGMOID,
    /** {@code max(0, x)}. */
    RELU,
    /** {@code tanh(x)}. */
    TANH;

    /** The lower-case name used in options and task names. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code sigmoid}, {@code relu} or {@code tanh} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(s.trim())) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "activation must be one of sigmoid, relu, tanh but was '" + s + "'");
    }

    /** Sigmoid without overflow: never evaluates {@code exp} of a positive argument. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }
}
