package org.l2o4j.core.io;

/**
 * The SHA-256 of a file differs from the one its manifest records; the message names both hashes.
 */
public class ChecksumMismatchException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public ChecksumMismatchException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public ChecksumMismatchException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
