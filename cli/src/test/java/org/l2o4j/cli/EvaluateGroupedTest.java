package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.meta.MetaTrainer;

/** {@code l2o evaluate --task conv --optimizer grouped.safetensors}. */
class EvaluateGroupedTest {
    static final List<String> CONV =
            List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases");

    static double learnedFinalLoss(String file, String... extra) {
        String[] base = {
            "--task",
            "conv[channels=2,blocks=1]",
            "--optimizer",
            file,
            "--data-dir",
            "bundled",
            "--batch",
            "8",
            "--seeds",
            "2",
            "--steps",
            "4",
            "--baselines",
            "none",
            "--threads",
            "1",
            "--json"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        EvaluateCommandTest.Run r = EvaluateCommandTest.run(args);
        assertEquals(0, r.code, r.err + r.out);
        JsonObject o = EvaluateCommandTest.lastLineJson(r.out);
        return o.getAsJsonArray("results")
                .get(0)
                .getAsJsonObject()
                .get("final_loss_mean")
                .getAsDouble();
    }

    @Test
    void perGroupFileEvaluatesOnConvAndEqualsSharedWhenGroupsAgree(@TempDir Path dir)
            throws Exception {
        LstmConfig cfg = LstmConfig.paperDefaults().toBuilder().hidden(4).build();
        LstmWeights a = MetaTrainer.initialWeights(cfg, 7);
        LstmWeights b = MetaTrainer.initialWeights(cfg, 8);
        Path shared = dir.resolve("shared.safetensors");
        WeightFiles.write(shared, a);
        Path same = dir.resolve("same.safetensors");
        GroupedWeightFiles.write(same, GroupedWeights.replicate(a, CONV));
        Path mixed = dir.resolve("mixed.safetensors");
        GroupedWeightFiles.write(
                mixed, GroupedWeights.of(CONV, List.of(a, b, a, a), Map.of("task_family", "conv")));
        double s = learnedFinalLoss(shared.toString());
        double g = learnedFinalLoss(same.toString());
        // same weights per coordinate; the vector kernel may round a group's last partial tile
        // differently in the last bits
        assertEquals(s, g, 1e-5 * Math.abs(s), "shared " + s + " vs per-group " + g);
        double m = learnedFinalLoss(mixed.toString());
        assertTrue(Double.isFinite(m));
        assertNotEquals(s, m, "the conv biases' own weights must change the run");
    }

    @Test
    void otherGroupNamesAreAnErrorUnlessMapped(@TempDir Path dir) throws Exception {
        LstmConfig cfg = LstmConfig.paperDefaults().toBuilder().hidden(4).build();
        LstmWeights a = MetaTrainer.initialWeights(cfg, 7);
        Path f = dir.resolve("mlp.safetensors");
        GroupedWeightFiles.write(
                f,
                GroupedWeights.of(
                        List.of("dense-weights", "dense-biases"), List.of(a, a), Map.of()));
        EvaluateCommandTest.Run r =
                EvaluateCommandTest.run(
                        "--task",
                        "conv[channels=2,blocks=1]",
                        "--optimizer",
                        f.toString(),
                        "--data-dir",
                        "bundled",
                        "--batch",
                        "8",
                        "--seeds",
                        "1",
                        "--steps",
                        "2",
                        "--baselines",
                        "none");
        assertEquals(2, r.code, r.out);
        assertTrue(r.err.contains("[conv-kernels, conv-biases]"), r.err);
        assertTrue(r.err.contains("[dense-weights, dense-biases]"), r.err);
        double mapped =
                learnedFinalLoss(
                        f.toString(),
                        "--group-map",
                        "conv-kernels=dense-weights,conv-biases=dense-biases");
        assertTrue(Double.isFinite(mapped));
    }
}
