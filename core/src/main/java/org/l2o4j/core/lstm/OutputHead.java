package org.l2o4j.core.lstm;

/** How a cell's output becomes the update. */
public enum OutputHead {
    /** {@code update = output scale * (w . h + b)}: the paper's head, the only one today. */
    LINEAR("linear");

    private final String id;

    OutputHead(String id) {
        this.id = id;
    }

    /** The name used in weight files. */
    public String id() {
        return id;
    }

    /** Parses {@link #id()}. */
    public static OutputHead fromId(String id) {
        for (OutputHead h : values()) {
            if (h.id.equals(id)) {
                return h;
            }
        }
        throw new IllegalArgumentException("Unknown head '" + id + "': expected one of linear");
    }
}
