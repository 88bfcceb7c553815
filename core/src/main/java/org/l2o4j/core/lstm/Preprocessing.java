package org.l2o4j.core.lstm;

/**
 * How a gradient is turned into the LSTM's input features (Andrychowicz et al. 2016, appendix A).
 */
public enum Preprocessing {
    /** The raw gradient as one feature (used by the paper on quadratics). */
    NONE("none", 1),
    /**
     * "Log and sign" with parameter p: {@code |g| >= e^-p -> (log|g| / p, sign g)}, else {@code
     * (-1, e^p * g)}. Two features.
     */
    LOG_SIGN("log-sign", 2);

    private final String id;
    private final int features;

    Preprocessing(String id, int features) {
        this.id = id;
        this.features = features;
    }

    /** The name used in weight files and on the command line. */
    public String id() {
        return id;
    }

    /** Number of input features per coordinate. */
    public int features() {
        return features;
    }

    /** Parses {@link #id()}. */
    public static Preprocessing fromId(String id) {
        for (Preprocessing p : values()) {
            if (p.id.equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "Unknown preprocessing '" + id + "': expected one of none, log-sign");
    }
}
