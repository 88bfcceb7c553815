package org.l2o4j.core.meta;

import java.util.Arrays;
import java.util.Locale;
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
 *       one must lie within it.
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
        STEPS
    }

    private final Kind kind;

    /** The discount G of {@code discounted:G} (1 otherwise). */
    private final double gamma;

    /** The steps of {@code steps:...}, ascending (empty otherwise). */
    private final int[] steps;

    private MetaLossWeighting(Kind kind, double gamma) {
        this(kind, gamma, new int[0]);
    }

    private MetaLossWeighting(Kind kind, double gamma, int[] steps) {
        this.kind = kind;
        this.gamma = gamma;
        this.steps = steps;
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
     * Parses {@code uniform}, {@code final}, {@code linear}, {@code discounted:G} or {@code
     * steps:S1,S2,...}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static MetaLossWeighting parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
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
                        + " steps:S1,S2,...");
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
        if (kind == Kind.STEPS && steps[0] > horizon) {
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
        double sum = 0;
        for (double v : w) {
            sum += v;
        }
        for (int t = 1; t <= horizon; t++) {
            w[t] /= sum;
        }
        return w;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetaLossWeighting
                && ((MetaLossWeighting) o).kind == kind
                && Double.compare(((MetaLossWeighting) o).gamma, gamma) == 0
                && Arrays.equals(((MetaLossWeighting) o).steps, steps);
    }

    @Override
    public int hashCode() {
        return (kind.hashCode() * 31 + Double.hashCode(gamma)) * 31 + Arrays.hashCode(steps);
    }

    /** The parseable form, e.g. {@code discounted:0.95} or {@code steps:100,3000}. */
    @Override
    public String toString() {
        switch (kind) {
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
