package org.l2o4j.core.io;

/**
 * The JSON header is not a valid l2o4j safetensors header: bad JSON, a missing or ill-typed key, a
 * dtype other than F32, bad, overlapping or out-of-range data offsets, or bad architecture
 * metadata.
 */
public class MalformedHeaderException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public MalformedHeaderException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public MalformedHeaderException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
