package org.l2o4j.core.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A mixture of task families: {@link #sample(long)} picks a component with probability proportional
 * to its weight, as a deterministic function of the seed, and returns that component's task for the
 * same seed. Used to meta-train general optimizers on several kinds of problems.
 */
public final class MixtureTaskFamily implements TaskFamily {

    /** The family name used by {@link TaskFamilies}. */
    public static final String NAME = "mixed";

    private static final long PICK_SALT = 0x243F6A8885A308D3L;

    private final List<TaskFamily> components;
    private final double[] cumulative;
    private final double[] weights;

    private MixtureTaskFamily(List<TaskFamily> components, double[] weights) {
        this.components = List.copyOf(components);
        this.weights = weights.clone();
        this.cumulative = new double[weights.length];
        double total = 0;
        for (int k = 0; k < weights.length; k++) {
            total += weights[k];
            cumulative[k] = total;
        }
        for (int k = 0; k < weights.length; k++) {
            cumulative[k] /= total;
        }
        cumulative[weights.length - 1] = 1.0;
    }

    /**
     * A mixture of {@code components} with the given weights.
     *
     * @throws IllegalArgumentException if the lists are empty or differ in length, or a weight is
     *     negative, non-finite or they are all zero
     */
    public static MixtureTaskFamily of(
            List<? extends TaskFamily> components, List<Double> weights) {
        if (components.isEmpty()) {
            throw new IllegalArgumentException("a mixture needs at least one component family");
        }
        if (components.size() != weights.size()) {
            throw new IllegalArgumentException(
                    components.size()
                            + " component families but "
                            + weights.size()
                            + " weights; give one weight per family");
        }
        double[] w = new double[weights.size()];
        double total = 0;
        for (int k = 0; k < w.length; k++) {
            w[k] = Objects.requireNonNull(weights.get(k), "weight");
            if (!(w[k] >= 0) || Double.isInfinite(w[k])) {
                throw new IllegalArgumentException(
                        "mixture weight " + k + " must be finite and >= 0 but was " + w[k]);
            }
            total += w[k];
        }
        if (total <= 0) {
            throw new IllegalArgumentException("mixture weights must not all be zero");
        }
        return new MixtureTaskFamily(new ArrayList<>(components), w);
    }

    /** An equally weighted mixture. */
    public static MixtureTaskFamily uniform(List<? extends TaskFamily> components) {
        List<Double> w = new ArrayList<>();
        for (int k = 0; k < components.size(); k++) {
            w.add(1.0);
        }
        return of(components, w);
    }

    /** {@inheritDoc} E.g. {@code mixed(quadratic(...):1.0,mnist-mlp(...):1.0)}. */
    @Override
    public String name() {
        StringBuilder sb = new StringBuilder(NAME).append('(');
        for (int k = 0; k < components.size(); k++) {
            if (k > 0) {
                sb.append(',');
            }
            sb.append(components.get(k).name()).append(':').append(weights[k]);
        }
        return sb.append(')').toString();
    }

    /** {@inheritDoc} */
    @Override
    public Task sample(long seed) {
        return components.get(componentIndex(seed)).sample(seed);
    }

    /** The index of the component that {@link #sample(long)} uses for {@code seed}. */
    public int componentIndex(long seed) {
        double u = (MlpTask.SplitMix64.mix(seed ^ PICK_SALT) >>> 11) * 0x1.0p-53;
        for (int k = 0; k < cumulative.length; k++) {
            if (u < cumulative[k]) {
                return k;
            }
        }
        return cumulative.length - 1;
    }

    /** The component families, in order. */
    public List<TaskFamily> components() {
        return components;
    }

    /** The weights, in order (not normalized). */
    public double[] weights() {
        return weights.clone();
    }
}
