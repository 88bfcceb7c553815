package org.l2o4j.core.lstm;

import java.util.Locale;

/**
 * The arithmetic of the LSTM forward step used by {@link LstmOptimizer}, and of the other kernels
 * that have a Vector API version (the float meta-training pass, the CNN task's convolution).
 *
 * <p>{@link #VECTOR} uses the incubating Vector API ({@code jdk.incubator.vector}) and is several
 * times faster; it needs the JVM flag {@code --add-modules jdk.incubator.vector}. {@link #SCALAR}
 * is plain Java and works everywhere. The default ({@link #selected()}) is chosen once per JVM by
 * {@link KernelSelection}: the value of the system property {@code l2o4j.kernel} ({@code scalar} or
 * {@code vector}) if set, else {@code VECTOR} when the module is present and the JVM can compile it
 * well (HotSpot with C2), {@code SCALAR} otherwise. One line is logged saying which is used.
 */
public enum Kernel {
    /** Plain Java loops over tiles of coordinates. */
    SCALAR,
    /** The Vector API ({@code FloatVector.SPECIES_PREFERRED}). */
    VECTOR;

    /** The system property that forces a kernel: {@code scalar} or {@code vector}. */
    public static final String PROPERTY = "l2o4j.kernel";

    /**
     * Whether the Vector API module is in the boot layer of this JVM, so that {@link #VECTOR} can
     * be used (it may still not be {@linkplain #selected() selected}, see {@link KernelSelection}).
     */
    public static boolean vectorAvailable() {
        return KernelSelection.VECTOR_AVAILABLE;
    }

    /** The kernel used by default in this JVM (see the class comment). */
    public static Kernel selected() {
        return KernelSelection.SELECTED;
    }

    /** The lower-case name, as accepted by {@link #parse(String)}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code scalar} or {@code vector} (case-insensitive). */
    public static Kernel parse(String s) {
        for (Kernel k : values()) {
            if (k.id().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException(
                "Unknown kernel '" + s + "': expected one of scalar, vector");
    }
}
