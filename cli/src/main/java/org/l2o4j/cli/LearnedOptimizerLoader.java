package org.l2o4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.lstm.GroupedWeights;
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

    /**
     * Like {@link #load}, but a weight file may also be a per-group file ({@link
     * GroupedWeightFiles}); a shared file or a pretrained id gives a {@linkplain
     * GroupedWeights#isShared() shared} set with exactly the weights {@link #load} gives.
     */
    static GroupedWeights loadGrouped(String spec) throws IOException {
        Path p;
        try {
            p = Path.of(spec);
        } catch (InvalidPathException e) {
            p = null;
        }
        if (p != null && Files.isRegularFile(p)) {
            GroupedWeights g = GroupedWeightFiles.read(p);
            if (!g.isShared()) {
                return g;
            }
        }
        return GroupedWeights.shared(load(spec));
    }
}
