package org.l2o4j.core.meta;

import java.util.Locale;

/**
 * Wall-time split of meta-iterations, for profiling: enabled with {@code
 * -Dl2o4j.meta.profile=true}, then {@link MetaTrainer} prints one line per meta-iteration to
 * standard error. Not thread-safe: phases are timed on the thread that drives the iteration (each
 * phase includes its parallel work).
 */
final class MetaProfile {
    static final boolean ENABLED = Boolean.getBoolean("l2o4j.meta.profile");

    /**
     * With {@code -Dl2o4j.meta.profile.heap=true} as well: the live heap (after a full GC) at the
     * start of each truncation's backward pass, when the activations of all its steps are stored
     * (slow: for memory measurements only).
     */
    static final boolean HEAP = ENABLED && Boolean.getBoolean("l2o4j.meta.profile.heap");

    private long peakLive;

    static final int TASK = 0;
    static final int UNTRACKED = 1;
    static final int FORWARD = 2;
    static final int BACKWARD = 3;
    static final int OTHER = 4;
    static final int VALIDATION = 5;

    private static final String[] NAMES = {
        "task loss+gradient",
        "untracked forward",
        "train forward",
        "train backward",
        "other",
        "validation"
    };

    private final long[] nanos = new long[NAMES.length];
    private long start = System.nanoTime();
    private long cpuStart = processCpuNanos();

    /** CPU time of the whole process (all threads; -1 if unknown). */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return -1;
    }

    /** Adds the time since {@code t0} to {@code phase}; returns now. */
    long add(int phase, long t0) {
        long t = System.nanoTime();
        nanos[phase] += t - t0;
        return t;
    }

    /** Records the live heap now (after a full GC) if {@link #HEAP}. */
    void sampleHeap() {
        if (!HEAP) {
            return;
        }
        Runtime rt = Runtime.getRuntime();
        System.gc();
        peakLive = Math.max(peakLive, rt.totalMemory() - rt.freeMemory());
    }

    /** One line with the phases since the last report, then resets. */
    String report(String label) {
        long now = System.nanoTime();
        double total = (now - start) / 1e9;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "l2o4j profile %s: %.3f s", label, total));
        double known = 0;
        for (int p = 0; p < NAMES.length; p++) {
            double s = nanos[p] / 1e9;
            known += s;
            sb.append(String.format(Locale.ROOT, "; %s %.3f", NAMES[p], s));
            nanos[p] = 0;
        }
        sb.append(String.format(Locale.ROOT, "; unaccounted %.3f", total - known));
        long cpu = processCpuNanos();
        sb.append(String.format(Locale.ROOT, "; process cpu %.3f s", (cpu - cpuStart) / 1e9));
        cpuStart = cpu;
        if (HEAP) {
            sb.append(String.format(Locale.ROOT, "; peak live heap %.1f MB", peakLive / 1048576.0));
        }
        start = now;
        return sb.toString();
    }
}
