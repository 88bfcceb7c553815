package org.l2o4j.core.meta;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A meta-training checkpoint cannot be resumed: it is missing, not a checkpoint, of another format
 * version, written with other settings, or damaged ({@link DamagedCheckpointException}). The
 * message is one line and names the file.
 */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * @param path the checkpoint file
     * @param message the whole message (names the file)
     */
    public CheckpointException(Path path, String message) {
        super(message);
        this.path = path;
    }

    /**
     * @param path the checkpoint file
     * @param message the whole message (names the file)
     * @param cause the underlying failure
     */
    public CheckpointException(Path path, String message, Throwable cause) {
        super(message, cause);
        this.path = path;
    }

    /** The checkpoint file. */
    public Path path() {
        return path;
    }
}
