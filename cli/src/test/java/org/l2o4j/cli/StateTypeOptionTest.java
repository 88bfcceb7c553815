package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --state-type float32|bfloat16|float16} on {@code bench}, {@code evaluate} and demo. */
class StateTypeOptionTest {
    @TempDir Path dir;

    private static JsonObject bench(String type) {
        CommandLine cl = L2o.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        int rc =
                cl.execute(
                        "bench",
                        "--coords",
                        "1000",
                        "--kernel",
                        "scalar",
                        "--seconds",
                        "0.05",
                        "--repetitions",
                        "1",
                        "--min-warmup-seconds",
                        "0",
                        "--max-warmup-seconds",
                        "0.1",
                        "--state-type",
                        type,
                        "--json");
        assertEquals(0, rc, out.toString());
        String[] lines = out.toString().strip().split("\\R");
        return JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    }

    @Test
    void benchReportsTheStateBytesOfTheChosenType() {
        JsonObject bf = bench("bfloat16");
        assertEquals(160, bf.get("state_bytes_per_parameter").getAsInt());
        assertEquals("bfloat16", bf.get("state_type").getAsString());
        assertTrue(bf.get("forward_coords_per_second").getAsDouble() > 0);
        assertTrue(bf.get("adam_coords_per_second").getAsDouble() > 0);
        JsonObject fp = bench("float16");
        assertEquals(160, fp.get("state_bytes_per_parameter").getAsInt());
        assertEquals("float16", fp.get("state_type").getAsString());
    }

    private static double finalLoss(String type) {
        EvaluateCommandTest.Run r =
                EvaluateCommandTest.run(
                        "--optimizer",
                        "mnist-mlp-v1",
                        "--task",
                        "mnist-mlp",
                        "--hidden",
                        "4",
                        "--batch",
                        "16",
                        "--data-dir",
                        "bundled",
                        "--seeds",
                        "2",
                        "--steps",
                        "10",
                        "--baselines",
                        "none",
                        "--threads",
                        "1",
                        "--state-type",
                        type,
                        "--json");
        assertEquals(0, r.code, r.err);
        return EvaluateCommandTest.lastLineJson(r.out)
                .getAsJsonArray("results")
                .get(0)
                .getAsJsonObject()
                .get("final_loss_mean")
                .getAsDouble();
    }

    @Test
    void evaluateRunsWithEachTypeAndTheTypeMatters() {
        double f32 = finalLoss("float32");
        double bf16 = finalLoss("bfloat16");
        double fp16 = finalLoss("float16");
        assertNotEquals(f32, bf16, "bfloat16 rounding changes the run");
        assertNotEquals(f32, fp16, "float16 rounding changes the run");
        // a few steps of rounding move the loss only a little
        assertEquals(f32, bf16, 0.05 * f32);
        assertEquals(f32, fp16, 0.05 * f32);
    }

    @Test
    void anUnknownTypeIsAUsageErrorEverywhere() {
        EvaluateCommandTest.Run r =
                EvaluateCommandTest.run(
                        "--task", "quadratic", "--baselines", "sgd", "--state-type", "int8");
        assertEquals(2, r.code, r.err);
        assertTrue(
                r.err.contains(
                        "--state-type: Unknown state type 'int8': expected float32, bfloat16 or"
                                + " float16"),
                r.err);
        for (String cmd : new String[] {"bench", "demo"}) {
            CommandLine cl = L2o.commandLine();
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err));
            cl.setOut(new PrintWriter(new StringWriter()));
            int rc = cl.execute(cmd, "--state-type", "int8");
            assertEquals(2, rc, cmd + ": " + err);
            assertTrue(
                    err.toString().contains("--state-type: Unknown state type 'int8'"),
                    err.toString());
        }
    }

    @Test
    void demoRunsWithSixteenBitState() {
        CommandLine cl = L2o.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc =
                cl.execute(
                        "demo",
                        "--optimizer",
                        "mnist-mlp-v1",
                        "--steps",
                        "3",
                        "--adam-lr",
                        "0.01",
                        "--warmup",
                        "0",
                        "--state-type",
                        "float16",
                        "--out",
                        dir.toString());
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().contains("float16 state"), out.toString());
        assertTrue(out.toString().contains("loss@3"), out.toString());
    }
}
