package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.QuadraticTaskFamily;

class MetaTrainerTest {
    @TempDir Path dir;

    /** A small, fast quadratic setup. */
    static MetaTrainingConfig.Builder small() {
        return MetaTrainingConfig.builder()
                .taskFamily(new QuadraticTaskFamily())
                .lstmConfig(
                        LstmConfig.builder().preprocessing(Preprocessing.NONE).hidden(8).build())
                .horizon(20)
                .unroll(5)
                .validationTasks(8)
                .threads(1)
                .seed(3);
    }

    @Test
    void metaTrainingReducesTheValidationMetaLoss() throws IOException {
        List<MetaTrainingListener.ValidationResult> vals = new ArrayList<>();
        MetaTrainer trainer =
                new MetaTrainer(
                        small().iterations(60)
                                .validateEvery(20)
                                .listener(
                                        new MetaTrainingListener() {
                                            @Override
                                            public void onValidation(ValidationResult v) {
                                                vals.add(v);
                                            }
                                        })
                                .build());
        LstmWeights w = trainer.train();
        assertEquals(4, vals.size(), "validations at 0, 20, 40, 60");
        double initial = vals.get(0).metaLoss();
        double best = Double.parseDouble(w.metadata().get("best_validation_loss"));
        assertTrue(best < 0.5 * initial, "best " + best + " vs initial " + initial);
        // The returned weights are the best ones: validating them again gives the best loss.
        double again =
                MetaTrainer.rollout(
                        new DoubleBptt(w.config()),
                        new Workers(1),
                        MetaTrainer.toDouble(w.parameters()),
                        validationTasks(8),
                        MetaLossWeighting.uniform().weights(20),
                        20,
                        true)[0];
        assertEquals(best, again, 0.0, "validation runs the float kernel on the returned weights");
        Map<String, String> md = w.metadata();
        assertEquals("60", md.get("iterations"));
        assertEquals("60", md.get("optimization_runs"));
        assertEquals("240", md.get("truncations"));
        assertEquals("uniform", md.get("weighting"));
        assertEquals("3", md.get("seed"));
    }

    private static org.l2o4j.core.task.Task[] validationTasks(int n) {
        org.l2o4j.core.task.Task[] t = new org.l2o4j.core.task.Task[n];
        for (int v = 0; v < n; v++) {
            t[v] = new QuadraticTaskFamily().sample(MetaTrainer.validationSeed(v));
        }
        return t;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(BpttPrecision.class)
    void resultsAreIdenticalForAnyThreadCount(BpttPrecision kernel) throws IOException {
        // a subsample (float inference kernel for the other coordinates) and all coordinates
        for (int subsample : new int[] {64, 0}) {
            MetaTrainingConfig.Builder b =
                    small().iterations(4)
                            .tasksPerIteration(13)
                            .coordinateSubsample(subsample)
                            .trainKernel(kernel);
            LstmWeights one = new MetaTrainer(b.threads(1).build()).train();
            float[] two = new MetaTrainer(b.threads(2).build()).train().parameters();
            float[] three = new MetaTrainer(b.threads(3).build()).train().parameters();
            assertArrayEquals(one.parameters(), two, "subsample " + subsample);
            assertArrayEquals(one.parameters(), three, "subsample " + subsample);
            String expected =
                    kernel == BpttPrecision.DOUBLE
                            ? "double"
                            : org.l2o4j.core.lstm.Kernel.selected()
                                            == org.l2o4j.core.lstm.Kernel.VECTOR
                                    ? "float-vector"
                                    : "float-scalar";
            assertEquals(expected, one.metadata().get("train_kernel"));
        }
    }

    /** The two kernels train to nearly the same weights on a short run (different arithmetic). */
    @Test
    void floatAndDoubleKernelsTrainAlike() throws IOException {
        MetaTrainingConfig.Builder b = small().iterations(2).tasksPerIteration(4);
        float[] f =
                new MetaTrainer(b.trainKernel(BpttPrecision.FLOAT).build()).train().parameters();
        float[] d =
                new MetaTrainer(b.trainKernel(BpttPrecision.DOUBLE).build()).train().parameters();
        double num = 0;
        double den = 0;
        for (int p = 0; p < f.length; p++) {
            num += (f[p] - d[p]) * (double) (f[p] - d[p]);
            den += d[p] * (double) d[p];
        }
        assertTrue(Math.sqrt(num / den) < 1e-3, "relative difference " + Math.sqrt(num / den));
    }

    @Test
    void resumingAfterACrashEndsBitIdentically() throws IOException {
        Path ckpt = dir.resolve("run.ckpt");
        MetaTrainingConfig.Builder b =
                small().iterations(12)
                        .validateEvery(4)
                        .checkpointEvery(3)
                        .weighting(MetaLossWeighting.linear());
        LstmWeights reference = new MetaTrainer(b.build()).train();

        // Crash (an exception, no final save) after iteration 7: the checkpoint of iteration 6
        // survives.
        MetaTrainingListener crash =
                new MetaTrainingListener() {
                    @Override
                    public void onIteration(IterationProgress p) {
                        if (p.iteration() == 7) {
                            throw new IllegalStateException("simulated crash");
                        }
                    }
                };
        MetaTrainingConfig crashing = b.checkpointPath(ckpt).listener(crash).build();
        assertThrows(IllegalStateException.class, () -> new MetaTrainer(crashing).train());
        assertEquals(6, Checkpoint.read(ckpt).completedIterations);

        MetaTrainingListener none = new MetaTrainingListener() {};
        LstmWeights resumed =
                new MetaTrainer(b.listener(none).resume(true).threads(2).build()).train();
        assertArrayEquals(reference.parameters(), resumed.parameters());
        assertEquals(
                reference.metadata().get("best_validation_loss"),
                resumed.metadata().get("best_validation_loss"));
        assertEquals(
                reference.metadata().get("truncations"), resumed.metadata().get("truncations"));
    }

    /** A real SIGKILL of a child JVM at a random time after its first checkpoint. */
    @Test
    void resumingAfterKillingTheProcessEndsBitIdentically() throws Exception {
        Path ckpt = dir.resolve("killed.ckpt");
        int iterations = CheckpointChild.ITERATIONS;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Same float kernel (Vector API or scalar) as this JVM, so validation agrees bit for bit.
        List<String> cmd = new ArrayList<>(List.of(java));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        cmd.addAll(
                List.of(
                        "-cp",
                        System.getProperty("java.class.path"),
                        CheckpointChild.class.getName(),
                        ckpt.toString()));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("child.log").toFile())
                        .start();
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(ckpt) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(Files.exists(ckpt), "the child wrote no checkpoint");
            Thread.sleep(new java.util.Random().nextInt(300));
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        int atKill = Checkpoint.read(ckpt).completedIterations;
        assertTrue(atKill >= 1 && atKill <= iterations);
        LstmWeights resumed =
                new MetaTrainer(CheckpointChild.config(ckpt).resume(true).build()).train();
        LstmWeights reference = new MetaTrainer(CheckpointChild.config(null).build()).train();
        assertArrayEquals(reference.parameters(), resumed.parameters());
        assertEquals(Integer.toString(iterations), resumed.metadata().get("iterations"));
    }

    @Test
    void resumeRefusesACheckpointOfOtherSettings() throws IOException {
        Path ckpt = dir.resolve("a.ckpt");
        new MetaTrainer(small().iterations(2).checkpointPath(ckpt).build()).train();
        MetaTrainingConfig other =
                small().iterations(4).seed(99).checkpointPath(ckpt).resume(true).build();
        IOException e = assertThrows(IOException.class, () -> new MetaTrainer(other).train());
        assertTrue(e.getMessage().contains("seed=99"), e.getMessage());
        MetaTrainingConfig missing =
                small().iterations(4).checkpointPath(dir.resolve("none.ckpt")).resume(true).build();
        IOException e2 = assertThrows(IOException.class, () -> new MetaTrainer(missing).train());
        assertTrue(e2.getMessage().contains("No checkpoint"), e2.getMessage());
    }

    @Test
    void configValidationNamesTheProblem() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> small().iterations(3).unroll(30).build());
        assertTrue(e.getMessage().contains("unroll must be in 1..horizon (20) but was 30"));
        e = assertThrows(IllegalArgumentException.class, () -> small().build());
        assertTrue(e.getMessage().contains("iterations"));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> MetaTrainingConfig.builder().iterations(1).build());
        assertTrue(e.getMessage().contains("task family"));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> small().iterations(1).learningRate(-1).build());
        assertTrue(e.getMessage().contains("learning rate"));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> small().iterations(1).resume(true).build());
        assertTrue(e.getMessage().contains("checkpoint path"));
    }

    @Test
    void fineTuningStartsFromTheGivenWeights() throws IOException {
        LstmConfig c = LstmConfig.builder().preprocessing(Preprocessing.NONE).hidden(8).build();
        LstmWeights init = MetaTrainer.initialWeights(c, 42);
        MetaTrainer t =
                new MetaTrainer(
                        small().initialWeights(init).iterations(1).validateEvery(1).build());
        LstmWeights out = t.train();
        assertEquals(c, out.config());
        List<double[]> h = t.validationHistory();
        double initLoss =
                MetaTrainer.rollout(
                        new DoubleBptt(c),
                        new Workers(1),
                        MetaTrainer.toDouble(init.parameters()),
                        validationTasks(8),
                        MetaLossWeighting.uniform().weights(20),
                        20,
                        true)[0];
        assertEquals(initLoss, h.get(0)[1], 0.0);
        assertTrue(out.metadata().get("lstm_init").startsWith("fine-tune"));
    }

    /** --random-scale: training tasks scaled from their seeds, validation tasks never. */
    @Test
    void randomScaleScalesTheTrainingTasksOnly() throws IOException {
        MetaTrainingConfig plain = small().iterations(3).tasksPerIteration(2).build();
        MetaTrainingConfig off = small().iterations(3).tasksPerIteration(2).randomScale(0).build();
        MetaTrainingConfig on = small().iterations(3).tasksPerIteration(2).randomScale(1).build();
        assertEquals(plain.fingerprint(), off.fingerprint());
        assertEquals(plain.fingerprint() + ";random_scale=1.0", on.fingerprint());
        MetaTrainer tPlain = new MetaTrainer(plain);
        LstmWeights wPlain = tPlain.train();
        LstmWeights wOff = new MetaTrainer(off).train();
        MetaTrainer tOn = new MetaTrainer(on);
        LstmWeights wOn = tOn.train();
        assertArrayEquals(wPlain.parameters(), wOff.parameters(), "0 is off");
        assertTrue(!wPlain.metadata().containsKey("random_scale"));
        assertEquals("1.0", wOn.metadata().get("random_scale"));
        assertTrue(
                !java.util.Arrays.equals(wPlain.parameters(), wOn.parameters()),
                "scaled training tasks train another optimizer");
        assertArrayEquals(
                wOn.parameters(), new MetaTrainer(on).train().parameters(), "deterministic");
        // validation before the first iteration: same weights, same (unscaled) tasks
        assertEquals(tPlain.validationHistory().get(0)[1], tOn.validationHistory().get(0)[1], 0.0);
        // the training tasks are the family's tasks scaled by their seeds' factors
        TruncationContext ctx = TruncationContext.of(on);
        org.l2o4j.core.task.Task t = ctx.trainingTask(new QuadraticTaskFamily(), 2, 1);
        long seed = ctx.taskSeed(2, 1);
        org.l2o4j.core.task.ScaledTask st = (org.l2o4j.core.task.ScaledTask) t;
        double[] f = org.l2o4j.core.task.ScaledTask.randomScales(seed, 1);
        assertEquals(f[0], st.lossScale(), 0.0);
        assertEquals(f[1], st.paramScale(), 0.0);
        assertEquals(new QuadraticTaskFamily().sample(seed).name(), st.base().name());
        assertTrue(
                TruncationContext.of(plain).trainingTask(new QuadraticTaskFamily(), 2, 1)
                                instanceof org.l2o4j.core.task.ScaledTask
                        == false);
        assertThrows(
                IllegalArgumentException.class,
                () -> small().iterations(1).randomScale(-0.5).build());
    }

    /**
     * --normalize-meta-gradient: every outer step scaled to the clip norm, recorded, refused with
     * an infinite clip.
     */
    @Test
    void normalizedMetaGradientIsRecordedAndChangesTheSteps() throws IOException {
        // a clip no meta-gradient reaches: without normalization nothing is scaled
        MetaTrainingConfig off = small().iterations(3).clipNorm(1e9).build();
        MetaTrainingConfig on =
                small().iterations(3).clipNorm(1e9).normalizeMetaGradient(true).build();
        assertEquals(off.fingerprint() + ";normalize_meta_gradient=true", on.fingerprint());
        LstmWeights wOff = new MetaTrainer(off).train();
        LstmWeights wOn = new MetaTrainer(on).train();
        assertTrue(!wOff.metadata().containsKey("normalize_meta_gradient"));
        assertEquals("true", wOn.metadata().get("normalize_meta_gradient"));
        assertTrue(
                !java.util.Arrays.equals(wOff.parameters(), wOn.parameters()),
                "steps of different norms are equalized, which Adam does not undo");
        assertArrayEquals(
                wOn.parameters(), new MetaTrainer(on).train().parameters(), "deterministic");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                small().iterations(1)
                                        .clipNorm(Double.POSITIVE_INFINITY)
                                        .normalizeMetaGradient(true)
                                        .build());
        assertTrue(e.getMessage().contains("finite"), e.getMessage());
    }

    /** Each truncation's share of the weighting: the sum of its weights over the largest. */
    @Test
    void truncationSharesAreEachTruncationsWeightOverTheLargest() {
        double[] lin = MetaLossWeighting.linear().weights(25);
        double[] s = MetaTrainer.truncationShares(lin, 10);
        assertEquals(3, s.length, "25 steps in truncations of 10: 10, 10, 5");
        // linear: 1..10 = 55, 11..20 = 155, 21..25 = 115
        assertEquals(55.0 / 155, s[0], 1e-12);
        assertEquals(1.0, s[1], 0.0);
        assertEquals(115.0 / 155, s[2], 1e-12);
        double[] mix =
                MetaTrainer.truncationShares(
                        MetaLossWeighting.parse("linear+steps:10").weights(40), 10);
        // linear over 40 sums to 820: truncation 0 holds 55/820 of it plus all of steps:10
        assertEquals(1.0, mix[0], 0.0);
        assertEquals((355.0 / 820) / (1 + 55.0 / 820), mix[3], 1e-12);
        assertArrayEquals(
                new double[] {1, 0, 1},
                MetaTrainer.truncationShares(MetaLossWeighting.steps(7, 30).weights(30), 10),
                0.0);
    }

    /**
     * Under --normalize-meta-gradient a truncation moves phi by its share of the weighting: steps:5
     * and steps:20 with shares 3:1 end at a different phi than with equal shares, though each
     * truncation's meta-gradient points the same way in both (phi read from the last checkpoint,
     * not the best validated weights, which the weighting also chooses).
     */
    @Test
    void normalizedStepsFollowTheWeightingsShares() throws IOException {
        double[] equal = lastPhi("steps:5,20", "equal.ckpt");
        double[] equalSum = lastPhi("steps:5+steps:20", "equalSum.ckpt");
        double[] skewed = lastPhi("3*steps:5+steps:20", "skewed.ckpt");
        assertArrayEquals(equal, equalSum, "the same weights");
        double diff = 0;
        for (int i = 0; i < equal.length; i++) {
            diff = Math.max(diff, Math.abs(equal[i] - skewed[i]));
        }
        // equal steps would leave only float rounding between them (the meta-gradients differ by
        // a factor of 1.5 before their scaling)
        assertTrue(diff > 1e-6, "largest difference " + diff);
    }

    private double[] lastPhi(String weighting, String checkpoint) throws IOException {
        Path ckpt = dir.resolve(checkpoint);
        LstmWeights w =
                new MetaTrainer(
                                small().iterations(3)
                                        .normalizeMetaGradient(true)
                                        .weighting(MetaLossWeighting.parse(weighting))
                                        .checkpointPath(ckpt)
                                        .checkpointEvery(1)
                                        .build())
                        .train();
        assertEquals(MetaLossWeighting.parse(weighting).toString(), w.metadata().get("weighting"));
        Checkpoint c = Checkpoint.read(ckpt);
        assertEquals(3, c.completedIterations);
        return c.phi;
    }

    /**
     * --validation-weighting changes which weights are chosen, not the training: the same last phi,
     * another validation meta-loss, recorded in the weight file and the checkpoint fingerprint.
     */
    @Test
    void validationWeightingChoosesButDoesNotTrain() throws IOException {
        MetaTrainingConfig plain = small().iterations(4).validateEvery(2).build();
        MetaTrainingConfig chosen =
                small().iterations(4)
                        .validateEvery(2)
                        .validationWeighting(MetaLossWeighting.finalStep())
                        .build();
        assertEquals(plain.fingerprint() + ";validation_weighting=final", chosen.fingerprint());
        assertEquals(MetaLossWeighting.uniform(), plain.validationWeighting());
        Path a = dir.resolve("plain.ckpt");
        Path b = dir.resolve("chosen.ckpt");
        LstmWeights wa =
                new MetaTrainer(plain.toBuilder().checkpointPath(a).checkpointEvery(1).build())
                        .train();
        LstmWeights wb =
                new MetaTrainer(chosen.toBuilder().checkpointPath(b).checkpointEvery(1).build())
                        .train();
        assertArrayEquals(Checkpoint.read(a).phi, Checkpoint.read(b).phi, "training unchanged");
        assertTrue(!wa.metadata().containsKey("validation_weighting"));
        assertEquals("final", wb.metadata().get("validation_weighting"));
        assertEquals("uniform", wb.metadata().get("weighting"));
        assertTrue(
                !wa.metadata()
                        .get("best_validation_loss")
                        .equals(wb.metadata().get("best_validation_loss")),
                "the final loss is not the uniform mean: "
                        + wa.metadata().get("best_validation_loss"));
    }

    /** steps:S weighting: steps:H is final; steps:10,20 trains on two truncations of four. */
    @Test
    void stepsWeightingTrains() throws IOException {
        LstmWeights fin =
                new MetaTrainer(
                                small().iterations(2)
                                        .weighting(MetaLossWeighting.finalStep())
                                        .build())
                        .train();
        LstmWeights st20 =
                new MetaTrainer(
                                small().iterations(2)
                                        .weighting(MetaLossWeighting.parse("steps:20"))
                                        .build())
                        .train();
        assertArrayEquals(fin.parameters(), st20.parameters(), "steps:20 at horizon 20 is final");
        assertEquals("steps:20", st20.metadata().get("weighting"));
        LstmWeights two =
                new MetaTrainer(
                                small().iterations(2)
                                        .weighting(MetaLossWeighting.parse("steps:10,20"))
                                        .build())
                        .train();
        assertTrue(!java.util.Arrays.equals(fin.parameters(), two.parameters()));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new MetaTrainer(
                                                small().iterations(1)
                                                        .weighting(
                                                                MetaLossWeighting.parse(
                                                                        "steps:50,100"))
                                                        .build())
                                        .train());
        assertTrue(e.getMessage().contains("horizon 20"), e.getMessage());
    }

    @Test
    void throughputIsPositive() {
        double cps =
                TrainThroughput.measure(
                                LstmConfig.builder().hidden(4).build(),
                                100,
                                3,
                                1,
                                0.05,
                                BpttPrecision.DOUBLE)
                        .coordStepsPerSecond;
        assertTrue(cps > 0);
    }
}
