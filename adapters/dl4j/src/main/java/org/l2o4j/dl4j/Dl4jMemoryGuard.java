package org.l2o4j.dl4j;

import org.bytedeco.javacpp.Pointer;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.StateMemory;
import org.l2o4j.core.optim.StateMemoryException;

/**
 * The memory guard of {@link LearnedUpdater}: DL4J builds a network's updater by asking {@link
 * LearnedUpdater#stateSize} for every parameter array in turn and then allocating one off-heap
 * array for all of their state. This sums those requests (per thread, during one construction of
 * DL4J's {@code BaseMultiLayerUpdater}) and fails before the allocation when the total does not
 * fit: ND4J's off-heap limit (JavaCPP's {@code maxBytes} and {@code maxPhysicalBytes}, set by
 * {@code -Dorg.bytedeco.javacpp.maxbytes} and {@code -Dorg.bytedeco.javacpp.maxphysicalbytes}), the
 * heap for the adapter's own gradient buffer (4 bytes per parameter), and DL4J's own limit of 2^31
 * - 1 state values per network (it indexes updater state with {@code int}).
 */
final class Dl4jMemoryGuard {
    private Dl4jMemoryGuard() {}

    /** Calls within this many nanoseconds belong to one updater construction. */
    private static final long SAME_CONSTRUCTION_NANOS = 2_000_000_000L;

    private static final class Running {
        long parameters;
        long lastNanos;
    }

    private static final ThreadLocal<Running> RUNNING = ThreadLocal.withInitial(Running::new);

    /** From {@link LearnedUpdater#stateSize}: one parameter array of {@code numParams}. */
    static void onStateSize(LstmOptimizer rule, long numParams) {
        long total = numParams;
        if (calledByUpdaterConstruction()) {
            Running r = RUNNING.get();
            long now = System.nanoTime();
            if (now - r.lastNanos > SAME_CONSTRUCTION_NANOS) {
                r.parameters = 0; // a new construction
            }
            r.parameters += numParams;
            r.lastNanos = now;
            total = r.parameters;
        }
        try {
            check(rule, total);
        } catch (RuntimeException e) {
            reset();
            throw e;
        }
    }

    /** From {@link LearnedUpdater#instantiate}: the construction has allocated its state. */
    static void reset() {
        RUNNING.remove();
    }

    private static boolean calledByUpdaterConstruction() {
        return StackWalker.getInstance()
                .walk(
                        frames ->
                                frames.limit(8)
                                        .anyMatch(
                                                f ->
                                                        f.getClassName()
                                                                .equals(
                                                                        "org.deeplearning4j.nn.updater"
                                                                                + ".BaseMultiLayerUpdater")));
    }

    /**
     * Fails with a {@link StateMemoryException} if the state of {@code parameters} parameters does
     * not fit (the limit can be replaced with {@code -D}{@value StateMemory#LIMIT_PROPERTY}).
     */
    static void check(LstmOptimizer rule, long parameters) {
        int per = rule.stateSizePerCoordinate();
        String what =
                "(h, c) x "
                        + rule.config().layers()
                        + " layer(s) x "
                        + rule.config().hidden()
                        + " units, "
                        + rule.stateType().id();
        String smaller =
                "a smaller cell (an LSTM optimizer with fewer layers or hidden units: its state is"
                        + " 2 x layers x hidden floats per parameter, so 1 layer of 20 needs half of"
                        + " the paper's 2 x 20)";
        long values = parameters * per;
        if (parameters > Integer.MAX_VALUE / per) {
            throw new StateMemoryException(
                    "The learned optimizer's state for this network has "
                            + String.format(java.util.Locale.ROOT, "%,d", values)
                            + " values ("
                            + String.format(java.util.Locale.ROOT, "%,d", parameters)
                            + " parameters x "
                            + per
                            + "), but DL4J indexes a network's updater state with int: at most "
                            + String.format(java.util.Locale.ROOT, "%,d", Integer.MAX_VALUE)
                            + " values, i.e. "
                            + String.format(java.util.Locale.ROOT, "%,d", Integer.MAX_VALUE / per)
                            + " parameters for this cell. Options: "
                            + smaller
                            + "; 16-bit optimizer state (withStateType(StateType.BFLOAT16)) packs two"
                            + " values per slot and halves the count; use the learned optimizer"
                            + " for part of the"
                            + " layers only (a different updater for the rest).",
                    4L * values,
                    4L * Integer.MAX_VALUE);
        }
        StateMemory.check(
                parameters,
                4L * per,
                what,
                availableOffHeap(),
                offHeapDescription(),
                "raise ND4J's off-heap limit (-Dorg.bytedeco.javacpp.maxbytes=..., and"
                        + " -Dorg.bytedeco.javacpp.maxphysicalbytes=... above it) on a machine"
                        + " with that much RAM",
                smaller);
        StateMemory.check(
                parameters,
                4L,
                "the adapter's float32 gradient buffer on the heap",
                StateMemory.availableHeap(),
                StateMemory.heapDescription(),
                "give the JVM more heap (-Xmx)",
                smaller);
    }

    /** What JavaCPP will still allocate: the smaller of its two limits' headroom, or -1. */
    static long availableOffHeap() {
        long available = Long.MAX_VALUE;
        long max = Pointer.maxBytes();
        if (max > 0) {
            available = Math.min(available, max - Pointer.totalBytes());
        }
        long maxPhysical = Pointer.maxPhysicalBytes();
        if (maxPhysical > 0) {
            available = Math.min(available, maxPhysical - Pointer.physicalBytes());
        }
        return available == Long.MAX_VALUE ? -1 : Math.max(0, available);
    }

    private static String offHeapDescription() {
        return "ND4J's off-heap memory (JavaCPP maxBytes "
                + StateMemory.bytes(Pointer.maxBytes())
                + " with "
                + StateMemory.bytes(Pointer.totalBytes())
                + " allocated, maxPhysicalBytes "
                + StateMemory.bytes(Pointer.maxPhysicalBytes())
                + " with "
                + StateMemory.bytes(Pointer.physicalBytes())
                + " in use)";
    }
}
