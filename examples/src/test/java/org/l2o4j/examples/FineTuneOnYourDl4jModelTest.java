package org.l2o4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.meta.TinyWeights;

class FineTuneOnYourDl4jModelTest {
    @TempDir Path dir;

    @Test
    void fineTunesOnTheCnnAndSavesUsableWeights() throws Exception {
        Path start = TinyWeights.write(dir.resolve("start.safetensors"));
        Path out = dir.resolve("tuned.safetensors");
        FineTuneOnYourDl4jModel.Result r =
                FineTuneOnYourDl4jModel.runExample(
                        new String[] {
                            "--weights", start.toString(),
                            "--iterations", "2",
                            "--horizon", "6",
                            "--unroll", "3",
                            "--eval-tasks", "2",
                            "--validation-tasks", "2",
                            "--rows", "256",
                            "--out", out.toString()
                        });
        // conv 5x5x1x4 + 4 biases, then (6*6*4) x 10 + 10 in the output layer
        assertEquals(4 * 25 + 4 + 144 * 10 + 10, r.parameters());
        assertTrue(r.start().contains("start.safetensors"), r.start());
        assertTrue(r.initialLoss() > 1.5, r.toString());
        for (double v : new double[] {r.before(), r.after(), r.adam(), r.dropInLossAfter()}) {
            assertTrue(Double.isFinite(v), r.toString());
        }
        // Tuned Adam learns within the horizon; meta-training keeps the best-on-validation weights.
        assertTrue(r.adam() < r.initialLoss(), r.toString());
        assertTrue(r.validationAfter() <= r.validationBefore(), r.toString());
        // The saved file is a valid weight file with the starting architecture.
        assertTrue(Files.isRegularFile(out));
        LstmWeights tuned = WeightFiles.read(out);
        assertEquals(WeightFiles.read(start).config(), tuned.config());
        assertEquals(out.toAbsolutePath(), r.weightsFile());
    }
}
