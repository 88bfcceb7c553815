/**
 * Optimization problems for meta-training and evaluation.
 *
 * <p>A {@link org.l2o4j.core.task.Task} is a black box with a seeded initial point and {@code
 * (loss, gradient)} at a point on a seeded minibatch stream; a {@link
 * org.l2o4j.core.task.TaskFamily} builds tasks from seeds. Built in: {@code quadratic} (the paper's
 * 10-d quadratics), {@code mnist-mlp} and its variants (hidden units, layers, activation, dataset,
 * batch), {@code conv} (small CNNs on MNIST/Fashion-MNIST), {@code style} (style transfer on the
 * pixels of an image, with features of a fixed random network), mixtures, and {@code scaled}
 * (another family's tasks with their loss and parameters rescaled, {@link
 * org.l2o4j.core.task.ScaledTask}, also what {@code meta-train --random-scale} trains on); {@link
 * org.l2o4j.core.task.TaskFamilies} parses specs such as {@code
 * mnist-mlp[hidden=40,activation=relu]}. The adapters add DL4J and DJL models as tasks. See
 * docs/design.md section 3.
 */
package org.l2o4j.core.task;
