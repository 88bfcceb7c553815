package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.cli.MetaTrainSafetyTest.Result;
import org.l2o4j.core.io.Sha256;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/** {@code meta-train --init FILE --features LIST}: fine-tuning with widened input features. */
class MetaTrainInitWidenTest {
    @TempDir Path dir;

    private static LstmWeights random(LstmConfig c) {
        Random r = new Random(5);
        float[] p = new float[c.numParameters()];
        for (int k = 0; k < p.length; k++) {
            p[k] = (float) ((2 * r.nextDouble() - 1) / Math.sqrt(c.hidden()));
        }
        return new LstmWeights(c, p);
    }

    private Path mlpFile() throws Exception {
        LstmConfig c =
                LstmConfig.builder()
                        .cell(CellType.MLP)
                        .features(FeatureSet.parse("rms,mom:0.9"))
                        .activation(CellActivation.TANH)
                        .layers(1)
                        .hidden(4)
                        .outputScale(0.05)
                        .build();
        Path f = dir.resolve("mlp.safetensors");
        WeightFiles.write(f, random(c));
        return f;
    }

    private static String[] args(Path out, Path init, String... extra) {
        List<String> a = new ArrayList<>(List.of("--init", init.toString()));
        a.addAll(Arrays.asList(extra));
        return MetaTrainSafetyTest.tinyArgs(out, 2, a.toArray(new String[0]));
    }

    /** The lines of the validation before any training (iteration 0). */
    private static List<String> firstValidation(String err) {
        return err.lines().filter(l -> l.startsWith("validation at iteration 0:")).toList();
    }

    @Test
    void widensAnMlpFileAndRecordsIt() throws Exception {
        Path init = mlpFile();
        LstmConfig old = WeightFiles.read(init).config();

        Path plain = dir.resolve("plain.safetensors");
        Result p = MetaTrainSafetyTest.l2o(args(plain, init));
        assertEquals(0, p.code(), p.err());

        Path out = dir.resolve("wide.safetensors");
        Result r =
                MetaTrainSafetyTest.l2o(args(out, init, "--features", "grad,rms,mom:0.5,mom:0.9"));
        assertEquals(0, r.code(), r.err());
        LstmWeights w = WeightFiles.read(out);
        assertEquals(
                old.toBuilder().features(FeatureSet.parse("grad,rms,mom:0.5,mom:0.9")).build(),
                w.config());
        assertEquals(
                "mlp.safetensors (sha256 "
                        + Sha256.of(init)
                        + "), features widened from rms,mom:0.9 to grad,rms,mom:0.5,mom:0.9",
                w.metadata().get(WeightMetadata.INITIALIZED_FROM));
        assertEquals("fine-tune", w.metadata().get(WeightMetadata.LSTM_INIT));
        // the widened optimizer starts where the file's is: the same validation before training
        List<String> first = firstValidation(r.err());
        assertEquals(1, first.size(), r.err());
        assertEquals(firstValidation(p.err()), first);
        // without widening the metadata says nothing of features
        assertEquals(
                "mlp.safetensors (sha256 " + Sha256.of(init) + ")",
                WeightFiles.read(plain).metadata().get(WeightMetadata.INITIALIZED_FROM));
    }

    @Test
    void theFilesFeaturesAgainAreAPlainFineTune() throws Exception {
        Path init = mlpFile();
        Path out = dir.resolve("same.safetensors");
        Result r = MetaTrainSafetyTest.l2o(args(out, init, "--features", "rms,mom:0.9"));
        assertEquals(0, r.code(), r.err());
        LstmWeights w = WeightFiles.read(out);
        assertEquals(WeightFiles.read(init).config(), w.config());
        assertEquals(
                "mlp.safetensors (sha256 " + Sha256.of(init) + ")",
                w.metadata().get(WeightMetadata.INITIALIZED_FROM));
    }

    /**
     * {@code --train-only new-features}: the file records it, and every weight but the new columns'
     * keeps the file's value exactly (the new columns' are the file's zeros or trained).
     */
    @Test
    void trainsOnlyTheNewColumnsWhenAsked() throws Exception {
        Path init = mlpFile();
        LstmWeights start =
                LstmWeights.widenFeatures(
                        WeightFiles.read(init), FeatureSet.parse("rms,mom:0.9,time:5"));
        boolean[] mask =
                LstmWeights.newFeatureParameters(FeatureSet.parse("rms,mom:0.9"), start.config());
        Path out = dir.resolve("only.safetensors");
        Result r =
                MetaTrainSafetyTest.l2o(
                        MetaTrainSafetyTest.tinyArgs(
                                out,
                                6,
                                "--init",
                                init.toString(),
                                "--features",
                                "rms,mom:0.9,time:5",
                                "--train-only",
                                "new-features"));
        assertEquals(0, r.code(), r.err());
        LstmWeights w = WeightFiles.read(out);
        assertEquals(
                "new-features (4 of " + mask.length + " weights)",
                w.metadata().get(WeightMetadata.TRAINABLE));
        for (int p = 0; p < mask.length; p++) {
            if (!mask[p]) {
                assertEquals(start.parameter(p), w.parameter(p), "weight " + p);
            }
        }
    }

    @Test
    void trainOnlyRefusals() throws Exception {
        Path init = mlpFile();
        Path out = dir.resolve("y.safetensors");
        Result r =
                MetaTrainSafetyTest.l2o(
                        args(
                                out,
                                init,
                                "--features",
                                "rms,mom:0.9",
                                "--train-only",
                                "new-features"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("adds no feature to the file's rms,mom:0.9"), r.err());
        r = MetaTrainSafetyTest.l2o(args(out, init, "--train-only", "new-features"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("needs --init FILE and --features LIST"), r.err());
        r =
                MetaTrainSafetyTest.l2o(
                        args(out, init, "--features", "rms,mom:0.9,grad", "--train-only", "head"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("must be new-features but was 'head'"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void refusals() throws Exception {
        Path init = mlpFile();
        Path out = dir.resolve("x.safetensors");

        Result r = MetaTrainSafetyTest.l2o(args(out, init, "--features", "grad,mom:0.9"));
        assertEquals(2, r.code());
        assertEquals(
                List.of(
                        "l2o meta-train: --init "
                                + init
                                + " with --features: widening the features rms,mom:0.9 to"
                                + " grad,mom:0.9: the new set must keep every old feature but"
                                + " lacks rms"),
                r.notices());

        r =
                MetaTrainSafetyTest.l2o(
                        args(out, init, "--features", "rms,mom:0.9,grad", "--mlp-hidden", "8"));
        assertEquals(2, r.code());
        assertEquals(1, r.notices().size(), r.err());
        assertTrue(
                r.notices()
                        .get(0)
                        .startsWith(
                                "l2o meta-train: --init fine-tunes the architecture of its file;"
                                        + " do not combine it with --cell,"),
                r.err());
        assertTrue(r.notices().get(0).contains("--mlp-hidden"), r.err());

        Path lstm = dir.resolve("lstm.safetensors");
        WeightFiles.write(lstm, random(LstmConfig.builder().hidden(4).build()));
        r = MetaTrainSafetyTest.l2o(args(out, lstm, "--features", "log-sign,grad"));
        assertEquals(2, r.code());
        assertEquals(1, r.notices().size(), r.err());
        assertTrue(
                r.notices()
                        .get(0)
                        .startsWith(
                                "l2o meta-train: --init "
                                        + lstm
                                        + " with --features: widening the features to"
                                        + " log-sign,grad needs an mlp or gru cell but the weights"
                                        + " are lstm "),
                r.err());
        assertFalse(Files.exists(out), "nothing written");
    }
}
