package org.l2o4j.core.task;

import java.util.Map;

/**
 * The tasks of another family with fixed loss and parameter scales ({@link ScaledTask}): for
 * evaluating an optimizer on scales it was not meta-trained on, e.g. {@code bin/l2o evaluate --task
 * 'scaled[of=quadratic;loss-scale=1000]'}. Options ({@link TaskFamilies}): {@code of}, the base
 * family's spec; {@code loss-scale} [1] and {@code param-scale} [1]; every other option is passed
 * to the base family (so {@code evaluate}'s {@code split=test} reaches it).
 */
public final class ScaledTaskFamily implements TaskFamily {

    /** The family name used by {@link TaskFamilies}. */
    public static final String NAME = "scaled";

    /** Option: the base family's spec. */
    public static final String OF = "of";

    /** Option: the factor of the loss. */
    public static final String LOSS_SCALE = "loss-scale";

    /** Option: the factor of the parameters. */
    public static final String PARAM_SCALE = "param-scale";

    private final TaskFamily base;
    private final double lossScale;
    private final double paramScale;

    private ScaledTaskFamily(TaskFamily base, double lossScale, double paramScale) {
        this.base = base;
        this.lossScale = ScaledTask.positive("loss scale", lossScale);
        this.paramScale = ScaledTask.positive("parameter scale", paramScale);
    }

    /**
     * {@code base}'s tasks with their loss multiplied by {@code lossScale} and their parameters
     * reparameterised by {@code paramScale}.
     *
     * @throws IllegalArgumentException if a scale is not finite and > 0
     */
    public static ScaledTaskFamily of(TaskFamily base, double lossScale, double paramScale) {
        return new ScaledTaskFamily(base, lossScale, paramScale);
    }

    @Override
    public String name() {
        return NAME + "(" + base.name() + ",loss=" + lossScale + ",param=" + paramScale + ")";
    }

    @Override
    public Task sample(long seed) {
        return ScaledTask.of(base.sample(seed), lossScale, paramScale);
    }

    /** The base family. */
    public TaskFamily base() {
        return base;
    }

    static double scale(Map<String, String> o, String key) {
        String v = o.get(key);
        if (v == null) {
            return 1.0;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "option "
                            + key
                            + " of task family scaled must be a number but was '"
                            + v
                            + "'");
        }
    }
}
