package org.l2o4j.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A dataset could not be loaded: its files are missing, or are not the IDX files they must be
 * (garbage, truncated, not gzip although named {@code .gz}, image and label counts that differ).
 * The message names the file(s), what was expected and what was found; the cause is the {@link
 * IOException} (often an {@link IdxFormatException}).
 *
 * <p>Unchecked because datasets are loaded from task-family factories; it is an {@link
 * UncheckedIOException}, as before this type existed, so callers catching that still work.
 */
public class DatasetException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    /** Wraps {@code cause}; the message is the cause's. */
    public DatasetException(IOException cause) {
        super(cause.getMessage(), cause);
    }
}
