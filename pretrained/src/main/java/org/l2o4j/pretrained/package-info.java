/**
 * Optimizer weights meta-trained by l2o4j's own harness, shipped in this jar with their provenance.
 *
 * <p>{@link org.l2o4j.pretrained.PretrainedOptimizers} loads a shipped file by id ({@code
 * general-v1}, the default, and {@code mnist-mlp-v1}), verifying its sha256 against the manifest.
 * How each file was made and how to regenerate it: the module's README.
 */
package org.l2o4j.pretrained;
