package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {
    private static String run(String... args) {
        CommandLine cl = L2o.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        int rc = cl.execute(args);
        assertEquals(0, rc, out.toString());
        return out.toString();
    }

    @Test
    void jsonLineHasAllFields() {
        String out =
                run(
                        "bench",
                        "--coords",
                        "1000",
                        "--threads",
                        "1",
                        "--kernel",
                        "scalar",
                        "--seconds",
                        "0.05",
                        "--repetitions",
                        "3",
                        "--max-warmup-seconds",
                        "0.2",
                        "--json");
        String[] lines = out.strip().split("\\R");
        JsonObject o = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        assertEquals(1000, o.get("coords").getAsInt());
        assertEquals(1, o.get("threads").getAsInt());
        assertEquals("scalar", o.get("kernel").getAsString());
        assertTrue(o.get("forward_coords_per_second").getAsDouble() > 0);
        assertTrue(o.get("adam_coords_per_second").getAsDouble() > 0);
        assertTrue(o.get("mlp_coords_per_second").getAsDouble() > 0);
        assertTrue(o.get("gru_coords_per_second").getAsDouble() > 0);
        for (String cell : new String[] {"forward", "adam", "mlp", "gru"}) {
            double ns = o.get(cell + "_ns_per_parameter").getAsDouble();
            // the cost is the inverse of the rate
            assertEquals(
                    1e9 / o.get(cell + "_coords_per_second").getAsDouble(), ns, 0.01 + 1e-3 * ns);
            if (o.has(cell + "_cpu_ns_per_parameter")) { // where the JVM reports process CPU time
                assertTrue(o.get(cell + "_cpu_ns_per_parameter").getAsDouble() > 0, cell);
            }
        }
        assertEquals(20, o.get("mlp_state_bytes_per_parameter").getAsInt());
        assertTrue(o.get("train_coords_per_second").getAsDouble() > 0);
        assertEquals(1000, o.get("train_coords").getAsInt());
        assertEquals("scalar", o.get("train_kernel").getAsString());
        assertEquals(320, o.get("state_bytes_per_parameter").getAsInt());
    }

    /** The MLP cell with other features, e.g. the param feature (the bench passes parameters). */
    @Test
    void mlpFeaturesOptionMeasuresThatCell() {
        String out =
                run(
                        "bench",
                        "--coords",
                        "1000",
                        "--kernel",
                        "scalar",
                        "--seconds",
                        "0.05",
                        "--repetitions",
                        "1",
                        "--max-warmup-seconds",
                        "0.1",
                        "--mlp-features",
                        "rms,mom:0.5,mom:0.9,mom:0.99,param",
                        "--json");
        String[] lines = out.strip().split("\\R");
        JsonObject o = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        assertEquals("rms,mom:0.5,mom:0.9,mom:0.99,param", o.get("mlp_features").getAsString());
        assertTrue(o.get("mlp_coords_per_second").getAsDouble() > 0);
        // param keeps no statistics: the state is still t, v and three momenta
        assertEquals(20, o.get("mlp_state_bytes_per_parameter").getAsInt());
        CommandLine cl = L2o.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertTrue(cl.execute("bench", "--mlp-features", "rms,theta") != 0);
        assertTrue(err.toString().contains("'theta'"), err.toString());
    }

    @Test
    void helpAndVersion() {
        assertTrue(run("--help").contains("bench"));
        assertTrue(run("--version").contains("l2o4j"));
    }

    @Test
    void badArgumentIsAnError() {
        CommandLine cl = L2o.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int rc = cl.execute("bench", "--coords", "0");
        assertTrue(rc != 0);
        assertTrue(err.toString().contains("--coords must be >= 1"), err.toString());
    }
}
