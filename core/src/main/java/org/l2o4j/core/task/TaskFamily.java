package org.l2o4j.core.task;

/**
 * A distribution over {@link Task}s: {@link #sample(long)} builds the task for a seed. The same
 * seed always gives the same task (same initial point, data and minibatch stream).
 *
 * <p>Meta-training samples tasks from a family built on the training split; evaluation builds the
 * family on the test split and uses seeds never used in training.
 */
public interface TaskFamily {

    /** The family's name with its variant, e.g. {@code mnist-mlp(hidden=20,layers=1,sigmoid)}. */
    String name();

    /** The task for {@code seed}. */
    Task sample(long seed);
}
