package org.l2o4j.djl;

import java.io.IOException;

/**
 * An optimizer state file (see {@link LearnedOptimizer#saveState}) cannot be loaded: it is damaged
 * ({@link DamagedStateFileException}), was saved by an optimizer with other weights, or does not
 * fit the block. The message is one line that starts with the file (or stream) name.
 */
public class StateFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;

    /**
     * @param source the file or stream name
     * @param detail what is wrong
     */
    public StateFileException(String source, String detail) {
        super(source + ": " + detail);
        this.source = source;
    }

    /**
     * @param source the file or stream name
     * @param detail what is wrong
     * @param cause the underlying failure
     */
    public StateFileException(String source, String detail, Throwable cause) {
        super(source + ": " + detail, cause);
        this.source = source;
    }

    /** The file or stream name. */
    public String source() {
        return source;
    }
}
