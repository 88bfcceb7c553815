package org.l2o4j.core.eval;

/**
 * Sample statistics for evaluation tables: mean, standard deviation and the 95% confidence interval
 * of the mean from Student's t distribution.
 */
public final class Statistics {
    private Statistics() {}

    /** Summary of a sample: size, mean, sample standard deviation and 95% CI half-width. */
    public record Summary(int n, double mean, double std, double ci95HalfWidth) {
        /** Lower end of the 95% confidence interval of the mean. */
        public double ciLow() {
            return mean - ci95HalfWidth;
        }

        /** Upper end of the 95% confidence interval of the mean. */
        public double ciHigh() {
            return mean + ci95HalfWidth;
        }
    }

    /**
     * Summarises the values: {@code n}, mean, sample standard deviation (n - 1 denominator) and the
     * half-width {@code t(0.975, n-1) * std / sqrt(n)}. For {@code n == 0} every field is NaN; for
     * {@code n == 1} std and the half-width are NaN.
     *
     * @throws IllegalArgumentException if a value is not finite (filter diverged runs first)
     */
    public static Summary summarize(double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(
                        "Statistics need finite values but value " + i + " was " + values[i]);
            }
        }
        int n = values.length;
        if (n == 0) {
            return new Summary(0, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = mean(values);
        if (n == 1) {
            return new Summary(1, mean, Double.NaN, Double.NaN);
        }
        double std = std(values);
        double half = studentTQuantile(0.975, n - 1) * std / Math.sqrt(n);
        return new Summary(n, mean, std, half);
    }

    /** The arithmetic mean (NaN for an empty array). */
    public static double mean(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        // Kahan-free two-pass is accurate enough for the sample sizes used here.
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s / values.length;
    }

    /** The sample standard deviation with denominator {@code n - 1} (NaN for fewer than 2). */
    public static double std(double[] values) {
        int n = values.length;
        if (n < 2) {
            return Double.NaN;
        }
        double m = mean(values);
        double ss = 0;
        for (double v : values) {
            double d = v - m;
            ss += d * d;
        }
        return Math.sqrt(ss / (n - 1));
    }

    /**
     * The {@code p}-quantile of Student's t distribution with {@code df} degrees of freedom, by
     * bisection on the CDF (regularized incomplete beta function).
     *
     * @throws IllegalArgumentException unless {@code 0 < p < 1} and {@code df > 0}
     */
    public static double studentTQuantile(double p, double df) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p must be in (0, 1) but was " + p);
        }
        if (!(df > 0) || Double.isInfinite(df)) {
            throw new IllegalArgumentException("degrees of freedom must be > 0 but was " + df);
        }
        if (p == 0.5) {
            return 0;
        }
        if (p < 0.5) {
            return -studentTQuantile(1 - p, df);
        }
        double lo = 0;
        double hi = 1;
        while (studentTCdf(hi, df) < p) {
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
            double mid = 0.5 * (lo + hi);
            if (studentTCdf(mid, df) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    /** The CDF of Student's t distribution with {@code df} degrees of freedom at {@code t}. */
    public static double studentTCdf(double t, double df) {
        double x = df / (df + t * t);
        double tail = 0.5 * regularizedIncompleteBeta(x, df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /** I_x(a, b) by the continued fraction of Numerical Recipes (betacf), for 0 <= x <= 1. */
    static double regularizedIncompleteBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double lnFront =
                logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
        double front = Math.exp(lnFront);
        if (x < (a + 1) / (a + b + 2)) {
            return front * betaContinuedFraction(x, a, b) / a;
        }
        return 1 - front * betaContinuedFraction(1 - x, b, a) / b;
    }

    private static double betaContinuedFraction(double x, double a, double b) {
        final double tiny = 1e-300;
        double qab = a + b;
        double qap = a + 1;
        double qam = a - 1;
        double c = 1;
        double d = 1 - qab * x / qap;
        if (Math.abs(d) < tiny) {
            d = tiny;
        }
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 500; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) {
                d = tiny;
            }
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) {
                c = tiny;
            }
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) {
                d = tiny;
            }
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) {
                c = tiny;
            }
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-15) {
                break;
            }
        }
        return h;
    }

    /** ln Gamma(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~1e-15 relative). */
    static double logGamma(double x) {
        final double[] c = {
            0.99999999999980993,
            676.5203681218851,
            -1259.1392167224028,
            771.32342877765313,
            -176.61502916214059,
            12.507343278686905,
            -0.13857109526572012,
            9.9843695780195716e-6,
            1.5056327351493116e-7
        };
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        x -= 1;
        double a = c[0];
        double t = x + 7.5;
        for (int i = 1; i < 9; i++) {
            a += c[i] / (x + i);
        }
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }
}
