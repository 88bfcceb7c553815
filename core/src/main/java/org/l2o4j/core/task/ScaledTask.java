package org.l2o4j.core.task;

import java.util.List;

/**
 * A task whose loss is multiplied by {@code a} and whose parameters are reparameterised by {@code
 * s}: with {@code f} the base task,
 *
 * <pre>
 *   f'(x) = a * f(s * x),   x_0 = theta_0 / s,   grad f'(x) = a * s * grad f(s * x)
 * </pre>
 *
 * <p>Same data, minibatches and minimum (at {@code theta* / s}) as the base task; only the scale of
 * the loss and the sensitivity of the parameters change: an optimizer sees gradients {@code a * s}
 * times as large and needs steps {@code 1/s} times as large. This is the task augmentation of Metz
 * et al. 2020 ("Tasks, stability, architecture, and compute", learned_optimization's {@code
 * ReparamWeights} with a global scale, plus a loss scale): meta-training on randomly scaled tasks
 * ({@link #random}, {@code meta-train --random-scale}) discourages an optimizer from relying on the
 * absolute scale of the training tasks' losses and parameters.
 *
 * <p>The arithmetic is exactly: the base task is evaluated at {@code theta[i] = s * x[i]}; the loss
 * returned is {@code a * loss}, and gradient element {@code i} is {@code grad[i] * (a * s)}. Not
 * thread-safe (one scratch array), as tasks need not be.
 */
public final class ScaledTask implements Task {
    private static final long SALT_LOSS = 0x5CA1_E0F1_0550_0001L;
    private static final long SALT_PARAM = 0x5CA1_E0F1_0550_0002L;

    private final Task base;
    private final double lossScale;
    private final double paramScale;
    private final double gradScale;
    private final double[] theta;

    private ScaledTask(Task base, double lossScale, double paramScale) {
        this.base = base;
        this.lossScale = positive("loss scale", lossScale);
        this.paramScale = positive("parameter scale", paramScale);
        this.gradScale = lossScale * paramScale;
        this.theta = new double[base.dimension()];
    }

    /**
     * {@code base} with its loss multiplied by {@code lossScale} and its parameters reparameterised
     * by {@code paramScale} (see the class comment).
     *
     * @throws IllegalArgumentException if a scale is not finite and > 0
     */
    public static ScaledTask of(Task base, double lossScale, double paramScale) {
        return new ScaledTask(base, lossScale, paramScale);
    }

    /**
     * {@code base} scaled by the factors {@link #randomScales} draws for {@code seed}, or {@code
     * base} itself when {@code log10Range} is 0.
     */
    public static Task random(Task base, long seed, double log10Range) {
        if (log10Range == 0) {
            return base;
        }
        double[] f = randomScales(seed, log10Range);
        return new ScaledTask(base, f[0], f[1]);
    }

    /**
     * The factors of a randomly scaled task: {loss scale, parameter scale}, each {@code 10^u} with
     * {@code u} uniform in {@code [-log10Range, log10Range)}, drawn independently from {@code seed}
     * alone (a task seed gives the same factors on every machine).
     *
     * @throws IllegalArgumentException if {@code log10Range} is negative or not finite
     */
    public static double[] randomScales(long seed, double log10Range) {
        checkRange(log10Range);
        return new double[] {
            Math.pow(10, log10Range * (2 * unit(seed ^ SALT_LOSS) - 1)),
            Math.pow(10, log10Range * (2 * unit(seed ^ SALT_PARAM) - 1))
        };
    }

    /**
     * Checks a log10 range of random scales: finite and >= 0.
     *
     * @throws IllegalArgumentException otherwise, naming the value
     */
    public static double checkRange(double log10Range) {
        if (!(log10Range >= 0) || Double.isInfinite(log10Range)) {
            throw new IllegalArgumentException(
                    "random scale (log10 range) must be finite and >= 0 but was " + log10Range);
        }
        return log10Range;
    }

    private static double unit(long z) {
        return (MlpTask.SplitMix64.mix(z) >>> 11) * 0x1.0p-53;
    }

    static double positive(String what, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and > 0 but was " + v);
        }
        return v;
    }

    /** The task that is scaled. */
    public Task base() {
        return base;
    }

    /** The factor {@code a} of the loss. */
    public double lossScale() {
        return lossScale;
    }

    /** The factor {@code s} of the parameters. */
    public double paramScale() {
        return paramScale;
    }

    @Override
    public String name() {
        return base.name() + "*scaled(loss=" + lossScale + ",param=" + paramScale + ")";
    }

    @Override
    public int dimension() {
        return base.dimension();
    }

    @Override
    public double[] initialParameters() {
        double[] x = base.initialParameters();
        for (int i = 0; i < x.length; i++) {
            x[i] /= paramScale;
        }
        return x;
    }

    @Override
    public double lossAndGradient(double[] x, long t, double[] gradOut) {
        return lossAndGradient(x, t, gradOut, 1);
    }

    @Override
    public double lossAndGradient(double[] x, long t, double[] gradOut, int threads) {
        Task.checkLength("theta", x, theta.length);
        Task.checkLength("gradOut", gradOut, theta.length);
        unscale(x);
        double loss = base.lossAndGradient(theta, t, gradOut, threads);
        for (int i = 0; i < gradOut.length; i++) {
            gradOut[i] *= gradScale;
        }
        return lossScale * loss;
    }

    @Override
    public double loss(double[] x, long t) {
        Task.checkLength("theta", x, theta.length);
        unscale(x);
        return lossScale * base.loss(theta, t);
    }

    private void unscale(double[] x) {
        for (int i = 0; i < x.length; i++) {
            theta[i] = paramScale * x[i];
        }
    }

    @Override
    public List<String> parameterGroups() {
        return base.parameterGroups();
    }

    @Override
    public int[] parameterGroupLabels() {
        return base.parameterGroupLabels();
    }
}
