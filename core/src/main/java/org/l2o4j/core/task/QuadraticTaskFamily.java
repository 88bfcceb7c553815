package org.l2o4j.core.task;

import java.util.Random;

/**
 * The paper's quadratic tasks: {@code f(theta) = ||W theta - y||^2} with {@code W} (d x d) and
 * {@code y} (d) drawn i.i.d. from the standard normal distribution per task (Andrychowicz et al.
 * 2016, section 3.1; d = 10).
 *
 * <p>The initial point is drawn i.i.d. from {@code N(0, initStd^2)} [initStd 1]. Everything is a
 * deterministic function of the task seed (a SplitMix64-scrambled seed fed to {@link
 * java.util.Random}, whose Gaussian generator is specified exactly by the JDK, so tasks are the
 * same on every JVM). There are no minibatches: the step index {@code t} is ignored.
 */
public final class QuadraticTaskFamily implements TaskFamily {
    /** The family's name in {@link TaskFamilies}. */
    public static final String NAME = "quadratic";

    /** Option: the dimension. */
    public static final String DIM = "dim";

    /** Option: standard deviation of the initial point. */
    public static final String INIT_STD = "init-std";

    /** The paper's dimension. */
    public static final int DEFAULT_DIMENSION = 10;

    /** Number of coordinates of theta (rows and columns of W). */
    private final int dimension;

    /** Standard deviation of the initial point. */
    private final double initStd;

    /** The paper's family: 10 dimensions, initial point ~ N(0, 1). */
    public QuadraticTaskFamily() {
        this(DEFAULT_DIMENSION, 1.0);
    }

    /**
     * @param dimension number of coordinates, 1..4096
     * @param initStd standard deviation of the initial point, finite and >= 0
     */
    public QuadraticTaskFamily(int dimension, double initStd) {
        if (dimension < 1 || dimension > 4096) {
            throw new IllegalArgumentException(
                    "quadratic dimension must be in 1..4096 but was " + dimension);
        }
        if (!(initStd >= 0) || Double.isInfinite(initStd)) {
            throw new IllegalArgumentException(
                    "initial-point standard deviation must be finite and >= 0 but was " + initStd);
        }
        this.dimension = dimension;
        this.initStd = initStd;
    }

    /**
     * Builds a family from {@link TaskFamilies} options {@code dim} [10] and {@code init-std} [1].
     *
     * @throws IllegalArgumentException if a value is not a number or out of range
     */
    public static QuadraticTaskFamily fromOptions(java.util.Map<String, String> options) {
        int dim = DEFAULT_DIMENSION;
        double std = 1.0;
        try {
            if (options.containsKey(DIM)) {
                dim = Integer.parseInt(options.get(DIM).trim());
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "option dim must be an integer but was '" + options.get(DIM) + "'");
        }
        try {
            if (options.containsKey(INIT_STD)) {
                std = Double.parseDouble(options.get(INIT_STD).trim());
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "option init-std must be a number but was '" + options.get(INIT_STD) + "'");
        }
        return new QuadraticTaskFamily(dim, std);
    }

    /** The dimension. */
    public int dimension() {
        return dimension;
    }

    @Override
    public String name() {
        return "quadratic(dim=" + dimension + (initStd == 1.0 ? "" : ",init-std=" + initStd) + ")";
    }

    @Override
    public Task sample(long seed) {
        Random r = new Random(mix(seed));
        double[][] w = new double[dimension][dimension];
        for (double[] row : w) {
            for (int j = 0; j < dimension; j++) {
                row[j] = r.nextGaussian();
            }
        }
        double[] y = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            y[i] = r.nextGaussian();
        }
        double[] theta0 = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            theta0[i] = initStd * r.nextGaussian();
        }
        return new Quadratic(seed, w, y, theta0);
    }

    /** SplitMix64 finaliser: decorrelates consecutive seeds before they reach the LCG. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return name();
    }

    /** One quadratic task. Immutable, so thread-safe. */
    static final class Quadratic implements Task {
        private final long seed;
        private final double[][] w;
        private final double[] y;
        private final double[] theta0;

        Quadratic(long seed, double[][] w, double[] y, double[] theta0) {
            this.seed = seed;
            this.w = w;
            this.y = y;
            this.theta0 = theta0;
        }

        @Override
        public String name() {
            return "quadratic(dim=" + y.length + ",seed=" + seed + ")";
        }

        @Override
        public int dimension() {
            return y.length;
        }

        @Override
        public double[] initialParameters() {
            return theta0.clone();
        }

        @Override
        public double lossAndGradient(double[] theta, long t, double[] gradOut) {
            int d = y.length;
            Task.checkLength("theta", theta, d);
            Task.checkLength("gradient", gradOut, d);
            double loss = 0;
            double[] r = new double[d];
            for (int i = 0; i < d; i++) {
                double s = -y[i];
                double[] row = w[i];
                for (int j = 0; j < d; j++) {
                    s += row[j] * theta[j];
                }
                r[i] = s;
                loss += s * s;
            }
            // grad = 2 W^T r
            java.util.Arrays.fill(gradOut, 0.0);
            for (int i = 0; i < d; i++) {
                double ri = 2 * r[i];
                double[] row = w[i];
                for (int j = 0; j < d; j++) {
                    gradOut[j] += ri * row[j];
                }
            }
            return loss;
        }

        @Override
        public double loss(double[] theta, long t) {
            int d = y.length;
            Task.checkLength("theta", theta, d);
            double loss = 0;
            for (int i = 0; i < d; i++) {
                double s = -y[i];
                for (int j = 0; j < d; j++) {
                    s += w[i][j] * theta[j];
                }
                loss += s * s;
            }
            return loss;
        }

        @Override
        public String toString() {
            return name();
        }
    }
}
