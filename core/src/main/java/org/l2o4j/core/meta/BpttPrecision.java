package org.l2o4j.core.meta;

import java.util.Locale;

/**
 * The arithmetic of meta-training's forward with stored activations and backward through time
 * (option {@code --train-kernel} of {@code l2o meta-train}).
 *
 * <p>{@link #FLOAT} (the default) runs the float32 training kernel, with the Vector API when the
 * JVM has the {@code jdk.incubator.vector} module ({@code float-vector} in the weight file's {@code
 * train_kernel} metadata) and in plain Java otherwise ({@code float-scalar}). {@link #DOUBLE} runs
 * the double-precision kernel every optimizer up to this option was trained with (all shipped
 * ones); it reproduces those runs bit for bit and is the float kernel's test oracle. The two are
 * different arithmetic, so a run's trajectory depends on the choice (and, for {@code FLOAT}, on the
 * vector width); for a given choice results do not depend on the thread count.
 */
public enum BpttPrecision {
    /** float32, Vector API or scalar (the default). */
    FLOAT,
    /** float64, the original kernel. */
    DOUBLE;

    /** {@code float} or {@code double}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code float} or {@code double} (case-insensitive). */
    public static BpttPrecision parse(String s) {
        for (BpttPrecision k : values()) {
            if (k.id().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException(
                "Unknown training kernel '" + s + "': expected float or double");
    }
}
