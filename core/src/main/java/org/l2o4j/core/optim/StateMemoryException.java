package org.l2o4j.core.optim;

/**
 * The optimizer state a model needs does not fit the memory available to it (see {@link
 * StateMemory}). Thrown at initialization, before any state is allocated; the message gives the
 * estimate, the limit and the options.
 */
public class StateMemoryException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final long requiredBytes;
    private final long availableBytes;

    /**
     * @param message the whole message
     * @param requiredBytes the estimate
     * @param availableBytes the limit it was compared with
     */
    public StateMemoryException(String message, long requiredBytes, long availableBytes) {
        super(message);
        this.requiredBytes = requiredBytes;
        this.availableBytes = availableBytes;
    }

    /** Bytes of optimizer state the model needs (the estimate). */
    public long requiredBytes() {
        return requiredBytes;
    }

    /** Bytes that were available. */
    public long availableBytes() {
        return availableBytes;
    }
}
