package org.l2o4j.core.io;

/**
 * A weight manifest is not valid: bad JSON, a missing or ill-typed field, a duplicate id, a bad
 * hash or an unsafe file path.
 */
public class MalformedManifestException extends WeightFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     */
    public MalformedManifestException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail what was expected and what was found
     * @param cause the underlying failure
     */
    public MalformedManifestException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
