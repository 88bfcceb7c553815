package org.l2o4j.core.io;

/**
 * The file ends too early: shorter than the 8-byte header length, than the header it announces, or
 * than the tensor data its offsets describe.
 */
public class TruncatedWeightFileException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public TruncatedWeightFileException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public TruncatedWeightFileException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
