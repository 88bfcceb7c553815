package org.l2o4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.OptimizerState;

/**
 * Interoperability with Python and a pinned format-version-1 fixture (the Tribuo pattern: a
 * committed old-format file must keep loading and computing the same outputs).
 *
 * <p>Where the numbers come from: the fixture files under {@code fixtures/} were written by {@code
 * python3 tools/safetensors_check.py write ...} with numpy alone; parameter {@code k} is {@code
 * float32(0.5 sin(0.7 k + 0.3))}, so this test recomputes every parameter independently. The
 * expected optimizer updates ({@code *.expected.json}) were produced by {@code
 * tools/safetensors_check.py forward}, an independent float64 numpy implementation of the
 * coordinatewise LSTM, on the gradient sequence in {@code gradients.json}. Nothing here is a
 * hand-typed or Java-generated expected value.
 */
class NumpyInteropTest {
    private static final String FIXTURES = "/org/l2o4j/core/io/fixtures/";

    @TempDir Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = NumpyInteropTest.class.getResourceAsStream(FIXTURES + name)) {
            assertNotNull(in, "missing test resource " + name);
            return in.readAllBytes();
        }
    }

    private static LstmWeights fixture(String name) throws IOException {
        try (InputStream in = NumpyInteropTest.class.getResourceAsStream(FIXTURES + name)) {
            assertNotNull(in, "missing test resource " + name);
            return WeightFiles.read(in, name);
        }
    }

    private static float[][] matrix(JsonElement e) {
        JsonArray rows = e.getAsJsonArray();
        float[][] m = new float[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            m[i] = new float[r.size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = r.get(j).getAsFloat();
            }
        }
        return m;
    }

    private static double[][] matrixD(JsonElement e) {
        JsonArray rows = e.getAsJsonArray();
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            m[i] = new double[r.size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = r.get(j).getAsDouble();
            }
        }
        return m;
    }

    /**
     * Runs the optimizer over the gradient sequence and checks every update to 1e-7. The NumPy
     * reference runs the LSTM on every coordinate, zero gradient or not: {@link
     * ZeroGradientPolicy#UPDATE}.
     */
    private static void assertUpdates(LstmWeights w, float[][] grads, double[][] expected) {
        LstmOptimizer opt = LstmOptimizer.of(w).withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        int n = grads[0].length;
        OptimizerState state = opt.newState(n);
        float[] update = new float[n];
        assertEquals(grads.length, expected.length);
        for (int t = 0; t < grads.length; t++) {
            opt.step(state, grads[t], update);
            for (int i = 0; i < n; i++) {
                assertEquals(
                        expected[t][i],
                        update[i],
                        1e-7,
                        "step " + t + " coordinate " + i + " (gradient " + grads[t][i] + ")");
            }
        }
    }

    @Test
    void formatVersion1FixturesWrittenByNumpyLoadWithTheirValues() throws Exception {
        LstmWeights a = fixture("format-v1-numpy-lstm1x3.safetensors");
        assertEquals(LstmConfig.builder().layers(1).hidden(3).build(), a.config());
        LstmWeights b = fixture("format-v1-numpy-lstm2x4-none.safetensors");
        assertEquals(
                LstmConfig.builder()
                        .layers(2)
                        .hidden(4)
                        .preprocessing(Preprocessing.NONE)
                        .logSignP(6)
                        .outputScale(0.05)
                        .build(),
                b.config());
        for (LstmWeights w : List.of(a, b)) {
            float[] p = w.parameters();
            for (int k = 0; k < p.length; k++) {
                assertEquals((float) (0.5 * Math.sin(0.7 * k + 0.3)), p[k], 1e-7, "parameter " + k);
            }
            // provenance passes through; format/architecture keys are consumed
            assertTrue(w.metadata().get("note").contains("not trained"));
            assertTrue(w.metadata().get(WeightMetadata.COMMAND).startsWith("python3 tools/"));
            for (String reserved : WeightMetadata.RESERVED) {
                assertTrue(!w.metadata().containsKey(reserved), reserved);
            }
        }
    }

    @Test
    void lstmOptimizerReproducesTheNumpyReferenceOnTheFixtures() throws Exception {
        for (String name : List.of("format-v1-numpy-lstm1x3", "format-v1-numpy-lstm2x4-none")) {
            JsonObject expected =
                    JsonParser.parseString(
                                    new String(
                                            resource(name + ".expected.json"),
                                            StandardCharsets.UTF_8))
                            .getAsJsonObject();
            assertUpdates(
                    fixture(name + ".safetensors"),
                    matrix(expected.get("gradients")),
                    matrixD(expected.get("updates")));
        }
    }

    /** The repository root (where tools/ lives), searched upwards from the working directory. */
    private static Path script() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path s = p.resolve("tools/safetensors_check.py");
            if (Files.isRegularFile(s)) {
                return s;
            }
            p = p.getParent();
        }
        return null;
    }

    private static boolean numpyAvailable() {
        try {
            Process pr =
                    new ProcessBuilder("python3", "-c", "import numpy")
                            .redirectErrorStream(true)
                            .start();
            pr.getInputStream().readAllBytes();
            return pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What a python3 run printed (stdout and stderr) and its exit status. */
    private record PythonRun(int exit, String out) {}

    private static PythonRun runPython(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3"));
        cmd.addAll(List.of(args));
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pr.waitFor(120, TimeUnit.SECONDS), "python timed out");
        return new PythonRun(pr.exitValue(), out);
    }

    /** The output of a python3 run that must succeed. */
    private static String python(String... args) throws Exception {
        PythonRun run = runPython(args);
        assertEquals(0, run.exit(), "python failed: " + run.out());
        return run.out();
    }

    /**
     * The script's {@code read --json} of {@code w}'s file lists exactly {@code w}'s tensors, each
     * with its shape and the sum of its values (to 1e-9).
     */
    private static void assertShapesAndSums(JsonObject info, LstmWeights w) {
        List<LstmWeights.TensorSpec> specs = LstmWeights.tensorSpecs(w.config());
        assertEquals(specs.size(), info.getAsJsonObject("shapes").size(), "tensor count");
        float[] p = w.parameters();
        for (LstmWeights.TensorSpec s : specs) {
            JsonArray shape = info.getAsJsonObject("shapes").getAsJsonArray(s.name);
            assertNotNull(shape, s.name);
            assertEquals(s.shape.length, shape.size());
            for (int d = 0; d < s.shape.length; d++) {
                assertEquals(s.shape[d], shape.get(d).getAsInt());
            }
            double sum = 0;
            for (int k = 0; k < s.size(); k++) {
                sum += p[s.offset + k];
            }
            assertEquals(sum, info.getAsJsonObject("sums").get(s.name).getAsDouble(), 1e-9, s.name);
        }
    }

    /**
     * Format version 2 (any cell): the script reads the tensors the header lists, with the same
     * layout checks, so {@code read} and {@code compare} work on MLP- and GRU-cell files (every
     * candidate file since the cells landed); {@code forward}, the LSTM reference, refuses them
     * with what it expected and found.
     */
    @Test
    void pythonReadsAndComparesFormatVersion2FilesOfOtherCells() throws Exception {
        Path script = script();
        assumeTrue(script != null, "tools/safetensors_check.py not found above the working dir");
        assumeTrue(numpyAvailable(), "python3 with numpy not available");
        for (CellType cell : List.of(CellType.MLP, CellType.GRU)) {
            LstmConfig c =
                    LstmConfig.builder()
                            .cell(cell)
                            .features(FeatureSet.parse("rms,mom:0.9,time:100"))
                            .layers(2)
                            .hidden(4)
                            .build();
            LstmWeights w = WeightFilesTest.randomWeights(c, 7, Map.of("x", "y"));
            Path f = dir.resolve(cell + ".safetensors");
            WeightFiles.write(f, w);
            JsonObject info =
                    JsonParser.parseString(
                                    python(script.toString(), "read", f.toString(), "--json"))
                            .getAsJsonObject();
            assertEquals("2", info.getAsJsonObject("metadata").get("format_version").getAsString());
            assertShapesAndSums(info, w);
            int tensors = LstmWeights.tensorSpecs(c).size();
            assertTrue(
                    python(script.toString(), "compare", f.toString(), f.toString())
                            .contains("bit-identical tensors (" + tensors + " tensors"));
            Path g = dir.resolve("g.json");
            Files.writeString(g, "[[0.1]]");
            PythonRun forward =
                    runPython(script.toString(), "forward", f.toString(), "--grads", g.toString());
            assertEquals(1, forward.exit(), forward.out());
            assertTrue(forward.out().contains("expected a version 1 file"), forward.out());
            assertTrue(forward.out().contains("found version 2"), forward.out());
        }
    }

    @Test
    void pythonWithNumpyReadsOurFilesAndComputesTheSameUpdates() throws Exception {
        Path script = script();
        assumeTrue(script != null, "tools/safetensors_check.py not found above the working dir");
        assumeTrue(numpyAvailable(), "python3 with numpy not available");
        LstmConfig c = LstmConfig.builder().layers(2).hidden(5).build();
        LstmWeights w =
                WeightFilesTest.randomWeights(c, 99, Map.of(WeightMetadata.SEED, "99", "x", "y"));
        Path f = dir.resolve("ours.safetensors");
        WeightFiles.write(f, w);

        JsonObject info =
                JsonParser.parseString(python(script.toString(), "read", f.toString(), "--json"))
                        .getAsJsonObject();
        JsonObject meta = info.getAsJsonObject("metadata");
        Map<String, String> written = WeightFiles.fileMetadata(w);
        assertEquals(written.size(), meta.size());
        written.forEach((k, v) -> assertEquals(v, meta.get(k).getAsString(), k));
        assertShapesAndSums(info, w);

        // numpy's forward pass on our file agrees with LstmOptimizer, on enough coordinates (an
        // odd count) to reach the vectorized kernel and its tail, with gradients from 1e-9 to 100
        Random r = new Random(5);
        StringBuilder json = new StringBuilder("[");
        for (int t = 0; t < 6; t++) {
            json.append(t == 0 ? "[" : ",[");
            for (int i = 0; i < 37; i++) {
                float g =
                        r.nextInt(10) == 0
                                ? 0f
                                : (float)
                                        ((r.nextBoolean() ? 1 : -1)
                                                * Math.pow(10, -9 + 11 * r.nextDouble()));
                // the exact double value of the float, so Python recovers the same float32
                json.append(i == 0 ? "" : ",").append(Double.toString(g));
            }
            json.append("]");
        }
        Path grads = dir.resolve("grads.json");
        Files.writeString(grads, json.append("]").toString());
        JsonObject fw =
                JsonParser.parseString(
                                python(
                                        script.toString(),
                                        "forward",
                                        f.toString(),
                                        "--grads",
                                        grads.toString()))
                        .getAsJsonObject();
        assertUpdates(w, matrix(fw.get("gradients")), matrixD(fw.get("updates")));
    }
}
