package org.l2o4j.core.lstm;

import java.lang.reflect.Constructor;

/**
 * Chooses the kernel once per JVM and creates kernels; the vector kernel class is only loaded
 * (reflectively) when the {@code jdk.incubator.vector} module is present, so a JVM without the
 * module never links it.
 */
final class KernelSelection {
    private KernelSelection() {}

    static final boolean VECTOR_AVAILABLE =
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    static final Kernel SELECTED = select();

    private static final String VECTOR_CLASS = "org.l2o4j.core.lstm.VectorLstmKernel";

    private static Kernel select() {
        String forced = System.getProperty(Kernel.PROPERTY);
        Kernel k;
        if (forced != null && !forced.isBlank()) {
            k = Kernel.parse(forced);
            if (k == Kernel.VECTOR && !VECTOR_AVAILABLE) {
                throw new IllegalStateException(vectorMissingMessage());
            }
        } else {
            k = VECTOR_AVAILABLE ? Kernel.VECTOR : Kernel.SCALAR;
        }
        System.Logger log = System.getLogger("org.l2o4j.core.lstm");
        if (k == Kernel.VECTOR) {
            log.log(
                    System.Logger.Level.INFO,
                    "l2o4j: using the Vector API LSTM kernel (" + vectorDescription() + ")");
        } else if (VECTOR_AVAILABLE) {
            log.log(
                    System.Logger.Level.INFO,
                    "l2o4j: using the scalar LSTM kernel (forced by -D" + Kernel.PROPERTY + ")");
        } else {
            log.log(
                    System.Logger.Level.WARNING,
                    "l2o4j: using the scalar LSTM kernel; start the JVM with"
                            + " '--add-modules jdk.incubator.vector' to enable the several times"
                            + " faster Vector API kernel");
        }
        return k;
    }

    private static String vectorMissingMessage() {
        return "The vector kernel needs the Vector API module: start the JVM with"
                + " '--add-modules jdk.incubator.vector' (or use -D"
                + Kernel.PROPERTY
                + "=scalar)";
    }

    private static String vectorDescription() {
        try {
            return (String) Class.forName(VECTOR_CLASS).getDeclaredMethod("describe").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return "unknown species";
        }
    }

    /** A kernel of the given kind for the given weights. */
    static LstmKernel create(Kernel kind, LstmWeights weights) {
        if (kind == Kernel.SCALAR) {
            return new ScalarLstmKernel(weights);
        }
        if (!VECTOR_AVAILABLE) {
            throw new IllegalStateException(vectorMissingMessage());
        }
        try {
            Constructor<?> c =
                    Class.forName(VECTOR_CLASS).getDeclaredConstructor(LstmWeights.class);
            return (LstmKernel) c.newInstance(weights);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("Cannot create the vector kernel: " + e, e);
        }
    }
}
