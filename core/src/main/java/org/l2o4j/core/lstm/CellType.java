package org.l2o4j.core.lstm;

/**
 * The cell of a coordinatewise learned optimizer (features -> cell -> output head, see {@link
 * LstmConfig}).
 */
public enum CellType {
    /** Long short-term memory, gates in the order i, f, g, o (PyTorch's order). */
    LSTM("lstm"),
    /**
     * A per-coordinate MLP with no recurrence ({@link MlpCell}): its only state is its features'
     * running statistics ({@link FeatureSet}).
     */
    MLP("mlp"),
    /**
     * Gated recurrent unit, gates in the order r, z, n (PyTorch's order), {@link GruCell}; its
     * state is {@code h} per layer plus its features' running statistics.
     */
    GRU("gru");

    private final String id;

    CellType(String id) {
        this.id = id;
    }

    /** The name used in weight files. */
    public String id() {
        return id;
    }

    /** Parses {@link #id()}. */
    public static CellType fromId(String id) {
        for (CellType c : values()) {
            if (c.id.equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException(
                "Unknown cell type '" + id + "': expected one of lstm, mlp, gru");
    }
}
