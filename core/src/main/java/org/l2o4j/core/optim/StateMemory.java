package org.l2o4j.core.optim;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory guard shared by the adapters: before a model's optimizer state is allocated, compare
 * its size ({@code parameters x bytes per parameter}; {@code 2 * hidden * layers} floats for the
 * LSTM optimizer, 320 bytes for the paper's 2 x 20) with what the place it will live in can hold
 * (the JVM heap, an off-heap limit, a device), and fail with a message that gives the estimate and
 * the options instead of an {@link OutOfMemoryError} in the middle of the first step.
 *
 * <p>The system property {@value #LIMIT_PROPERTY} (bytes) replaces every measured limit; it exists
 * for tests (a small fake limit instead of a giant allocation) and for users who want a tighter
 * budget than the machine's.
 */
public final class StateMemory {
    /** System property: a limit in bytes that replaces the measured ones. */
    public static final String LIMIT_PROPERTY = "l2o4j.stateMemoryLimitBytes";

    private StateMemory() {}

    /**
     * The limit from {@value #LIMIT_PROPERTY}, or -1 when it is not set.
     *
     * @throws IllegalArgumentException if it is set but not a non-negative integer
     */
    public static long overriddenLimit() {
        String s = System.getProperty(LIMIT_PROPERTY);
        if (s == null || s.isBlank()) {
            return -1;
        }
        try {
            long v = Long.parseLong(s.trim());
            if (v < 0) {
                throw new NumberFormatException("negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + LIMIT_PROPERTY + " must be a number of bytes >= 0 but was '" + s + "'",
                    e);
        }
    }

    /** Heap the JVM can still allocate: {@code maxMemory - (totalMemory - freeMemory)}. */
    public static long availableHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * Physical memory the machine can still give a process without swapping: {@code MemAvailable}
     * of {@code /proc/meminfo} on Linux (free memory plus reclaimable page cache), else the free
     * physical memory the JVM reports, or -1 if neither is known.
     */
    public static long availablePhysicalMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: fall through
        }
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return -1;
    }

    /** A description of the heap for messages, e.g. {@code JVM heap (-Xmx 4.0 GB, 1.2 GB used)}. */
    public static String heapDescription() {
        Runtime rt = Runtime.getRuntime();
        return "the JVM heap (max "
                + bytes(rt.maxMemory())
                + " from -Xmx, "
                + bytes(rt.totalMemory() - rt.freeMemory())
                + " in use)";
    }

    /**
     * Fails if {@code parameters * bytesPerParameter} exceeds {@code availableBytes}.
     *
     * @param parameters the model's parameters (coordinates) that get state
     * @param bytesPerParameter state bytes per parameter in that place
     * @param stateDescription what a parameter's bytes are, e.g. {@code 2 x 2 layers x 20 units
     *     float32}
     * @param availableBytes what the place can still hold (negative: unknown, no check)
     * @param where the place, e.g. {@code the JVM heap (max 4 GB ...)}
     * @param moreMemory how to give it more memory, e.g. {@code start the JVM with a larger -Xmx}
     * @param smallerCell a hint on the cell, e.g. {@code a smaller LSTM (layers x hidden)}
     * @throws StateMemoryException if it does not fit
     */
    public static void check(
            long parameters,
            long bytesPerParameter,
            String stateDescription,
            long availableBytes,
            String where,
            String moreMemory,
            String smallerCell) {
        long override = overriddenLimit();
        long available = override >= 0 ? override : availableBytes;
        if (available < 0) {
            return;
        }
        long required = saturatingMultiply(parameters, bytesPerParameter);
        if (required <= available) {
            return;
        }
        String place =
                override >= 0
                        ? "the limit set by -D" + LIMIT_PROPERTY + " (in place of " + where + ")"
                        : where;
        String message =
                String.format(
                        Locale.ROOT,
                        "The learned optimizer's state for this model needs about %s (%,d"
                                + " parameters x %d bytes: %s), but %s can hold only %s more."
                                + " Options: %s; %s; 16-bit optimizer state (StateType.BFLOAT16 or"
                                + " FLOAT16: DL4J withStateType, DJL optStateType; half the bytes,"
                                + " unless the state is already 16-bit); or a"
                                + " hand-written optimizer such as Adam (8 bytes per parameter).",
                        bytes(required),
                        parameters,
                        bytesPerParameter,
                        stateDescription,
                        place,
                        bytes(available),
                        moreMemory,
                        smallerCell);
        throw new StateMemoryException(message, required, available);
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    /**
     * {@code bytes} for messages: {@code 512 B}, {@code 3.2 MB}, {@code 1.5 GB} (powers of 1000).
     */
    public static String bytes(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB", "EB"};
        double v = bytes;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
