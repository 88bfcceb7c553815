package org.l2o4j.core.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The learning rates tried when tuning a baseline: a sorted list of positive values.
 *
 * <p>The default is the log grid {@code 1e-4, 3e-4, 1e-3, ..., 3, 10} (11 points). It reaches 10 on
 * purpose: Adam's best rate on the 10-d quadratics is 1 to 2.15 (docs/design.md section 7), so a
 * grid that stops at 1 would under-tune it.
 */
public final class LearningRateGrid {
    private final double[] values;

    private LearningRateGrid(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("A learning-rate grid needs at least one value");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] > 0) || Double.isInfinite(v[i])) {
                throw new IllegalArgumentException(
                        "Learning rates must be finite and > 0 but the grid has " + v[i]);
            }
            if (i > 0 && v[i] == v[i - 1]) {
                throw new IllegalArgumentException("Learning rate " + v[i] + " is listed twice");
            }
        }
        this.values = v;
    }

    /** The default grid 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1, 3, 10. */
    public static LearningRateGrid defaultGrid() {
        return of(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1, 3, 10);
    }

    /** A grid of the given values (sorted; duplicates rejected). */
    public static LearningRateGrid of(double... values) {
        return new LearningRateGrid(values);
    }

    /** {@code points} values spaced evenly in log scale from {@code min} to {@code max}. */
    public static LearningRateGrid logSpaced(double min, double max, int points) {
        if (!(min > 0) || !(max > min) || points < 2) {
            throw new IllegalArgumentException(
                    "logSpaced needs 0 < min < max and points >= 2 but got min="
                            + min
                            + ", max="
                            + max
                            + ", points="
                            + points);
        }
        double[] v = new double[points];
        double a = Math.log(min);
        double b = Math.log(max);
        for (int i = 0; i < points; i++) {
            v[i] = Math.exp(a + (b - a) * i / (points - 1));
        }
        v[0] = min;
        v[points - 1] = max;
        return new LearningRateGrid(v);
    }

    /**
     * Parses {@code "1e-4,1e-3,0.01"} (a list) or {@code "1e-4:10:11"} (min:max:points, log
     * spaced).
     *
     * @throws IllegalArgumentException naming the bad part
     */
    public static LearningRateGrid parse(String spec) {
        String s = spec.trim();
        try {
            if (s.contains(":")) {
                String[] p = s.split(":");
                if (p.length != 3) {
                    throw new IllegalArgumentException(
                            "Expected min:max:points (e.g. 1e-4:10:11) but got '" + spec + "'");
                }
                return logSpaced(
                        Double.parseDouble(p[0]),
                        Double.parseDouble(p[1]),
                        Integer.parseInt(p[2].trim()));
            }
            List<Double> list = new ArrayList<>();
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    list.add(Double.parseDouble(part.trim()));
                }
            }
            return of(list.stream().mapToDouble(Double::doubleValue).toArray());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Cannot parse learning-rate grid '"
                            + spec
                            + "': expected a comma-separated list (1e-4,1e-3) or min:max:points",
                    e);
        }
    }

    /** The values, ascending (a copy). */
    public double[] values() {
        return values.clone();
    }

    /** Number of values. */
    public int size() {
        return values.length;
    }

    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}
