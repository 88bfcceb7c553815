package org.l2o4j.core.io;

/**
 * The tensors do not match the architecture the metadata declares: a tensor is missing, unexpected,
 * or has the wrong shape.
 */
public class ShapeMismatchException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public ShapeMismatchException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public ShapeMismatchException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
