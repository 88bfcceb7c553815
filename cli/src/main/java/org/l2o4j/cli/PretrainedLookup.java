package org.l2o4j.cli;

import java.io.IOException;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.pretrained.PretrainedOptimizers;

/** Resolves pretrained optimizer ids (module l2o4j-pretrained). */
final class PretrainedLookup {
    private PretrainedLookup() {}

    /**
     * The shipped weights of {@code id}.
     *
     * @throws IOException if {@code id} is neither a file nor a shipped id (the message lists the
     *     ids)
     */
    static LstmWeights load(String id) throws IOException {
        try {
            return PretrainedOptimizers.load(id);
        } catch (IllegalArgumentException e) {
            throw new IOException("'" + id + "' is not a weight file, and " + e.getMessage(), e);
        }
    }
}
