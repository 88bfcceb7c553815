package org.l2o4j.core.lstm;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.Locale;

/**
 * The one place that chooses between the Vector API and the plain-Java arithmetic, for the four
 * kernels that have both: the LSTM step ({@link LstmKernel}), the MLP cell's inference step ({@link
 * MlpCell}, {@code VectorMlpCell}), the float meta-training pass ({@code
 * org.l2o4j.core.meta.FloatBptt}) and the convolution of the CNN task ({@code
 * org.l2o4j.core.task.ConvKernel}). As Lucene's {@code VectorizationProvider}, it checks the JVM
 * before any class that uses {@code jdk.incubator.vector} is loaded.
 *
 * <p>The Vector API classes live in {@code core/src/main/java-vector}, the only sources compiled
 * with {@code --add-modules jdk.incubator.vector}; nothing else names them except as a string
 * passed to {@link #newVectorInstance}, so a JVM without the module never links them.
 *
 * <p>The choice is made once, at class initialisation, and logged in one line: the value of the
 * system property {@value Kernel#PROPERTY} ({@code scalar} or {@code vector}) if set (forcing
 * {@code vector} needs only the module); else {@code vector} when the JVM is fit for it: the module
 * is in the boot layer, the runtime is Java 17 or newer, the VM is HotSpot without the JVMCI
 * compiler, and C2 is available (not {@code -Xint}, not {@code -XX:TieredStopAtLevel} below 4),
 * since without C2 the Vector API is interpreted or compiled by C1 and many times slower than the
 * scalar code; else {@code scalar}.
 *
 * <p>Internal to l2o4j: public only because the kernels' packages call {@link #newVectorInstance}.
 */
public final class KernelSelection {
    private KernelSelection() {}

    private static final String MODULE = "jdk.incubator.vector";

    /** Whether the Vector API module is in the boot layer (what loading a vector class needs). */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule(MODULE).isPresent();

    /** Why this JVM should not run the vector kernels by default; {@code null} if it may. */
    static final String UNFIT = VECTOR_AVAILABLE ? unfitReason() : "no " + MODULE + " module";

    static final Kernel SELECTED = select();

    private static Kernel select() {
        String forced = System.getProperty(Kernel.PROPERTY);
        Kernel k;
        if (forced != null && !forced.isBlank()) {
            k = Kernel.parse(forced);
            if (k == Kernel.VECTOR && !VECTOR_AVAILABLE) {
                throw new IllegalStateException(vectorMissingMessage());
            }
        } else {
            k = UNFIT == null ? Kernel.VECTOR : Kernel.SCALAR;
        }
        System.Logger log = System.getLogger("org.l2o4j.core.lstm");
        String what = "l2o4j: the LSTM, meta-training, convolution and MLP-cell kernels use ";
        if (k == Kernel.VECTOR) {
            log.log(
                    System.Logger.Level.INFO,
                    what
                            + "the Vector API ("
                            + vectorDescription()
                            + (forced != null && !forced.isBlank() && UNFIT != null
                                    ? "; forced by -D"
                                            + Kernel.PROPERTY
                                            + "=vector although "
                                            + UNFIT
                                    : "")
                            + ")");
        } else if (forced != null && !forced.isBlank()) {
            log.log(
                    System.Logger.Level.INFO,
                    what + "plain Java (forced by -D" + Kernel.PROPERTY + "=scalar)");
        } else if (!VECTOR_AVAILABLE) {
            log.log(
                    System.Logger.Level.WARNING,
                    what
                            + "plain Java; start the JVM with '--add-modules "
                            + MODULE
                            + "' to enable the several times faster Vector API kernels");
        } else {
            log.log(
                    System.Logger.Level.WARNING,
                    what + "plain Java: the Vector API is not enabled because " + UNFIT);
        }
        return k;
    }

    /**
     * Why the Vector API would be slow or broken in this JVM (Lucene's checks), or {@code null}.
     */
    private static String unfitReason() {
        int feature = Runtime.version().feature();
        if (feature < 17) {
            return "Java " + feature + " is older than 17";
        }
        String info = System.getProperty("java.vm.info", "");
        if (info.contains("interpreted mode")) {
            return "the JVM runs interpreted only (-Xint)";
        }
        HotSpotOptions vm = HotSpotOptions.get();
        if (vm == null) {
            return "the JVM is not HotSpot (" + System.getProperty("java.vm.name") + ")";
        }
        if ("true".equals(vm.value("UseJVMCICompiler"))) {
            return "the JIT compiler is JVMCI (Graal), not C2";
        }
        String level = vm.value("TieredStopAtLevel");
        if (info.contains("emulated-client")
                || (level != null && !level.isEmpty() && Integer.parseInt(level) < 4)) {
            return "the C2 compiler is disabled (-XX:TieredStopAtLevel="
                    + (level == null ? "?" : level)
                    + ")";
        }
        return null;
    }

    /** HotSpot's VM options, read through its diagnostic MXBean (reflectively, as Lucene). */
    private static final class HotSpotOptions {
        private final Object bean;
        private final Method getVMOption;
        private final Method getValue;

        private HotSpotOptions(Object bean, Method getVMOption, Method getValue) {
            this.bean = bean;
            this.getVMOption = getVMOption;
            this.getValue = getValue;
        }

        /** The options, or {@code null} when the VM has no HotSpot diagnostic MXBean. */
        static HotSpotOptions get() {
            try {
                Class<?> c = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
                @SuppressWarnings({"unchecked", "rawtypes"})
                Object bean = ManagementFactory.getPlatformMXBean((Class) c);
                if (bean == null) {
                    return null;
                }
                Method getVMOption = c.getMethod("getVMOption", String.class);
                Method getValue = getVMOption.getReturnType().getMethod("getValue");
                return new HotSpotOptions(bean, getVMOption, getValue);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return null;
            }
        }

        /** The value of an option, or {@code null} if the VM does not have it. */
        String value(String name) {
            try {
                return ((String) getValue.invoke(getVMOption.invoke(bean, name)))
                        .toLowerCase(Locale.ROOT);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
    }

    private static String vectorMissingMessage() {
        return "The vector kernel needs the Vector API module: start the JVM with"
                + " '--add-modules "
                + MODULE
                + "' (or use -D"
                + Kernel.PROPERTY
                + "=scalar)";
    }

    private static String vectorDescription() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle describe =
                    lookup.findStatic(
                            lookup.findClass("org.l2o4j.core.lstm.VectorLstmKernel"),
                            "describe",
                            MethodType.methodType(String.class));
            return (String) describe.invoke();
        } catch (Throwable e) {
            return "unknown species";
        }
    }

    /**
     * A new instance of the Vector API class {@code simpleName} of {@code lookup}'s package (a
     * class of {@code src/main/java-vector}; the caller passes its own {@link
     * MethodHandles#lookup()}, which gives access to package-private classes), built with the
     * constructor taking {@code args} of the types {@code parameterTypes}; {@code null} when the
     * class does not support this JVM's vector shape (its constructor throws {@link
     * UnsupportedOperationException}), so the caller uses its scalar class.
     *
     * @throws IllegalStateException if the JVM lacks the Vector API module or the class cannot be
     *     loaded
     */
    public static <T> T newVectorInstance(
            MethodHandles.Lookup lookup,
            String simpleName,
            Class<T> type,
            Class<?>[] parameterTypes,
            Object... args) {
        if (!VECTOR_AVAILABLE) {
            throw new IllegalStateException(vectorMissingMessage());
        }
        String name = lookup.lookupClass().getPackageName() + "." + simpleName;
        MethodHandle ctor;
        try {
            ctor =
                    lookup.findConstructor(
                            lookup.findClass(name),
                            MethodType.methodType(void.class, parameterTypes));
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("Cannot load " + name + ": " + e, e);
        }
        try {
            return type.cast(ctor.invokeWithArguments(args));
        } catch (UnsupportedOperationException e) {
            return null;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("Cannot create " + name + ": " + e, e);
        }
    }

    /** A kernel of the given kind for the given weights. */
    static LstmKernel create(Kernel kind, LstmWeights weights) {
        CellType cell = weights.config().cell();
        if (cell != CellType.LSTM) {
            if (kind == Kernel.VECTOR && cell == CellType.MLP) {
                InferenceCell v =
                        newVectorInstance(
                                MethodHandles.lookup(),
                                "VectorMlpCell",
                                InferenceCell.class,
                                new Class<?>[] {LstmConfig.class},
                                weights.config());
                if (v != null) {
                    return new CellKernel(weights, v);
                }
            }
            return new CellKernel(weights); // the GRU: one (scalar) kernel for either kind
        }
        if (kind == Kernel.SCALAR) {
            return new ScalarLstmKernel(weights);
        }
        LstmKernel k =
                newVectorInstance(
                        MethodHandles.lookup(),
                        "VectorLstmKernel",
                        LstmKernel.class,
                        new Class<?>[] {LstmWeights.class},
                        weights);
        return k != null ? k : new ScalarLstmKernel(weights);
    }
}
