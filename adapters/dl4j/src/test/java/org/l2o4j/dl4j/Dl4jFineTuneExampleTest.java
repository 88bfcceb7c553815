package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmWeights;

/** Runs the fine-tuning example with tiny arguments: meta-training on a DL4J CNN end to end. */
class Dl4jFineTuneExampleTest {
    @TempDir Path dir;

    @Test
    void fineTunesOnADl4jCnnAndEvaluatesBeforeAndAfter() throws Exception {
        Path out = dir.resolve("tuned.safetensors");
        Dl4jFineTuneExample.Report r =
                Dl4jFineTuneExample.runExample(
                        new String[] {
                            "--iterations", "1", "--horizon", "4", "--unroll", "2", "--batch", "16",
                            "--train-batches", "4", "--steps", "3", "--seeds", "1", "--threads",
                                    "1",
                            "--out", out.toString()
                        });
        System.out.print(r.table());
        assertEquals(3, r.scores().size());
        for (Dl4jFineTuneExample.Score s : r.scores()) {
            assertTrue(
                    Double.isFinite(s.testLoss()) && s.accuracy() >= 0 && s.accuracy() <= 1,
                    s.toString());
        }
        LstmWeights w = WeightFiles.read(out);
        assertTrue(w.metadata().toString().contains("dl4j-mnist-cnn"), w.metadata().toString());
        // the fine-tuned file drives a DL4J network
        assertEquals(out.toAbsolutePath().toString(), LearnedUpdater.fromFile(out).weightsPath());
    }
}
