package org.l2o4j.cli;

import java.io.IOException;
import org.l2o4j.core.lstm.LstmWeights;

/** Loads a learned optimizer's weights from a weight file path or a pretrained id. */
final class LearnedOptimizerLoader {
    private LearnedOptimizerLoader() {}

    /**
     * The weights named by {@code spec}: a path to a weight file if such a file exists, otherwise a
     * pretrained id.
     */
    static LstmWeights load(String spec) throws IOException {
        // Wired to WeightFiles.read / PretrainedOptimizers.load once the weights branch lands.
        throw new IOException(
                "Loading learned optimizers ('"
                        + spec
                        + "') needs the weights module, not merged yet");
    }
}
