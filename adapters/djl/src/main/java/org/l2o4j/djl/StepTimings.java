package org.l2o4j.djl;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where the time of {@link LearnedOptimizer#update} goes, summed over all updates since creation or
 * the last {@link #reset()}: copying the gradient out of the {@code NDArray} (and applying DJL's
 * rescale/clip/weight-decay options), the core kernel, and writing the update back into the
 * parameter and clearing its gradient. Thread-safe; the cost is four {@code System.nanoTime()}
 * calls per update.
 */
public final class StepTimings {
    private final LongAdder updates = new LongAdder();
    private final LongAdder coordinates = new LongAdder();
    private final LongAdder copyInNanos = new LongAdder();
    private final LongAdder kernelNanos = new LongAdder();
    private final LongAdder copyOutNanos = new LongAdder();

    void record(long coords, long copyIn, long kernel, long copyOut) {
        updates.increment();
        coordinates.add(coords);
        copyInNanos.add(copyIn);
        kernelNanos.add(kernel);
        copyOutNanos.add(copyOut);
    }

    /** Number of {@code update} calls (one per parameter per device per step). */
    public long updates() {
        return updates.sum();
    }

    /** Coordinates updated in total. */
    public long coordinates() {
        return coordinates.sum();
    }

    /** Nanoseconds spent reading gradients into Java arrays (and gradient options). */
    public long copyInNanos() {
        return copyInNanos.sum();
    }

    /** Nanoseconds spent in the core update rule. */
    public long kernelNanos() {
        return kernelNanos.sum();
    }

    /** Nanoseconds spent adding updates to the parameters and clearing their gradients. */
    public long copyOutNanos() {
        return copyOutNanos.sum();
    }

    /** Sets all counters to zero. */
    public void reset() {
        updates.reset();
        coordinates.reset();
        copyInNanos.reset();
        kernelNanos.reset();
        copyOutNanos.reset();
    }

    @Override
    public String toString() {
        return "StepTimings{updates="
                + updates()
                + ", coordinates="
                + coordinates()
                + ", copyInMs="
                + copyInNanos() / 1e6
                + ", kernelMs="
                + kernelNanos() / 1e6
                + ", copyOutMs="
                + copyOutNanos() / 1e6
                + "}";
    }
}
