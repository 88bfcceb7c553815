package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.GroupedWeights;
import picocli.CommandLine;

/** {@code l2o meta-train --task conv --per-group}, then {@code l2o evaluate} on its file. */
class MetaTrainPerGroupTest {
    @TempDir Path dir;

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new MetaTrainCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void trainsPerGroupWeightsOnConvThatEvaluateLoads() throws Exception {
        Path out = dir.resolve("sep.safetensors");
        StringWriter err = new StringWriter();
        int code =
                run(
                        err,
                        "--task",
                        "conv[channels=2,blocks=1,batch=4,data-dir=bundled]",
                        "--per-group",
                        "--out",
                        out.toString(),
                        "--iterations",
                        "2",
                        "--horizon",
                        "4",
                        "--unroll",
                        "2",
                        "--validation-tasks",
                        "1",
                        "--validate-every",
                        "1",
                        "--threads",
                        "2",
                        "--lstm-hidden",
                        "4",
                        "--blocks-per-group",
                        "2");
        assertEquals(0, code, err.toString());
        GroupedWeights w = GroupedWeightFiles.read(out);
        assertEquals(
                List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases"),
                w.groups());
        assertEquals(4, w.config().hidden());
        assertTrue(w.metadata().get(WeightMetadata.COMMAND).contains("--per-group"));
        double loss = EvaluateGroupedTest.learnedFinalLoss(out.toString());
        assertTrue(Double.isFinite(loss));

        // options that do not apply are refused by name
        StringWriter err2 = new StringWriter();
        int refused =
                run(
                        err2,
                        "--task",
                        "conv[channels=2,blocks=1,batch=4,data-dir=bundled]",
                        "--per-group",
                        "--out",
                        dir.resolve("x.safetensors").toString(),
                        "--subsample",
                        "128");
        assertEquals(2, refused);
        assertTrue(err2.toString().contains("--subsample"), err2.toString());
    }
}
