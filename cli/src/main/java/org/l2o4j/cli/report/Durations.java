package org.l2o4j.cli.report;

import java.util.Locale;

/** Durations for progress lines: {@code 1h02m}, {@code 3m05s}, {@code ?} when unknown. */
public final class Durations {
    private Durations() {}

    /**
     * {@code seconds} as {@code XhYYm} from an hour on, else {@code XmYYs}; {@code ?} if not
     * finite.
     */
    public static String format(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long t = Math.max(0, Math.round(seconds));
        return t >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
