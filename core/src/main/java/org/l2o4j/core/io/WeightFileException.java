package org.l2o4j.core.io;

import java.io.IOException;

/**
 * A weight file (or a manifest of weight files) could not be read: the base of every typed failure
 * of {@link WeightFiles} and {@link WeightManifest}. The message names the source (file name or the
 * name given for a stream), what was expected and what was found.
 */
public class WeightFileException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The file or stream name the failure refers to. */
    private final String source;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public WeightFileException(String source, String detail) {
        super(source + ": " + detail);
        this.source = source;
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public WeightFileException(String source, String detail, Throwable cause) {
        super(source + ": " + detail, cause);
        this.source = source;
    }

    /** The file or stream name the failure refers to. */
    public String source() {
        return source;
    }
}
