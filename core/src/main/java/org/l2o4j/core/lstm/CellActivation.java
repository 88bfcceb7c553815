package org.l2o4j.core.lstm;

/** The hidden activation of the {@link CellType#MLP} cell. */
public enum CellActivation {
    /** {@code max(0, x)}. */
    RELU("relu"),
    /** {@code tanh(x)}. */
    TANH("tanh");

    private final String id;

    CellActivation(String id) {
        this.id = id;
    }

    /** The name used in weight files and on the command line. */
    public String id() {
        return id;
    }

    /** Parses {@link #id()}. */
    public static CellActivation fromId(String id) {
        for (CellActivation a : values()) {
            if (a.id.equals(id)) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "Unknown activation '" + id + "': expected one of relu, tanh");
    }
}
