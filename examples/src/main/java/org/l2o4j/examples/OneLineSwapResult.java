package org.l2o4j.examples;

import java.util.Locale;

/**
 * The outcome of a one-line-swap example ({@link Dl4jOneLineSwap}, {@link DjlOneLineSwap}): the
 * same network trained from the same initial weights on the same minibatches with the learned
 * optimizer and with Adam.
 *
 * @param framework the host framework, e.g. {@code DL4J}
 * @param optimizer the learned optimizer's weights (id or file)
 * @param steps minibatch steps of each run
 * @param initialLoss loss on the training rows before training (the same for both runs)
 * @param learnedLoss loss on the training rows after training with the learned optimizer
 * @param adamLoss the same after training with Adam
 * @param adamLearningRate Adam's learning rate
 * @param learnedTestAccuracy test-split accuracy after training with the learned optimizer
 * @param adamTestAccuracy the same for Adam
 */
public record OneLineSwapResult(
        String framework,
        String optimizer,
        int steps,
        double initialLoss,
        double learnedLoss,
        double adamLoss,
        double adamLearningRate,
        double learnedTestAccuracy,
        double adamTestAccuracy) {
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "%s MNIST MLP, %d steps of 128: training loss %.4f -> learned (%s) %.4f,"
                        + " Adam (lr %s) %.4f; test accuracy learned %.2f%%, Adam %.2f%%",
                framework,
                steps,
                initialLoss,
                optimizer,
                learnedLoss,
                adamLearningRate,
                adamLoss,
                100 * learnedTestAccuracy,
                100 * adamTestAccuracy);
    }
}
