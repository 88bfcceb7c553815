package org.l2o4j.core.meta;

import java.io.IOException;
import java.nio.file.Path;

/** Another process (or another run in this JVM) holds the lock of an output ({@link RunFiles}). */
public class RunLockedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path lockFile;
    private final String holder;

    /**
     * @param lockFile the lock file
     * @param holder the other process in words: {@code pid 123 on host h, started 2026-...}
     */
    public RunLockedException(Path lockFile, String holder) {
        super("lock file " + lockFile + " is held by another process (" + holder + ")");
        this.lockFile = lockFile;
        this.holder = holder;
    }

    /** The lock file. */
    public Path lockFile() {
        return lockFile;
    }

    /** The process holding the lock, in words ({@code pid 123 on host h, started ...}). */
    public String holder() {
        return holder;
    }
}
