package org.l2o4j.core.lstm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The input features of a learned optimizer's cell, computed per coordinate from its gradient, its
 * parameter value and the running statistics kept in the optimizer's per-coordinate state.
 *
 * <p>Features, by id (a feature set is a comma-separated list of them, in column order):
 *
 * <ul>
 *   <li>{@code log-sign}: the paper's preprocessing, two columns ({@link Preprocessing#LOG_SIGN},
 *       with the config's p);
 *   <li>{@code grad}: the raw gradient, one column ({@link Preprocessing#NONE});
 *   <li>{@code rms}: the gradient over its running root mean square, {@code g / (sqrt(v^) + eps)}
 *       with {@code v = 0.999 v + 0.001 g^2} bias-corrected by {@code 1 - 0.999^t} (Adam's second
 *       moment, {@value #EPS_TEXT});
 *   <li>{@code mom:B} (for a decay {@code B} in (0, 1), e.g. {@code mom:0.9}): the momentum {@code
 *       m = B m + (1 - B) g}, bias-corrected by {@code 1 - B^t}, over the same {@code sqrt(v^) +
 *       eps};
 *   <li>{@code time:TAU} (for a number of steps {@code TAU > 0}, e.g. {@code time:1000}): the
 *       coordinate's own step count {@code t} (the same {@code t} as the bias corrections, this
 *       step included) as {@code tanh(t / TAU)}, one column: 0 at the start, 0.76 at {@code t =
 *       TAU}, 1 from about {@code 3 TAU} on, so it tells the cell how far training has gone and
 *       stays bounded however long a run is. Several scales give a log-spaced clock (e.g. {@code
 *       time:100,time:1000,time:10000});
 *   <li>{@code early:TAU} (for {@code TAU > 0} steps, e.g. {@code early:30}): the same clock's
 *       complement, {@code 1 - tanh(t / TAU)}, one column: 1 at the start, 0.24 at {@code t = TAU},
 *       below 0.003 from {@code 3.5 TAU} on, so weights on it change what the cell does early in a
 *       run only (the counterpart of a slow {@code time:TAU} for late changes);
 *   <li>{@code param}: the parameter's value {@code theta} before the step, one column. A set with
 *       it {@linkplain #needsParam() needs the parameters}: {@link #step(double, double, double[],
 *       double[], int, int, double, double, double, double[])} takes theta, the gradient-only
 *       overloads refuse such a set. The first-order meta-gradient treats theta here as an input,
 *       like the gradient (no gradient flows through theta into the feature).
 * </ul>
 *
 * <p>State ({@link #stateRows()} floats per coordinate, none if the set has no {@code rms},
 * momentum or time feature): row 0 the coordinate's own step count {@code t}, row 1 the second
 * moment {@code v}, then one row per momentum in the order of the set. They are updated from
 * gradients only, so they do not depend on the optimizer's weights: the first-order meta-gradient
 * treats them, like the gradients, as constants (docs/design.md section 2). A coordinate frozen by
 * {@link ZeroGradientPolicy#FREEZE} or skipped for a non-finite gradient keeps them as they are,
 * its {@code t} included, so its bias correction stays its own.
 *
 * <p>{@link #step} is the one implementation of the features, in double, used by the inference
 * kernel (float state, float network) and by the meta-trainer's double kernel. Immutable.
 */
public final class FeatureSet {
    /** Decay of the running second moment. */
    public static final double RMS_DECAY = 0.999;

    /** Added to {@code sqrt(v^)} before dividing. */
    public static final double EPS = 1e-8;

    private static final String EPS_TEXT = "eps = 1e-8";

    /** The accepted feature ids, for error messages and option descriptions. */
    public static final String ACCEPTED =
            "log-sign, grad, rms, mom:B (0 < B < 1), time:TAU (TAU > 0 steps), param, early:TAU"
                    + " (TAU > 0 steps)";

    /** The kinds of feature. */
    public enum Kind {
        /** Log-sign preprocessing, two columns. */
        LOG_SIGN("log-sign", 2),
        /** The raw gradient, one column. */
        GRAD("grad", 1),
        /** The gradient over the running RMS, one column. */
        RMS("rms", 1),
        /** A momentum over the running RMS, one column; has a decay. */
        MOMENTUM("mom", 1),
        /** The parameter's value before the step, one column. */
        PARAM("param", 1),
        /**
         * The step count as {@code tanh(t / TAU)} ({@code time:TAU}) or {@code 1 - tanh(t / TAU)}
         * ({@code early:TAU}, {@link Feature#early()}), one column; has a scale TAU.
         */
        TIME("time", 1);

        private final String id;
        private final int columns;

        Kind(String id, int columns) {
            this.id = id;
            this.columns = columns;
        }

        /** The id in feature lists. */
        public String id() {
            return id;
        }
    }

    /** One feature: its kind and, for a momentum its decay, for a time feature its scale. */
    public static final class Feature {
        private final Kind kind;
        // a momentum's decay or a time feature's scale TAU
        private final double decay;

        private Feature(Kind kind, double decay) {
            this.kind = kind;
            this.decay = decay;
        }

        /** The kind. */
        public Kind kind() {
            return kind;
        }

        /** The decay of a momentum (NaN for the others). */
        public double decay() {
            return kind == Kind.MOMENTUM ? decay : Double.NaN;
        }

        /** Its number of input columns (e.g. 2 for {@code log-sign}, 1 for {@code grad}). */
        public int columns() {
            return kind.columns;
        }

        /** The scale TAU of a time feature, in steps (NaN for the others). */
        public double tau() {
            return kind == Kind.TIME ? Math.abs(decay) : Double.NaN;
        }

        /**
         * Whether a time feature is {@code early:TAU}, {@code 1 - tanh(t / TAU)} (false for {@code
         * time:TAU} and the other kinds).
         */
        public boolean early() {
            return kind == Kind.TIME && decay < 0;
        }

        /**
         * The id: {@code log-sign}, {@code grad}, {@code rms}, {@code mom:B}, {@code time:TAU} or
         * {@code early:TAU} (an integral TAU without a fraction, e.g. {@code time:1000}) or {@code
         * param}.
         */
        public String id() {
            if (kind == Kind.MOMENTUM) {
                return "mom:" + decay;
            }
            if (kind == Kind.TIME) {
                double tau = Math.abs(decay);
                String name = decay < 0 ? "early:" : "time:";
                return tau == Math.rint(tau) && tau < 1e15 ? name + (long) tau : name + tau;
            }
            return kind.id;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Feature
                    && ((Feature) o).kind == kind
                    && Double.compare(((Feature) o).decay, decay) == 0;
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, decay);
        }

        @Override
        public String toString() {
            return id();
        }
    }

    /** Today's LSTM input: log-sign. */
    public static final FeatureSet LOG_SIGN = parse("log-sign");

    /** The raw gradient. */
    public static final FeatureSet GRAD = parse("grad");

    /** The default of the MLP cell: the RMS-normalized gradient and three momenta. */
    public static final FeatureSet MLP_DEFAULT = parse("rms,mom:0.5,mom:0.9,mom:0.99");

    private final List<Feature> features;
    // the kinds in column order, for the per-coordinate step (iterating the list would allocate
    // an iterator per coordinate wherever C2 does not inline and scalar-replace it)
    private final Kind[] kinds;
    private final int columns;
    private final boolean stats;
    private final boolean param;
    private final double[] momDecays;
    private final double[] momLogDecays;
    private final double[] timeScales;
    private final double logRmsDecay = Math.log(RMS_DECAY);

    private FeatureSet(List<Feature> features) {
        this.features = Collections.unmodifiableList(new ArrayList<>(features));
        this.kinds = new Kind[features.size()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = features.get(i).kind;
        }
        int c = 0;
        boolean s = false;
        boolean th = false;
        int moms = 0;
        int times = 0;
        for (Feature f : features) {
            c += f.kind.columns;
            s |= f.kind == Kind.RMS || f.kind == Kind.MOMENTUM || f.kind == Kind.TIME;
            th |= f.kind == Kind.PARAM;
            if (f.kind == Kind.MOMENTUM) {
                moms++;
            } else if (f.kind == Kind.TIME) {
                times++;
            }
        }
        this.columns = c;
        this.stats = s;
        this.param = th;
        this.momDecays = new double[moms];
        this.momLogDecays = new double[moms];
        this.timeScales = new double[times];
        int m = 0;
        int k = 0;
        for (Feature f : features) {
            if (f.kind == Kind.MOMENTUM) {
                momDecays[m] = f.decay;
                momLogDecays[m] = Math.log(f.decay);
                m++;
            } else if (f.kind == Kind.TIME) {
                timeScales[k++] = f.decay;
            }
        }
    }

    /**
     * Parses a comma-separated list of feature ids (see the class comment).
     *
     * @throws IllegalArgumentException naming the unknown or malformed feature and what is accepted
     */
    public static FeatureSet parse(String list) {
        Objects.requireNonNull(list, "features");
        List<Feature> out = new ArrayList<>();
        for (String raw : list.split(",", -1)) {
            String id = raw.trim().toLowerCase(Locale.ROOT);
            Feature f;
            if (id.equals("log-sign")) {
                f = new Feature(Kind.LOG_SIGN, Double.NaN);
            } else if (id.equals("grad")) {
                f = new Feature(Kind.GRAD, Double.NaN);
            } else if (id.equals("rms")) {
                f = new Feature(Kind.RMS, Double.NaN);
            } else if (id.equals("param")) {
                f = new Feature(Kind.PARAM, Double.NaN);
            } else if (id.startsWith("mom:")) {
                double d = number(id.substring(4));
                if (!(d > 0 && d < 1)) {
                    throw new IllegalArgumentException(
                            "Feature '"
                                    + raw.trim()
                                    + "': a momentum's decay must be a number in (0, 1), e.g."
                                    + " mom:0.9");
                }
                f = new Feature(Kind.MOMENTUM, d);
            } else if (id.startsWith("time:") || id.startsWith("early:")) {
                boolean early = id.startsWith("early:");
                double tau = number(id.substring(early ? 6 : 5));
                if (!(tau > 0 && tau < Double.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException(
                            "Feature '"
                                    + raw.trim()
                                    + "': a time feature's scale must be a positive number of"
                                    + " steps, e.g. "
                                    + (early ? "early:30" : "time:1000"));
                }
                // early:TAU is kept as a time feature with a negative scale
                f = new Feature(Kind.TIME, early ? -tau : tau);
            } else {
                throw new IllegalArgumentException(
                        "Unknown feature '" + raw.trim() + "': expected one of " + ACCEPTED);
            }
            if (out.contains(f)) {
                throw new IllegalArgumentException("Feature '" + f.id() + "' is listed twice");
            }
            out.add(f);
        }
        return new FeatureSet(out);
    }

    /** The number in a feature's parameter text, or NaN if it is not one. */
    private static double number(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** The features in column order. */
    public List<Feature> features() {
        return features;
    }

    /** Input columns of the cell. */
    public int columns() {
        return columns;
    }

    /**
     * Floats of running statistics per coordinate: 0, or 2 + the number of momenta (a set with a
     * time feature but no rms or momentum still keeps the step count and the second moment).
     */
    public int stateRows() {
        return stats ? 2 + momDecays.length : 0;
    }

    /** Whether the set has a log-sign feature. */
    public boolean hasLogSign() {
        for (Feature f : features) {
            if (f.kind == Kind.LOG_SIGN) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the set has the {@code param} feature: its steps need the parameter values ({@link
     * #step(double, double, double[], double[], int, int, double, double, double, double[])}).
     */
    public boolean needsParam() {
        return param;
    }

    /** The canonical comma-separated id, as written to weight files. */
    public String id() {
        StringBuilder sb = new StringBuilder();
        for (Feature f : features) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(f.id());
        }
        return sb.toString();
    }

    /**
     * One step of one coordinate: advances the statistics {@code st[0 .. stateRows())} in place
     * with the gradient {@code g} and writes the {@link #columns()} features to {@code x[xOff + c *
     * stride]}.
     *
     * @param expNegP log-sign threshold {@code e^-p} (as the kernels round it)
     * @param expP {@code e^p} (as the kernels round it)
     * @param invP {@code 1 / p}
     * @throws IllegalStateException if the set has the {@code param} feature (use the overload with
     *     theta)
     */
    public void step(
            double g,
            double[] st,
            double[] x,
            int xOff,
            int stride,
            double expNegP,
            double expP,
            double invP) {
        step(g, st, x, xOff, stride, expNegP, expP, invP, null);
    }

    /**
     * Doubles of the bias-correction cache of {@link #step(double, double[], double[], int, int,
     * double, double, double, double[])}.
     */
    public int cacheSize() {
        return 2 + momDecays.length + timeScales.length;
    }

    /**
     * {@link #step} with a cache of the bias corrections of the last step count seen ({@link
     * #cacheSize()} doubles, first element NaN when fresh; not shared between threads): the
     * coordinates of a step usually share their step count, so the powers are computed once. The
     * results are the same with or without it.
     *
     * @throws IllegalStateException if the set has the {@code param} feature (use the overload with
     *     theta)
     */
    public void step(
            double g,
            double[] st,
            double[] x,
            int xOff,
            int stride,
            double expNegP,
            double expP,
            double invP,
            double[] cache) {
        if (param) {
            throw missingParam(this);
        }
        step(g, Double.NaN, st, x, xOff, stride, expNegP, expP, invP, cache);
    }

    /** The error of a step without parameter values for a set with {@code param}. */
    static IllegalStateException missingParam(FeatureSet fs) {
        return new IllegalStateException(
                "The features "
                        + fs.id()
                        + " include param (the parameter's value) but the step was given no"
                        + " parameter values: pass theta (e.g. UpdateRule.step(state, params,"
                        + " paramOffset, grad, gradOffset, update, updateOffset))");
    }

    /**
     * {@link #step(double, double[], double[], int, int, double, double, double, double[])} with
     * the parameter's value {@code theta} before the step, the {@code param} feature's column
     * (ignored by a set without it).
     */
    public void step(
            double g,
            double theta,
            double[] st,
            double[] x,
            int xOff,
            int stride,
            double expNegP,
            double expP,
            double invP,
            double[] cache) {
        double denom = 0;
        double[] corr = cache;
        if (stats) {
            double t = st[0] + 1;
            st[0] = t;
            if (corr == null) {
                corr = new double[cacheSize()];
                corr[0] = Double.NaN;
            }
            if (corr[0] != t) {
                corrections(t, corr);
            }
            double v = RMS_DECAY * st[1] + (1 - RMS_DECAY) * g * g;
            st[1] = v;
            denom = Math.sqrt(v / corr[1]) + EPS;
            for (int k = 0; k < momDecays.length; k++) {
                double b = momDecays[k];
                st[2 + k] = b * st[2 + k] + (1 - b) * g;
            }
        }
        int c = 0;
        int m = 0;
        int k = 0;
        for (Kind kind : kinds) {
            switch (kind) {
                case LOG_SIGN:
                    {
                        double a = Math.abs(g);
                        if (a >= expNegP) {
                            x[xOff + c * stride] = Math.log(a) * invP;
                            x[xOff + (c + 1) * stride] = Math.signum(g);
                        } else {
                            x[xOff + c * stride] = -1.0;
                            x[xOff + (c + 1) * stride] = expP * g;
                        }
                        c += 2;
                        break;
                    }
                case GRAD:
                    x[xOff + c * stride] = g;
                    c++;
                    break;
                case RMS:
                    x[xOff + c * stride] = g / denom;
                    c++;
                    break;
                case PARAM:
                    x[xOff + c * stride] = theta;
                    c++;
                    break;
                case TIME:
                    x[xOff + c * stride] = corr[2 + momDecays.length + k];
                    k++;
                    c++;
                    break;
                default:
                    {
                        x[xOff + c * stride] = st[2 + m] / corr[2 + m] / denom;
                        m++;
                        c++;
                        break;
                    }
            }
        }
    }

    /**
     * The bias corrections of step count {@code t} into {@code corr} ({@link #cacheSize()}
     * doubles): {@code corr[0] = t}, {@code corr[1] = 1 - 0.999^t}, {@code corr[2 + k] = 1 -
     * B_k^t}, then the time columns {@code corr[2 + momenta + j] = tanh(t / TAU_j)} ({@code 1 -
     * tanh(t / TAU_j)} for {@code early:TAU_j}). The vector cell uses this to get exactly the
     * scalar step's corrections and time columns.
     */
    void corrections(double t, double[] corr) {
        corr[0] = t;
        corr[1] = 1 - Math.exp(t * logRmsDecay);
        for (int k = 0; k < momDecays.length; k++) {
            corr[2 + k] = 1 - Math.exp(t * momLogDecays[k]);
        }
        for (int j = 0; j < timeScales.length; j++) {
            double ts = timeScales[j];
            // early:TAU (a negative scale): 1 - tanh(t / TAU) = 2 / (1 + exp(2 t / TAU))
            corr[2 + momDecays.length + j] =
                    ts > 0 ? Math.tanh(t / ts) : 2 / (1 + Math.exp(-2 * t / ts));
        }
    }

    /** The kind of column group {@code i} (in the order of {@link #features()}). */
    Kind kind(int i) {
        return kinds[i];
    }

    /** The number of features ({@link #features()}'s size). */
    int size() {
        return kinds.length;
    }

    /** The number of momenta. */
    int momenta() {
        return momDecays.length;
    }

    /** The number of time features. */
    int times() {
        return timeScales.length;
    }

    /** The decay of the {@code m}-th momentum. */
    double momentumDecay(int m) {
        return momDecays[m];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureSet && ((FeatureSet) o).features.equals(features);
    }

    @Override
    public int hashCode() {
        return features.hashCode();
    }

    @Override
    public String toString() {
        return id();
    }
}
