package org.l2o4j.core.meta;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * An up-front estimate of the heap a run needs, as a sum of terms, each driven by one size option
 * (e.g. {@code --coords}). {@link #check} refuses a run whose estimate exceeds the JVM's maximum
 * heap with one line that gives the estimate, its main terms and the {@code -Xmx} it would take, so
 * huge values end in a clear error instead of an {@link OutOfMemoryError} after minutes.
 *
 * <p>The terms count the large arrays a run allocates (they scale with the options); object headers
 * and small fixed structures are left out, so the estimate is a lower bound, not a guarantee.
 */
public final class HeapEstimate {
    /**
     * One term.
     *
     * @param option the option that drives it, e.g. {@code --coords}
     * @param value that option's value
     * @param what what it is, e.g. {@code optimizer state 320 B/coordinate}
     * @param bytes its size in bytes
     */
    public record Term(String option, long value, String what, double bytes) {}

    private final List<Term> terms = new ArrayList<>();

    /** Adds a term (bytes may exceed {@code Long.MAX_VALUE}: it is a double). */
    public HeapEstimate add(String option, long value, String what, double bytes) {
        terms.add(new Term(option, value, what, bytes));
        return this;
    }

    /** Adds all of {@code other}'s terms. */
    public HeapEstimate addAll(HeapEstimate other) {
        terms.addAll(other.terms);
        return this;
    }

    /** The terms, in the order added. */
    public List<Term> terms() {
        return List.copyOf(terms);
    }

    /** The estimate in bytes. */
    public double totalBytes() {
        return terms.stream().mapToDouble(Term::bytes).sum();
    }

    /**
     * Null if the estimate fits in {@code maxHeapBytes}; otherwise the one-line refusal, e.g.
     * {@code --coords 2000000000 needs about 656 GB of heap (optimizer state 320 B/coordinate: 640
     * GB; ...); this JVM has 6.0 GB (-Xmx); raise it with L2O_JAVA_OPTS=-Xmx820g or lower
     * --coords}.
     */
    public String check(long maxHeapBytes) {
        double total = totalBytes();
        if (total <= maxHeapBytes || terms.isEmpty()) {
            return null;
        }
        List<Term> sorted = new ArrayList<>(terms);
        sorted.sort(Comparator.comparingDouble(Term::bytes).reversed());
        Term main = sorted.get(0);
        StringBuilder parts = new StringBuilder();
        for (Term t : sorted) {
            if (parts.length() > 0 && (t.bytes() < 0.01 * total || parts.length() > 200)) {
                break;
            }
            if (parts.length() > 0) {
                parts.append("; ");
            }
            parts.append(t.what()).append(": ").append(format(t.bytes()));
        }
        List<String> options = new ArrayList<>();
        for (Term t : sorted) {
            if (t.bytes() >= 0.25 * main.bytes() && !options.contains(t.option())) {
                options.add(t.option());
            }
        }
        double gib = total * 1.25 / (1L << 30);
        String advice =
                gib >= 16384
                        ? "no machine has that much memory: lower "
                        : "raise it with L2O_JAVA_OPTS=-Xmx"
                                + (long) Math.ceil(gib + 1)
                                + "g or lower ";
        return String.format(
                Locale.ROOT,
                "%s %d needs about %s of heap (%s); this JVM has %s (-Xmx); %s%s",
                main.option(),
                main.value(),
                format(total),
                parts,
                format(maxHeapBytes),
                advice,
                String.join(" or ", options));
    }

    /** Bytes in words: {@code 512 B}, {@code 3.4 MB}, {@code 16 GB}, {@code 8.0e+06 TB}. */
    public static String format(double bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        int u = 0;
        double v = bytes;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        if (v >= 1e5) {
            return String.format(Locale.ROOT, "%.1e %s", v, units[u]);
        }
        return String.format(Locale.ROOT, v < 10 && u > 0 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /**
     * The heap meta-training with {@code c} needs: the meta-loss weights (horizon), the training
     * rollout (tasks per iteration x task dimension: LSTM state and activations per coordinate),
     * the truncation's gradients and stored activations (unroll) and the validation rollout
     * (validation tasks x dimension).
     *
     * @param dimension coordinates of one task of the family
     */
    public static HeapEstimate metaTraining(MetaTrainingConfig c, long dimension) {
        DoubleBptt k = new DoubleBptt(c.lstmConfig());
        // the double kernel's rollout keeps a double block (state and scratch) per coordinate;
        // the float one only the float state; both store one row element per activation
        boolean isFloat = c.trainKernel() == BpttPrecision.FLOAT && c.lstmConfig().isLstm();
        long perCoordDouble = 40L + 8L * (k.stateRows() + k.rowsPerStep);
        long perCoord = isFloat ? 48L + 4L * k.stateRows() : perCoordDouble;
        long act = isFloat ? 4 : 8;
        long rows = isFloat ? FloatBptt.rowsPerStep(c.lstmConfig()) : k.rowsPerStep;
        long n = c.tasksPerIteration() * dimension;
        long nv = (long) c.validationTasks() * dimension;
        long blocks = (n + DoubleBptt.BLOCK - 1) / DoubleBptt.BLOCK;
        long tracked =
                c.coordinateSubsample() == 0
                        ? blocks
                        : Math.min(
                                blocks,
                                (c.coordinateSubsample() + DoubleBptt.BLOCK - 1)
                                        / DoubleBptt.BLOCK);
        long unroll = c.unroll();
        HeapEstimate e = new HeapEstimate();
        e.add("--horizon", c.horizon(), "meta-loss weights 8 B/step", 8.0 * (c.horizon() + 1));
        e.add(
                "--tasks-per-iteration",
                c.tasksPerIteration(),
                "training rollout "
                        + perCoord
                        + " B/coordinate x "
                        + dimension
                        + " coordinates/task",
                (double) perCoord * n);
        long trackedCoords = tracked * DoubleBptt.BLOCK;
        boolean byUnroll = unroll >= trackedCoords;
        e.add(
                byUnroll
                        ? "--unroll"
                        : c.coordinateSubsample() == 0 ? "--tasks-per-iteration" : "--subsample",
                byUnroll
                        ? unroll
                        : c.coordinateSubsample() == 0
                                ? c.tasksPerIteration()
                                : c.coordinateSubsample(),
                "stored activations "
                        + act * rows
                        + " B/coordinate/step x "
                        + unroll
                        + " steps x "
                        + trackedCoords
                        + " coordinates",
                (double) act * unroll * rows * DoubleBptt.BLOCK * tracked + 8.0 * (unroll + 2) * n);
        // validation runs the float inference kernel: float state, no double blocks
        long perCoordValidation = 48L + 4L * k.stateRows();
        e.add(
                "--validation-tasks",
                c.validationTasks(),
                "validation rollout "
                        + perCoordValidation
                        + " B/coordinate x "
                        + dimension
                        + " coordinates/task",
                (double) perCoordValidation * nv);
        return e;
    }
}
