package org.l2o4j.djl;

import java.io.UncheckedIOException;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.pretrained.PretrainedOptimizers;

/** Resolves pretrained ids through {@link PretrainedOptimizers}, the one place that does. */
final class Pretrained {
    private Pretrained() {}

    /**
     * The weights of pretrained optimizer {@code id}.
     *
     * @throws IllegalArgumentException if the id is unknown, with the registry's message (it lists
     *     the available ids)
     * @throws IllegalStateException if the shipped weights cannot be loaded (a damaged install)
     */
    static LstmWeights load(String id) {
        try {
            return PretrainedOptimizers.load(id);
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(
                    "Cannot load pretrained optimizer '" + id + "': " + e.getCause().getMessage(),
                    e);
        }
    }
}
