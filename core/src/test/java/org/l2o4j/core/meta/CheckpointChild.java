package org.l2o4j.core.meta;

import java.nio.file.Path;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.QuadraticTaskFamily;

/**
 * The child JVM of {@link MetaTrainerTest}: meta-trains with a checkpoint after every iteration.
 */
public final class CheckpointChild {
    static final int ITERATIONS = 150;

    private CheckpointChild() {}

    static MetaTrainingConfig.Builder config(Path checkpoint) {
        return MetaTrainingConfig.builder()
                .taskFamily(new QuadraticTaskFamily())
                .lstmConfig(
                        LstmConfig.builder().preprocessing(Preprocessing.NONE).hidden(6).build())
                .horizon(12)
                .unroll(4)
                .validationTasks(4)
                .validateEvery(10)
                .iterations(ITERATIONS)
                .threads(1)
                .seed(5)
                .checkpointPath(checkpoint)
                .checkpointEvery(1);
    }

    public static void main(String[] args) throws Exception {
        new MetaTrainer(config(Path.of(args[0])).build()).train();
    }
}
