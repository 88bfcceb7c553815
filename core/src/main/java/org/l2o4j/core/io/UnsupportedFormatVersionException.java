package org.l2o4j.core.io;

/** The file declares a format version this library cannot read. */
public class UnsupportedFormatVersionException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public UnsupportedFormatVersionException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public UnsupportedFormatVersionException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
