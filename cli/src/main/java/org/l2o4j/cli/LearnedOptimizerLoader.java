package org.l2o4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmWeights;

/** Loads a learned optimizer's weights from a weight file path or a pretrained id. */
final class LearnedOptimizerLoader {
    private LearnedOptimizerLoader() {}

    /**
     * The weights named by {@code spec}: a weight file if a file of that name exists, otherwise a
     * pretrained id.
     *
     * @throws IOException if the file is malformed, or the id is unknown (the message lists the
     *     known ids)
     */
    static LstmWeights load(String spec) throws IOException {
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) {
            return WeightFiles.read(p);
        }
        return PretrainedLookup.load(spec);
    }
}
