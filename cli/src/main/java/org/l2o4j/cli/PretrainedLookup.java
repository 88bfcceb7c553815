package org.l2o4j.cli;

import java.io.IOException;
import org.l2o4j.core.lstm.LstmWeights;

/** Resolves pretrained optimizer ids (module l2o4j-pretrained). */
final class PretrainedLookup {
    private PretrainedLookup() {}

    static LstmWeights load(String id) throws IOException {
        throw new IOException(
                "'"
                        + id
                        + "' is not a weight file and not a pretrained id: the pretrained"
                        + " registry (module l2o4j-pretrained) is not in this build yet");
    }
}
