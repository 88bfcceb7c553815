package org.l2o4j.core.meta;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a meta-training run's checkpoints: the due ones from the training thread, and on
 * SIGINT/SIGTERM the last published state (the last completed meta-iteration) from a JVM shutdown
 * hook, which {@link MetaTrainingListener#onShutdownCheckpoint} then reports. The hook is installed
 * on construction and removed by {@link #close()}. A state is written at most once, and nothing is
 * written after the hook's write: the JVM halts once the hooks are done, so a later write would be
 * cut short and leave a temporary file behind.
 */
final class CheckpointWriter implements AutoCloseable {
    private final Path path;
    private final MetaTrainingListener listener;
    private final Thread hook;
    private volatile Checkpoint published;
    private final Object lock = new Object();
    private int lastWritten = -1; // guarded by lock
    private boolean shuttingDown; // guarded by lock

    /** Publishes a copy of {@code state} and installs the shutdown hook. */
    CheckpointWriter(Path path, MetaTrainingListener listener, Checkpoint state) {
        this.path = path;
        this.listener = listener;
        this.published = state.copy();
        this.hook = new Thread(this::writeOnShutdown, "l2o4j-meta-checkpoint");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Publishes a copy of {@code state}: what the shutdown hook writes from now on. */
    void publish(Checkpoint state) {
        published = state.copy();
    }

    /** Writes the published state now, unless it was written already or the JVM is exiting. */
    void writePublished() throws IOException {
        write(published);
    }

    private void write(Checkpoint c) throws IOException {
        synchronized (lock) {
            if (c.completedIterations == lastWritten || shuttingDown) {
                return;
            }
            c.write(path);
            lastWritten = c.completedIterations;
        }
    }

    private void writeOnShutdown() {
        Checkpoint c = published;
        try {
            synchronized (lock) {
                write(c);
                shuttingDown = true;
            }
        } catch (IOException | RuntimeException e) {
            System.err.println(
                    "l2o4j: could not write the checkpoint on shutdown: " + e.getMessage());
            return;
        }
        listener.onShutdownCheckpoint(path, c.completedIterations);
    }

    /** Removes the shutdown hook (if the JVM is not already running it). */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs (or ran) anyway.
        }
    }
}
