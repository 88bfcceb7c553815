package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.task.QuadraticTaskFamily;
import org.l2o4j.core.task.Task;

/**
 * The PES meta-gradient estimator ({@link MetaTrainingConfig.Builder#pes}): summed over a horizon
 * with phi fixed it estimates the gradient of the whole horizon's meta-loss (checked against
 * central differences of the forward run, across truncation boundaries that truncated BPTT cuts),
 * and meta-training with it is deterministic, resumable, recorded and refused where it cannot run.
 */
class PesTest {
    @TempDir Path dir;

    /** A small smooth MLP cell: 1 x 3 tanh units on rms and one momentum (13 weights). */
    private static LstmConfig tinyMlp() {
        return LstmConfig.builder()
                .cell(CellType.MLP)
                .features(FeatureSet.parse("rms,mom:0.9"))
                .activation(CellActivation.TANH)
                .layers(1)
                .hidden(3)
                .outputScale(0.1)
                .build();
    }

    private static MetaTrainingConfig.Builder small() {
        return MetaTrainerTest.small().lstmConfig(tinyMlp()).pes(4, 0.01);
    }

    /**
     * Over horizon 12 in truncations of 3 the PES estimates of the 4 truncations, phi fixed and
     * summed, match central differences of the whole horizon's meta-loss to the estimator's
     * sampling error. Under {@code final} only the last truncation has a loss, yet the estimate
     * holds the effect of phi on all 12 steps (its perturbations of the earlier truncations are in
     * xi); first-order truncated BPTT sees only the last 3 steps.
     */
    @ParameterizedTest
    @ValueSource(strings = {"final", "linear"})
    void summedEstimatesMatchTheWholeHorizonsGradient(String weighting) {
        LstmConfig c = tinyMlp();
        DoubleBptt kernel = new DoubleBptt(c);
        double[] phi = MetaTrainer.initialParameters(c, 5);
        int horizon = 12;
        int unroll = 3;
        double[] w = MetaLossWeighting.parse(weighting).weights(horizon);
        Task[] tasks = {new QuadraticTaskFamily(4, 1.0).sample(11)};
        int pairs = 6000;
        double sigma = 1e-3;
        double[] pes = new double[phi.length];
        double[] fd = new double[phi.length];
        try (Workers workers = new Workers(2)) {
            PesEpisode ep =
                    new PesEpisode(kernel, workers, tasks, w, unroll, pairs, sigma, 17, null);
            assertEquals(4, ep.truncations());
            for (int k = 0; k < 4; k++) {
                double[] g = ep.truncation(phi, k);
                if (weighting.equals("final") && k < 3) {
                    assertNull(g, "truncation " + k + " has no loss under final");
                    continue;
                }
                for (int p = 0; p < g.length; p++) {
                    pes[p] += g[p];
                }
            }
            double h = 1e-3;
            for (int p = 0; p < phi.length; p++) {
                double[] a = phi.clone();
                double[] b = phi.clone();
                a[p] += h;
                b[p] -= h;
                double fa = MetaTrainer.rollout(kernel, workers, a, tasks, w, horizon, true)[0];
                double fb = MetaTrainer.rollout(kernel, workers, b, tasks, w, horizon, true)[0];
                fd[p] = (fa - fb) / (2 * h);
            }
        }
        double num = 0;
        double den = 0;
        double dot = 0;
        double pn = 0;
        for (int p = 0; p < fd.length; p++) {
            num += (pes[p] - fd[p]) * (pes[p] - fd[p]);
            den += fd[p] * fd[p];
            dot += pes[p] * fd[p];
            pn += pes[p] * pes[p];
        }
        double rel = Math.sqrt(num / den);
        double cos = dot / Math.sqrt(den * pn);
        // measured 0.039 for both weightings; an estimate without xi (each truncation's own
        // perturbation only, what a truncated ES would use) gives 0.76: it sees phi in the last
        // truncation only, 3 of the 12 steps
        assertTrue(rel < 0.15, weighting + ": relative error " + rel + ", cosine " + cos);
        assertTrue(cos > 0.98, weighting + ": cosine " + cos);
        assertTrue(den > 0, "the meta-loss depends on phi");
    }

    @Test
    void pesTrainsIsThreadIndependentAndIsRecorded() throws IOException {
        MetaTrainingConfig.Builder b =
                small().iterations(30).validateEvery(10).learningRate(0.01).pes(8, 0.05);
        MetaTrainer trainer = new MetaTrainer(b.build());
        LstmWeights one = trainer.train();
        double initial = trainer.validationHistory().get(0)[1];
        double best = Double.parseDouble(one.metadata().get("best_validation_loss"));
        assertTrue(best < 0.8 * initial, "best " + best + " vs initial " + initial);
        assertEquals("PES (8 antithetic pairs, sigma 0.05)", one.metadata().get("meta_gradient"));
        assertEquals("0", one.metadata().get("diverged_runs"));
        assertEquals("120", one.metadata().get("truncations"));
        LstmWeights two = new MetaTrainer(b.threads(2).build()).train();
        assertArrayEquals(one.parameters(), two.parameters());
    }

    @Test
    void pesDiffersFromBpttAndAResumedRunEndsBitIdentically() throws IOException {
        MetaTrainingConfig.Builder b = small().iterations(6).validateEvery(2).checkpointEvery(2);
        LstmWeights reference = new MetaTrainer(b.build()).train();
        LstmWeights bptt = new MetaTrainer(b.bptt().build()).train();
        assertFalse(
                java.util.Arrays.equals(reference.parameters(), bptt.parameters()),
                "PES and BPTT runs should differ");
        assertEquals("first-order truncated BPTT", bptt.metadata().get("meta_gradient"));

        Path ckpt = dir.resolve("pes.ckpt");
        new MetaTrainer(
                        small().iterations(4)
                                .validateEvery(2)
                                .checkpointEvery(2)
                                .checkpointPath(ckpt)
                                .build())
                .train();
        LstmWeights resumed =
                new MetaTrainer(
                                small().iterations(6)
                                        .validateEvery(2)
                                        .checkpointEvery(2)
                                        .checkpointPath(ckpt)
                                        .resume(true)
                                        .build())
                        .train();
        assertArrayEquals(reference.parameters(), resumed.parameters());

        // another sigma is another run: the checkpoint is refused
        assertThrows(
                CheckpointException.class,
                () ->
                        new MetaTrainer(
                                        small().iterations(8)
                                                .validateEvery(2)
                                                .checkpointEvery(2)
                                                .pes(4, 0.02)
                                                .checkpointPath(ckpt)
                                                .resume(true)
                                                .build())
                                .train());
        String fingerprint = small().iterations(1).build().fingerprint();
        assertNotEquals(fingerprint, small().iterations(1).pes(4, 0.02).build().fingerprint());
        assertNotEquals(fingerprint, small().iterations(1).bptt().build().fingerprint());
    }

    /**
     * A trainable mask ({@link MetaTrainingConfig.Builder#trainable}): under BPTT and under PES the
     * frozen weights end exactly where they started and some trainable one moved; recorded in the
     * weight file and the fingerprint.
     */
    @Test
    void aTrainableMaskFreezesTheOtherWeights() throws IOException {
        LstmConfig c = tinyMlp();
        double[] init = MetaTrainer.initialParameters(c, 3);
        boolean[] mask = new boolean[init.length];
        for (int p = 0; p < mask.length; p += 3) {
            mask[p] = true;
        }
        LstmWeights start = new LstmWeights(c, MetaTrainer.toFloat(init));
        for (boolean pes : new boolean[] {false, true}) {
            Path ckpt = dir.resolve("mask-" + pes + ".ckpt");
            MetaTrainingConfig.Builder b =
                    small().initialWeights(start)
                            .trainable(mask, "every third")
                            .iterations(4)
                            .learningRate(0.01)
                            .checkpointPath(ckpt);
            if (!pes) {
                b.bptt();
            }
            LstmWeights w = new MetaTrainer(b.build()).train();
            assertEquals("every third (5 of 13 weights)", w.metadata().get("trainable"));
            double[] last = Checkpoint.read(ckpt).phi;
            boolean moved = false;
            for (int p = 0; p < init.length; p++) {
                if (mask[p]) {
                    moved |= last[p] != (double) start.parameter(p);
                } else {
                    assertEquals(
                            (double) start.parameter(p), last[p], "pes " + pes + " weight " + p);
                }
            }
            assertTrue(moved, "pes " + pes + ": a trainable weight should move");
        }
        String plain = small().initialWeights(start).iterations(1).build().fingerprint();
        assertNotEquals(
                plain,
                small().initialWeights(start)
                        .trainable(mask, "every third")
                        .iterations(1)
                        .build()
                        .fingerprint());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> small().trainable(new boolean[3], "x").iterations(1).build());
        assertTrue(e.getMessage().contains("(13) but has 3"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> small().trainable(new boolean[13], "none").iterations(1).build());
        assertTrue(e.getMessage().contains("leaves nothing to train"), e.getMessage());
    }

    @Test
    void badSettingsAreRefusedWithWhatWasExpected() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> small().pes(0, 0.01));
        assertTrue(e.getMessage().contains("pairs must be >= 1 but was 0"), e.getMessage());
        for (double sigma : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            e = assertThrows(IllegalArgumentException.class, () -> small().pes(2, sigma).build());
            assertTrue(e.getMessage().contains("sigma must be finite and > 0"), e.getMessage());
        }
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> small().coordinateSubsample(64).build());
        assertTrue(e.getMessage().contains("coordinate subsample"), e.getMessage());
        MetaTrainer t = new MetaTrainer(small().iterations(1).build());
        t.executor(
                new LocalTruncationExecutor(
                        new TruncationLane(TruncationContext.of(small().iterations(1).build()), 1),
                        new QuadraticTaskFamily()));
        IllegalStateException s = assertThrows(IllegalStateException.class, t::train);
        assertTrue(s.getMessage().contains("PES runs its copies in this JVM"), s.getMessage());
    }
}
