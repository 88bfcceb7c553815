package org.l2o4j.core.meta;

import java.nio.file.Path;

/**
 * A checkpoint's content does not match the SHA-256 it carries (a flipped byte, a truncated or
 * extended file): it must not be resumed. Resume from an earlier copy, or start again.
 */
public class DamagedCheckpointException extends CheckpointException {
    private static final long serialVersionUID = 1L;

    /**
     * @param path the checkpoint file
     * @param message the whole message (names the file)
     */
    public DamagedCheckpointException(Path path, String message) {
        super(path, message);
    }
}
