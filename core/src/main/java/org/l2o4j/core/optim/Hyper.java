package org.l2o4j.core.optim;

/** Validation of hyper-parameters, with messages naming the expected range and the value. */
final class Hyper {
    private Hyper() {}

    static float positive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and > 0 but was " + v);
        }
        return (float) v;
    }

    static float unitInterval(String name, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1) but was " + v);
        }
        return (float) v;
    }
}
