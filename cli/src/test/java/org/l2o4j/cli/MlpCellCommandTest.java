package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import picocli.CommandLine;

/** {@code meta-train --cell mlp --features ...} and {@code evaluate} of the file it writes. */
class MlpCellCommandTest {
    @TempDir Path dir;

    private static int metaTrain(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new MetaTrainCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    private String[] args(Path out, String... extra) {
        String[] base = {
            "--task",
            "quadratic",
            "--out",
            out.toString(),
            "--seed",
            "7",
            "--iterations",
            "3",
            "--horizon",
            "10",
            "--unroll",
            "5",
            "--validation-tasks",
            "3",
            "--threads",
            "1"
        };
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void metaTrainsAnMlpCellThatEvaluateLoads() throws Exception {
        Path out = dir.resolve("mlp.safetensors");
        StringWriter err = new StringWriter();
        String[] a =
                args(
                        out,
                        "--cell",
                        "mlp",
                        "--features",
                        "rms,mom:0.9,grad",
                        "--mlp-hidden",
                        "6",
                        "--mlp-activation",
                        "tanh",
                        "--output-scale",
                        "0.05");
        assertEquals(0, metaTrain(err, a), err.toString());
        LstmWeights w = WeightFiles.read(out);
        LstmConfig c = w.config();
        assertEquals(CellType.MLP, c.cell());
        assertEquals(FeatureSet.parse("rms,mom:0.9,grad"), c.features());
        assertEquals(CellActivation.TANH, c.activation());
        assertEquals(2, c.layers());
        assertEquals(6, c.hidden());
        assertEquals("double", w.metadata().get("train_kernel"));

        EvaluateCommandTest.Run r =
                EvaluateCommandTest.run(
                        "--optimizer",
                        out.toString(),
                        "--task",
                        "quadratic",
                        "--steps",
                        "10",
                        "--seeds",
                        "3",
                        "--baselines",
                        "adam",
                        "--tuning-seeds",
                        "1",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonArray results = EvaluateCommandTest.lastLineJson(r.out).getAsJsonArray("results");
        JsonObject learned = results.get(0).getAsJsonObject();
        assertEquals("learned", learned.get("name").getAsString());
        assertTrue(learned.get("final_loss_mean").getAsDouble() >= 0);
    }

    /**
     * {@code --estimator pes}: the run is recorded as PES with its pairs and sigma, the coordinate
     * subsample defaults to 0 for it, and the file evaluates.
     */
    @Test
    void metaTrainsWithPes() throws Exception {
        Path out = dir.resolve("pes.safetensors");
        StringWriter err = new StringWriter();
        String[] a =
                args(
                        out,
                        "--cell",
                        "mlp",
                        "--features",
                        "rms,mom:0.9",
                        "--mlp-hidden",
                        "4",
                        "--estimator",
                        "pes",
                        "--pes-pairs",
                        "3",
                        "--pes-sigma",
                        "0.02");
        assertEquals(0, metaTrain(err, a), err.toString());
        LstmWeights w = WeightFiles.read(out);
        assertEquals("PES (3 antithetic pairs, sigma 0.02)", w.metadata().get("meta_gradient"));
        assertEquals("0", w.metadata().get("coordinate_subsample"));
        assertEquals("6", w.metadata().get("truncations"));
        assertTrue(w.metadata().get("command").contains("--estimator pes"));
    }

    /** The param feature: meta-train writes it into the file, evaluate and bench step with it. */
    @Test
    void metaTrainsAnMlpWithTheParamFeatureThatEvaluateLoads() throws Exception {
        Path out = dir.resolve("param.safetensors");
        StringWriter err = new StringWriter();
        String[] a =
                args(
                        out,
                        "--cell",
                        "mlp",
                        "--features",
                        "rms,mom:0.5,mom:0.9,param",
                        "--mlp-hidden",
                        "6",
                        "--output-scale",
                        "0.05");
        assertEquals(0, metaTrain(err, a), err.toString());
        LstmWeights w = WeightFiles.read(out);
        assertEquals(FeatureSet.parse("rms,mom:0.5,mom:0.9,param"), w.config().features());
        assertTrue(w.config().features().needsParam());
        EvaluateCommandTest.Run r =
                EvaluateCommandTest.run(
                        "--optimizer",
                        out.toString(),
                        "--task",
                        "quadratic",
                        "--steps",
                        "10",
                        "--seeds",
                        "3",
                        "--baselines",
                        "adam",
                        "--tuning-seeds",
                        "1",
                        "--json");
        assertEquals(0, r.code, r.err);
        JsonObject learned =
                EvaluateCommandTest.lastLineJson(r.out)
                        .getAsJsonArray("results")
                        .get(0)
                        .getAsJsonObject();
        assertEquals("learned", learned.get("name").getAsString());
        assertTrue(learned.get("final_loss_mean").getAsDouble() >= 0);
        // the lstm refuses it, naming what it takes
        err = new StringWriter();
        assertNotEquals(0, metaTrain(err, args(dir.resolve("p"), "--features", "log-sign,param")));
        assertTrue(err.toString().contains("log-sign or grad"), err.toString());
    }

    @Test
    void metaTrainsAGruCell() throws Exception {
        Path out = dir.resolve("gru.safetensors");
        StringWriter err = new StringWriter();
        String[] a =
                args(
                        out,
                        "--cell",
                        "gru",
                        "--features",
                        "log-sign,rms",
                        "--lstm-layers",
                        "1",
                        "--lstm-hidden",
                        "5");
        assertEquals(0, metaTrain(err, a), err.toString());
        LstmConfig c = WeightFiles.read(out).config();
        assertEquals(CellType.GRU, c.cell());
        assertEquals(FeatureSet.parse("log-sign,rms"), c.features());
        assertEquals(1, c.layers());
        assertEquals(5, c.hidden());
    }

    @Test
    void defaultCellIsTodaysLstmAndMisusedOptionsAreRefused() throws Exception {
        Path lstm = dir.resolve("lstm.safetensors");
        Path explicit = dir.resolve("explicit.safetensors");
        assertEquals(0, metaTrain(new StringWriter(), args(lstm, "--lstm-hidden", "4")));
        assertEquals(
                0,
                metaTrain(
                        new StringWriter(),
                        args(explicit, "--lstm-hidden", "4", "--cell", "lstm")));
        LstmWeights a = WeightFiles.read(lstm);
        LstmWeights b = WeightFiles.read(explicit);
        assertEquals(CellType.LSTM, a.config().cell());
        assertEquals(a.config(), b.config());
        assertEquals(
                java.util.Arrays.toString(a.parameters()),
                java.util.Arrays.toString(b.parameters()));

        StringWriter err = new StringWriter();
        assertNotEquals(
                0, metaTrain(err, args(dir.resolve("x"), "--cell", "mlp", "--lstm-hidden", "4")));
        assertTrue(err.toString().contains("--mlp-hidden"), err.toString());
        err = new StringWriter();
        assertNotEquals(0, metaTrain(err, args(dir.resolve("y"), "--cell", "rnn")));
        assertTrue(err.toString().contains("'rnn'"), err.toString());
        err = new StringWriter();
        assertNotEquals(0, metaTrain(err, args(dir.resolve("z"), "--features", "rms")));
        assertTrue(err.toString().contains("log-sign or grad"), err.toString());
    }
}
