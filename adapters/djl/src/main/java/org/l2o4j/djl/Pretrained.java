package org.l2o4j.djl;

import java.util.List;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.pretrained.PretrainedOptimizers;

/** Resolves pretrained ids through {@link PretrainedOptimizers}, with the adapter's messages. */
final class Pretrained {
    private Pretrained() {}

    /**
     * The weights of pretrained optimizer {@code id}.
     *
     * @throws IllegalArgumentException if the id is unknown, listing the available ids
     * @throws IllegalStateException if the bundled weights cannot be loaded
     */
    static LstmWeights load(String id) {
        List<String> ids = PretrainedOptimizers.ids();
        if (!ids.contains(id)) {
            throw new IllegalArgumentException(
                    "Unknown pretrained optimizer id '"
                            + id
                            + "'; available ids: "
                            + (ids.isEmpty()
                                    ? "none (no pretrained weights on the classpath)"
                                    : ids)
                            + ". Use LearnedOptimizer.builder().optWeights(Path) for your own"
                            + " weight file.");
        }
        try {
            return PretrainedOptimizers.load(id);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(
                    "Cannot load pretrained optimizer '" + id + "': " + e.getMessage(), e);
        }
    }
}
