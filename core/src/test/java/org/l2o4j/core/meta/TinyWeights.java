package org.l2o4j.core.meta;

import java.io.IOException;
import java.nio.file.Path;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.task.QuadraticTaskFamily;

/**
 * Weights for the tests from our own meta-trainer at a tiny budget (2 x 4 LSTM, a few quadratic
 * meta-iterations; well under a second), shared through the core test-jar: the CLI's and the
 * examples' machinery is tested without shipped weights. They are not a good optimizer, so tests
 * assert on the baselines' learning and on the plumbing.
 */
public final class TinyWeights {
    private TinyWeights() {}

    /** Meta-trains the tiny optimizer (seconds) and writes it to {@code file}; returns it. */
    public static Path write(Path file) throws IOException {
        WeightFiles.write(
                file,
                new MetaTrainer(
                                MetaTrainingConfig.builder()
                                        .taskFamily(new QuadraticTaskFamily())
                                        .lstmConfig(LstmConfig.builder().hidden(4).build())
                                        .horizon(10)
                                        .unroll(5)
                                        .iterations(2)
                                        .validationTasks(2)
                                        .threads(1)
                                        .seed(5)
                                        .build())
                        .train());
        return file;
    }
}
