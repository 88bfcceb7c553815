package org.l2o4j.core.task;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the string options of a family spec (see {@link TaskFamilies}); every error names the
 * option, what was expected and what was found.
 */
final class TaskOptions {

    private TaskOptions() {}

    /**
     * The integer option {@code key} in {@code [min, max]}, or {@code def} when absent.
     *
     * @throws IllegalArgumentException naming the option, the accepted range and the value
     */
    static int integer(Map<String, String> o, String key, int def, int min, int max) {
        String v = o.get(key);
        if (v == null) {
            return def;
        }
        int x;
        try {
            x = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "option "
                            + key
                            + " must be an integer"
                            + range(min, max)
                            + " but was '"
                            + v
                            + "'");
        }
        checkRange(key, x, min, max);
        return x;
    }

    /** Checks {@code min <= x <= max}, naming the option. */
    static void checkRange(String key, int x, int min, int max) {
        if (x < min || x > max) {
            throw new IllegalArgumentException(
                    "option " + key + " must be an integer" + range(min, max) + " but was " + x);
        }
    }

    private static String range(int min, int max) {
        if (max == Integer.MAX_VALUE) {
            return " >= " + min;
        }
        return " in [" + min + ", " + max + "]";
    }

    /**
     * The finite number option {@code key}, at least {@code min}, or {@code def} when absent.
     *
     * @throws IllegalArgumentException naming the option, what is accepted and the value
     */
    static double number(Map<String, String> o, String key, double def, double min) {
        String v = o.get(key);
        if (v == null) {
            return def;
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            x = Double.NaN;
        }
        if (!(x >= min) || Double.isInfinite(x)) {
            throw new IllegalArgumentException(
                    "option "
                            + key
                            + " must be a finite number >= "
                            + min
                            + " but was '"
                            + v
                            + "'");
        }
        return x;
    }

    /**
     * The option {@code key}, one of {@code allowed} (case-insensitive, returned in lower case), or
     * {@code def} when absent.
     *
     * @throws IllegalArgumentException naming the option, the accepted values and the value
     */
    static String choice(Map<String, String> o, String key, String def, List<String> allowed) {
        String v = o.get(key);
        if (v == null) {
            return def;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (!allowed.contains(s)) {
            throw new IllegalArgumentException(
                    "option "
                            + key
                            + " must be one of "
                            + String.join(", ", allowed)
                            + " but was '"
                            + v
                            + "'");
        }
        return s;
    }
}
