package org.l2o4j.cli;

import java.io.IOException;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.pretrained.PretrainedOptimizers;

/** Loads a learned optimizer's weights from a weight file path or a pretrained id. */
final class LearnedOptimizerLoader {
    private LearnedOptimizerLoader() {}

    /**
     * The weights named by {@code spec}: a weight file if a file of that name exists, otherwise a
     * pretrained id (resolved by {@link PretrainedOptimizers#resolve}, the one place that does).
     *
     * @throws IOException if the file is missing (for a path), malformed or a directory
     * @throws IllegalArgumentException if the id is unknown (the message lists the known ids)
     */
    static LstmWeights load(String spec) throws IOException {
        return PretrainedOptimizers.resolve(spec);
    }
}
