package org.l2o4j.core.lstm;

/** The recurrent cell of a coordinatewise optimizer. Only LSTM exists today; GRU/MLP may follow. */
public enum CellType {
    /** Long short-term memory, gates in the order i, f, g, o (PyTorch's order). */
    LSTM("lstm");

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
        throw new IllegalArgumentException("Unknown cell type '" + id + "': expected one of lstm");
    }
}
