package org.l2o4j.core.meta;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The weights {@code w_t} of the meta-loss {@code L(phi) = sum_{t=1..T} w_t f(theta_t)} over a
 * horizon {@code T} (docs/design.md section 2). {@code theta_t} is the optimizee after {@code t}
 * updates; {@code f(theta_0)} does not depend on the optimizer and is never part of the meta-loss.
 *
 * <ul>
 *   <li>{@code uniform}: {@code w_t = 1} (the paper), minimises the area under the loss curve;
 *   <li>{@code final}: only {@code w_T} is non-zero: the final loss;
 *   <li>{@code discounted:G}: {@code w_t = G^(T-t)}, {@code 0 < G <= 1}: late steps count more;
 *   <li>{@code linear}: {@code w_t = t};
 *   <li>{@code steps:S1,S2,...} (e.g. {@code steps:100,3000}): {@code w_t = 1} at the listed steps
 *       that lie within the horizon, 0 elsewhere: the final losses of several horizons in one run
 *       (an early one and a late one), each in its own truncation when the steps are multiples of
 *       the unroll. Steps beyond the horizon are ignored (a curriculum's shorter stages); at least
 *       one must lie within it;
 *   <li>{@code A+B+...} (e.g. {@code linear+steps:100}, or with shares {@code
 *       0.7*linear+0.3*steps:100}): a sum of the weightings above, each normalised over the horizon
 *       and multiplied by its share (1 when none is given) before the sum: one run trains several
 *       objectives, e.g. the whole late run ({@code linear} over 3,000 steps) and the loss after
 *       100 steps. A {@code steps:} part with no step within a (curriculum stage's) horizon is left
 *       out there; at least one part must apply.
 * </ul>
 *
 * <p>The weights are normalised to sum to 1 over the horizon, so the meta-loss is a weighted mean
 * of the losses and its scale does not depend on {@code T} or on the weighting. {@link #toString()}
 * gives the text that {@link #parse(String)} reads (recorded in weight files).
 */
public final class MetaLossWeighting {
    private enum Kind {
        UNIFORM,
        FINAL,
        DISCOUNTED,
        LINEAR,
        STEPS,
        SUM
    }

    private final Kind kind;

    /** The discount G of {@code discounted:G} (1 otherwise). */
    private final double gamma;

    /** The steps of {@code steps:...}, ascending (empty otherwise). */
    private final int[] steps;

    /** The parts of {@code A+B+...} (empty otherwise). */
    private final MetaLossWeighting[] parts;

    /** The shares of the parts of {@code A+B+...}, each > 0 (empty otherwise). */
    private final double[] shares;

    private MetaLossWeighting(Kind kind, double gamma) {
        this(kind, gamma, new int[0]);
    }

    private MetaLossWeighting(Kind kind, double gamma, int[] steps) {
        this.kind = kind;
        this.gamma = gamma;
        this.steps = steps;
        this.parts = new MetaLossWeighting[0];
        this.shares = new double[0];
    }

    private MetaLossWeighting(MetaLossWeighting[] parts, double[] shares) {
        this.kind = Kind.SUM;
        this.gamma = 1;
        this.steps = new int[0];
        this.parts = parts;
        this.shares = shares;
    }

    /** {@code w_t = 1} (the paper). */
    public static MetaLossWeighting uniform() {
        return new MetaLossWeighting(Kind.UNIFORM, 1);
    }

    /** Only the final loss. */
    public static MetaLossWeighting finalStep() {
        return new MetaLossWeighting(Kind.FINAL, 1);
    }

    /** {@code w_t = t}. */
    public static MetaLossWeighting linear() {
        return new MetaLossWeighting(Kind.LINEAR, 1);
    }

    /**
     * {@code w_t = gamma^(T-t)}.
     *
     * @throws IllegalArgumentException unless {@code 0 < gamma <= 1}
     */
    public static MetaLossWeighting discounted(double gamma) {
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException(
                    "discount G of discounted:G must be in (0, 1] but was " + gamma);
        }
        return new MetaLossWeighting(Kind.DISCOUNTED, gamma);
    }

    /**
     * Weight 1 at each of the given steps (within the horizon), 0 elsewhere.
     *
     * @throws IllegalArgumentException unless there is at least one step and all are >= 1
     */
    public static MetaLossWeighting steps(int... steps) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int s : steps) {
            if (s < 1) {
                throw new IllegalArgumentException(
                        "the steps of steps:S1,S2,... must be >= 1 but one was " + s);
            }
            set.add(s);
        }
        if (set.isEmpty()) {
            throw new IllegalArgumentException("steps:S1,S2,... needs at least one step");
        }
        return new MetaLossWeighting(
                Kind.STEPS, 1, set.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * The sum of {@code parts}, part {@code i} normalised over the horizon and multiplied by {@code
     * shares[i]}.
     *
     * @throws IllegalArgumentException unless there are two or more parts, none itself a sum, with
     *     as many shares, each finite and > 0
     */
    public static MetaLossWeighting sum(MetaLossWeighting[] parts, double[] shares) {
        if (parts.length < 2 || shares.length != parts.length) {
            throw new IllegalArgumentException(
                    "a sum of weightings needs two or more parts, each with a share, but had "
                            + parts.length
                            + " parts and "
                            + shares.length
                            + " shares");
        }
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].kind == Kind.SUM) {
                throw new IllegalArgumentException(
                        "a part of a sum of weightings cannot itself be a sum: " + parts[i]);
            }
            if (!(shares[i] > 0) || Double.isInfinite(shares[i])) {
                throw new IllegalArgumentException(
                        "the share of '"
                                + parts[i]
                                + "' in a sum of weightings must be a finite number > 0 but was "
                                + shares[i]);
            }
        }
        return new MetaLossWeighting(parts.clone(), shares.clone());
    }

    /**
     * Parses {@code uniform}, {@code final}, {@code linear}, {@code discounted:G}, {@code
     * steps:S1,S2,...} or a sum {@code [F*]A+[F*]B+...} of them (e.g. {@code linear+steps:100}).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static MetaLossWeighting parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        // a '+' after a digit and 'e' is an exponent's sign (discounted:1e+0), not a sum
        String[] items = s.split("(?<![0-9.]e)\\+", -1);
        if (items.length > 1) {
            MetaLossWeighting[] parts = new MetaLossWeighting[items.length];
            double[] shares = new double[items.length];
            for (int i = 0; i < items.length; i++) {
                String item = items[i].trim();
                int star = item.indexOf('*');
                shares[i] = 1;
                if (star >= 0) {
                    String f = item.substring(0, star).trim();
                    try {
                        shares[i] = Double.parseDouble(f);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(
                                "the share '"
                                        + f
                                        + "' in '"
                                        + text
                                        + "' must be a number > 0, as in 0.7*linear+0.3*steps:100",
                                e);
                    }
                    item = item.substring(star + 1).trim();
                }
                if (item.isEmpty()) {
                    throw new IllegalArgumentException(
                            "'" + text + "' has an empty part: expected e.g. linear+steps:100");
                }
                parts[i] = parse(item);
            }
            return sum(parts, shares);
        }
        switch (s) {
            case "uniform":
                return uniform();
            case "final":
                return finalStep();
            case "linear":
                return linear();
            default:
                break;
        }
        if (s.startsWith("steps:")) {
            String[] parts = s.substring("steps:".length()).split(",", -1);
            int[] st = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    st[i] = Integer.parseInt(parts[i].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "steps in '"
                                    + text
                                    + "' must be whole numbers >= 1, e.g. steps:100,3000, but"
                                    + " one was '"
                                    + parts[i].trim()
                                    + "'",
                            e);
                }
            }
            return steps(st);
        }
        if (s.startsWith("discounted:")) {
            String g = s.substring("discounted:".length());
            double gamma;
            try {
                gamma = Double.parseDouble(g);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "discount G in '"
                                + text
                                + "' must be a number in (0, 1] but was '"
                                + g
                                + "'",
                        e);
            }
            return discounted(gamma);
        }
        throw new IllegalArgumentException(
                "Unknown meta-loss weighting '"
                        + text
                        + "': expected uniform, final, linear, discounted:G with 0 < G <= 1 or"
                        + " steps:S1,S2,..., or a sum of them such as linear+steps:100");
    }

    /**
     * The normalised weights for horizon {@code T}: an array of length {@code T + 1} with {@code
     * w[0] = 0} and {@code w[t]} the weight of {@code f(theta_t)}, summing to 1.
     *
     * @throws IllegalArgumentException if {@code horizon < 1}, or for {@code steps:...} if none of
     *     the steps lies within the horizon
     */
    public double[] weights(int horizon) {
        if (horizon < 1) {
            throw new IllegalArgumentException("horizon must be >= 1 but was " + horizon);
        }
        if (kind == Kind.SUM) {
            double[] w = new double[horizon + 1];
            boolean any = false;
            for (int i = 0; i < parts.length; i++) {
                if (!parts[i].appliesWithin(horizon)) {
                    continue; // none of its steps within this (curriculum stage's) horizon
                }
                any = true;
                double[] p = parts[i].weights(horizon);
                for (int t = 1; t <= horizon; t++) {
                    w[t] += shares[i] * p[t];
                }
            }
            if (!any) {
                throw new IllegalArgumentException(
                        "no part of " + this + " applies within the horizon " + horizon);
            }
            return normalized(w);
        }
        if (!appliesWithin(horizon)) {
            throw new IllegalArgumentException(
                    "none of the steps of "
                            + this
                            + " lies within the horizon "
                            + horizon
                            + ": list a step <= "
                            + horizon);
        }
        double[] w = new double[horizon + 1];
        for (int t = 1; t <= horizon; t++) {
            switch (kind) {
                case UNIFORM:
                    w[t] = 1;
                    break;
                case FINAL:
                    w[t] = t == horizon ? 1 : 0;
                    break;
                case LINEAR:
                    w[t] = t;
                    break;
                case DISCOUNTED:
                    w[t] = Math.pow(gamma, horizon - t);
                    break;
                case STEPS:
                    w[t] = Arrays.binarySearch(steps, t) >= 0 ? 1 : 0;
                    break;
                default:
                    throw new AssertionError(kind);
            }
        }
        return normalized(w);
    }

    /** False only for {@code steps:...} with every step beyond {@code horizon}. */
    private boolean appliesWithin(int horizon) {
        return kind != Kind.STEPS || steps[0] <= horizon;
    }

    /** {@code w} divided by its sum, in place ({@code w[0]} is 0). */
    private static double[] normalized(double[] w) {
        double sum = 0;
        for (double v : w) {
            sum += v;
        }
        for (int t = 1; t < w.length; t++) {
            w[t] /= sum;
        }
        return w;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetaLossWeighting
                && ((MetaLossWeighting) o).kind == kind
                && Double.compare(((MetaLossWeighting) o).gamma, gamma) == 0
                && Arrays.equals(((MetaLossWeighting) o).steps, steps)
                && Arrays.equals(((MetaLossWeighting) o).parts, parts)
                && Arrays.equals(((MetaLossWeighting) o).shares, shares);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                kind,
                gamma,
                Arrays.hashCode(steps),
                Arrays.hashCode(parts),
                Arrays.hashCode(shares));
    }

    /**
     * The parseable form, e.g. {@code discounted:0.95}, {@code steps:100,3000} or {@code
     * linear+steps:100}.
     */
    @Override
    public String toString() {
        switch (kind) {
            case SUM:
                {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < parts.length; i++) {
                        sb.append(i > 0 ? "+" : "");
                        if (shares[i] != 1) {
                            sb.append(shares[i]).append('*');
                        }
                        sb.append(parts[i]);
                    }
                    return sb.toString();
                }
            case UNIFORM:
                return "uniform";
            case FINAL:
                return "final";
            case LINEAR:
                return "linear";
            case STEPS:
                {
                    StringBuilder sb = new StringBuilder("steps:");
                    for (int i = 0; i < steps.length; i++) {
                        sb.append(i > 0 ? "," : "").append(steps[i]);
                    }
                    return sb.toString();
                }
            default:
                return "discounted:" + gamma;
        }
    }
}
