package org.l2o4j.core.eval;

import java.util.List;
import java.util.Locale;
import org.l2o4j.core.optim.Adam;
import org.l2o4j.core.optim.Momentum;
import org.l2o4j.core.optim.RmsProp;
import org.l2o4j.core.optim.Sgd;
import org.l2o4j.core.optim.UpdateRule;

/**
 * The hand-written baselines by name: {@code sgd}, {@code nag} (Nesterov momentum 0.9), {@code
 * rmsprop} and {@code adam}, each with default hyper-parameters except the learning rate.
 */
public final class Baselines {
    /** The known names, in report order. */
    public static final List<String> NAMES = List.of("sgd", "nag", "rmsprop", "adam");

    private Baselines() {}

    /**
     * The baseline {@code name} with learning rate {@code lr}.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones) or a
     *     non-positive learning rate
     */
    public static UpdateRule create(String name, double lr) {
        return switch (normalize(name)) {
            case "sgd" -> new Sgd(lr);
            case "nag" -> Momentum.nag(lr);
            case "rmsprop" -> new RmsProp(lr);
            case "adam" -> new Adam(lr);
            default -> throw unknown(name);
        };
    }

    /**
     * Parses a comma-separated list such as {@code "sgd,nag,rmsprop,adam"}; an empty string gives
     * an empty list.
     *
     * @throws IllegalArgumentException for an unknown or repeated name
     */
    public static List<String> parseList(String csv) {
        List<String> out = new java.util.ArrayList<>();
        for (String part : csv.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String n = normalize(p);
            if (!NAMES.contains(n)) {
                throw unknown(p);
            }
            if (out.contains(n)) {
                throw new IllegalArgumentException("Baseline '" + p + "' is listed twice");
            }
            out.add(n);
        }
        return List.copyOf(out);
    }

    private static String normalize(String name) {
        return name.trim().toLowerCase(Locale.ROOT);
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException(
                "Unknown baseline '" + name + "': expected one of " + String.join(", ", NAMES));
    }
}
