package org.l2o4j.core.meta;

import java.util.Locale;

/**
 * The weights {@code w_t} of the meta-loss {@code L(phi) = sum_{t=1..T} w_t f(theta_t)} over a
 * horizon {@code T} (docs/design.md section 2). {@code theta_t} is the optimizee after {@code t}
 * updates; {@code f(theta_0)} does not depend on the optimizer and is never part of the meta-loss.
 *
 * <ul>
 *   <li>{@code uniform}: {@code w_t = 1} (the paper), minimises the area under the loss curve;
 *   <li>{@code final}: only {@code w_T} is non-zero: the final loss;
 *   <li>{@code discounted:G}: {@code w_t = G^(T-t)}, {@code 0 < G <= 1}: late steps count more;
 *   <li>{@code linear}: {@code w_t = t}.
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
        LINEAR
    }

    private final Kind kind;

    /** The discount G of {@code discounted:G} (1 otherwise). */
    private final double gamma;

    private MetaLossWeighting(Kind kind, double gamma) {
        this.kind = kind;
        this.gamma = gamma;
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
     * Parses {@code uniform}, {@code final}, {@code linear} or {@code discounted:G}.
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
                        + "': expected uniform, final, linear or discounted:G with 0 < G <= 1");
    }

    /**
     * The normalised weights for horizon {@code T}: an array of length {@code T + 1} with {@code
     * w[0] = 0} and {@code w[t]} the weight of {@code f(theta_t)}, summing to 1.
     *
     * @throws IllegalArgumentException if {@code horizon < 1}
     */
    public double[] weights(int horizon) {
        if (horizon < 1) {
            throw new IllegalArgumentException("horizon must be >= 1 but was " + horizon);
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
                && Double.compare(((MetaLossWeighting) o).gamma, gamma) == 0;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Double.hashCode(gamma);
    }

    /** The parseable form, e.g. {@code discounted:0.95}. */
    @Override
    public String toString() {
        switch (kind) {
            case UNIFORM:
                return "uniform";
            case FINAL:
                return "final";
            case LINEAR:
                return "linear";
            default:
                return "discounted:" + gamma;
        }
    }
}
