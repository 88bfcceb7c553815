/**
 * Runnable examples: the one-line swaps in DL4J and DJL, fine-tuning the optimizer on your own DL4J
 * or DJL model, and meta-training from scratch. Each exposes {@code runExample(String[])} and is
 * run by a test with tiny arguments; see the module's README.
 */
package org.l2o4j.examples;
