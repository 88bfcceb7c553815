package org.l2o4j.core.lstm;

/**
 * The float tanh of the kernels: a rational approximation on {@code [-c, c]} (the one Eigen uses
 * for its fast float tanh), {@code tanh(x) ~ x * P(x^2) / Q(x^2)}, error a few ulp. The inference
 * and training kernels, scalar and vector, share these constants; each decides what happens past
 * the clamp. Internal to l2o4j.
 */
public final class RationalTanh {
    private RationalTanh() {}

    /** Clamp of the rational tanh: beyond it tanh(x) rounds to +-1 in float. */
    public static final float TANH_CLAMP = 7.90531110763549805f;

    public static final float A1 = 4.89352455891786e-03f;
    public static final float A3 = 6.37261928875436e-04f;
    public static final float A5 = 1.48572235717979e-05f;
    public static final float A7 = 5.12229709037114e-08f;
    public static final float A9 = -8.60467152213735e-11f;
    public static final float A11 = 2.00018790482477e-13f;
    public static final float A13 = -2.76076847742355e-16f;
    public static final float B0 = 4.89352518554385e-03f;
    public static final float B2 = 2.26843463243900e-03f;
    public static final float B4 = 1.18534705686654e-04f;
    public static final float B6 = 1.19825839466702e-06f;

    /** {@code v * P(v^2) / Q(v^2)} for {@code |v| <= TANH_CLAMP}. */
    public static float rational(float v) {
        float x2 = v * v;
        float num = A13;
        num = num * x2 + A11;
        num = num * x2 + A9;
        num = num * x2 + A7;
        num = num * x2 + A5;
        num = num * x2 + A3;
        num = num * x2 + A1;
        num = num * v;
        float den = B6;
        den = den * x2 + B4;
        den = den * x2 + B2;
        den = den * x2 + B0;
        return num / den;
    }
}
