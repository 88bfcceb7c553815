package org.l2o4j.core.io;

/** A parameter in the file is NaN or infinite; the message names the tensor and the element. */
public class NonFiniteWeightException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public NonFiniteWeightException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public NonFiniteWeightException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
