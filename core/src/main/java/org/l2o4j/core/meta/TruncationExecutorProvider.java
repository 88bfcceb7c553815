package org.l2o4j.core.meta;

/**
 * A kind of {@link TruncationExecutor} found with {@link java.util.ServiceLoader} (so that the
 * command line needs no compile-time dependency on, e.g., Spark).
 */
public interface TruncationExecutorProvider {

    /** The executor kind, e.g. {@code spark}. */
    String name();

    /**
     * Creates an executor.
     *
     * @param target where to run (for Spark: the master URL)
     * @param context the settings of the run
     * @param taskSpec the task family as {@link org.l2o4j.core.task.TaskFamilies#parse} reads it
     *     (workers rebuild the family from it)
     */
    TruncationExecutor create(String target, TruncationContext context, String taskSpec);
}
