package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.task.Task;

class CurriculumTest {
    @TempDir Path dir;

    /** Records validations and stage changes in order, as text and values. */
    static final class Recorder implements MetaTrainingListener {
        final List<String> events = new ArrayList<>();
        final List<ValidationResult> validations = new ArrayList<>();
        final List<StageChange> stages = new ArrayList<>();

        @Override
        public void onValidation(ValidationResult v) {
            validations.add(v);
            events.add("validation " + v.iteration() + (v.best() ? " best" : ""));
        }

        @Override
        public void onStage(StageChange s) {
            stages.add(s);
            events.add("stage " + s.stage() + " at " + s.iteration() + " H=" + s.horizon());
        }
    }

    // --- parsing ---------------------------------------------------------------------------

    @Test
    void parsesPatienceAndScheduleSpecs() {
        Curriculum p = Curriculum.parse(" 50:10, 100:20,200:20 ", null);
        assertFalse(p.scheduled());
        assertEquals(Curriculum.DEFAULT_PATIENCE, p.patience());
        assertEquals(3, p.size());
        assertEquals(new Curriculum.Stage(100, 20, -1), p.stage(1));
        assertEquals("50:10,100:20,200:20", p.toString());
        assertEquals(200, p.maxHorizon());
        assertEquals(4, Curriculum.parse("50:10,100:20", 4).patience());

        Curriculum s = Curriculum.parse("50:10@0,100:20@40,200:20@80", null);
        assertTrue(s.scheduled());
        assertEquals(0, s.patience());
        assertEquals(List.of(0, 40, 80), s.stages().stream().map(Curriculum.Stage::start).toList());
        assertEquals("50:10,100:20@40,200:20@80", s.toString());
        assertEquals(s.toString(), Curriculum.parse(s.toString(), null).toString());
    }

    @Test
    void badSpecsAreNamed() {
        assertMessage(
                "50-10",
                null,
                "curriculum stage '50-10' in '50-10': expected HORIZON:UNROLL or"
                        + " HORIZON:UNROLL@ITERATION");
        assertMessage(
                "50:x",
                null,
                "curriculum stage '50:x' in '50:x': expected the unroll to be an integer >= 1, not"
                        + " 'x'");
        assertMessage(
                "0:1",
                null,
                "curriculum stage '0:1' in '0:1': expected the horizon to be an"
                        + " integer >= 1, not '0'");
        assertMessage(
                "50:10,20:40",
                null,
                "curriculum stage '20:40' in '50:10,20:40': unroll must be in 1..horizon (20) but"
                        + " was 40");
        assertMessage(
                "50:10,100:20@40,200:20",
                null,
                "curriculum '50:10,100:20@40,200:20': give every stage after the first a start"
                        + " iteration (HORIZON:UNROLL@ITERATION, a schedule) or none (move on by"
                        + " patience), not some");
        assertMessage(
                "50:10,100:20@40,200:20@40",
                null,
                "curriculum stage '200:20@40' in '50:10,100:20@40,200:20@40': expected start"
                        + " iterations increasing from stage to stage (the previous stage starts"
                        + " at 40)");
        assertMessage(
                "50:10@5,100:20@40",
                null,
                "curriculum stage '50:10@5' in '50:10@5,100:20@40': expected the first stage to"
                        + " start at iteration 0 (or no '@')");
        assertMessage(
                "50:10,100:20@half",
                null,
                "curriculum stage '100:20@half' in '50:10,100:20@half': expected a meta-iteration"
                        + " (an integer >= 0) after '@', not 'half'");
        assertMessage(
                "50:10,100:20@40",
                3,
                "curriculum '50:10,100:20@40' is a schedule (@ITERATION); a patience (3) applies"
                        + " only to stages without '@'");
        assertMessage("50:10,100:20", 0, "curriculum patience must be >= 1 validation but was 0");
        assertMessage(
                " ",
                null,
                "a curriculum needs stages HORIZON:UNROLL,..., e.g. 50:10,100:20,200:20, but was"
                        + " empty");
    }

    private static void assertMessage(String spec, Integer patience, String message) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> Curriculum.parse(spec, patience));
        assertEquals(message, e.getMessage());
    }

    // --- training ------------------------------------------------------------------------

    @Test
    void aOneStageCurriculumIsThePlainRun() throws IOException {
        MetaTrainingConfig.Builder b = MetaTrainerTest.small().iterations(6).validateEvery(2);
        LstmWeights plain = new MetaTrainer(b.build()).train();
        LstmWeights one =
                new MetaTrainer(b.horizon(100).curriculum(Curriculum.parse("20:5", null)).build())
                        .train();
        assertArrayEquals(plain.parameters(), one.parameters());
        assertEquals(
                plain.metadata().get(WeightMetadata.BEST_VALIDATION_LOSS),
                one.metadata().get(WeightMetadata.BEST_VALIDATION_LOSS));
        assertEquals("20", one.metadata().get(WeightMetadata.HORIZON));
        assertEquals("20:5", one.metadata().get(WeightMetadata.CURRICULUM));
        assertEquals("1 of 1", one.metadata().get(WeightMetadata.CURRICULUM_STAGE));
        assertNull(plain.metadata().get(WeightMetadata.CURRICULUM));
    }

    @Test
    void aScheduleChangesStageAtItsIterationsAndValidatesAtTheStageHorizon() throws IOException {
        Path ckpt = dir.resolve("s.ckpt");
        Recorder rec = new Recorder();
        MetaTrainingConfig.Builder b =
                MetaTrainerTest.small()
                        .iterations(9)
                        .validateEvery(2)
                        .weighting(MetaLossWeighting.linear())
                        .curriculum(Curriculum.parse("10:5,30:10@4,40:20@7", null));
        MetaTrainingConfig config = b.checkpointPath(ckpt).checkpointEvery(4).listener(rec).build();
        assertEquals(40, config.horizon());
        assertEquals(20, config.unroll());
        LstmWeights w = new MetaTrainer(config).train();
        assertEquals(
                List.of(
                        "validation 0 best",
                        "stage 0 at 0 H=10",
                        "validation 2" + (rec.validations.get(1).best() ? " best" : ""),
                        // iteration 4: the stage change replaces the regular validation
                        "stage 1 at 4 H=30",
                        "validation 4 best",
                        "validation 6" + (rec.validations.get(3).best() ? " best" : ""),
                        "stage 2 at 7 H=40",
                        "validation 7 best",
                        "validation 8" + (rec.validations.get(5).best() ? " best" : ""),
                        "validation 9" + (rec.validations.get(6).best() ? " best" : "")),
                rec.events);
        assertEquals("40", w.metadata().get(WeightMetadata.HORIZON));
        assertEquals("20", w.metadata().get(WeightMetadata.UNROLL));
        assertEquals("10:5,30:10@4,40:20@7", w.metadata().get(WeightMetadata.CURRICULUM));
        assertNull(w.metadata().get(WeightMetadata.CURRICULUM_PATIENCE));
        assertEquals("3 of 3", w.metadata().get(WeightMetadata.CURRICULUM_STAGE));
        assertEquals("0,4,7", w.metadata().get(WeightMetadata.CURRICULUM_STAGE_STARTS));
        // the best is chosen within the last stage only
        assertTrue(Integer.parseInt(w.metadata().get(WeightMetadata.BEST_ITERATION)) >= 7);

        // the first stage is the plain 10:5 run: same weights after its 4 iterations
        Path plainCkpt = dir.resolve("p.ckpt");
        new MetaTrainer(
                        MetaTrainerTest.small()
                                .horizon(10)
                                .unroll(5)
                                .iterations(4)
                                .validateEvery(2)
                                .weighting(MetaLossWeighting.linear())
                                .checkpointPath(plainCkpt)
                                .build())
                .train();
        Path ckpt4 = dir.resolve("s4.ckpt");
        MetaTrainingListener crashAt5 =
                new MetaTrainingListener() {
                    @Override
                    public void onIteration(IterationProgress p) {
                        if (p.iteration() == 5) {
                            throw new IllegalStateException("stop");
                        }
                    }
                };
        assertThrows(
                IllegalStateException.class,
                () ->
                        new MetaTrainer(
                                        b.checkpointPath(ckpt4)
                                                .checkpointEvery(4)
                                                .listener(crashAt5)
                                                .build())
                                .train());
        Checkpoint at4 = Checkpoint.read(ckpt4);
        assertArrayEquals(Checkpoint.read(plainCkpt).phi, at4.phi);
        assertEquals(1, at4.stage);
        assertEquals(List.of(0, 4), at4.stageStarts);

        // the validation at the change is the rollout at the new stage's horizon (30)
        MetaTrainingConfig c = b.build();
        Task[] tasks = new Task[c.validationTasks()];
        for (int v = 0; v < tasks.length; v++) {
            tasks[v] = c.validationFamily().sample(MetaTrainer.validationSeed(v));
        }
        double[] r;
        try (Workers workers = new Workers(1)) {
            r =
                    MetaTrainer.rollout(
                            new DoubleBptt(c.lstmConfig()),
                            workers,
                            at4.phi,
                            tasks,
                            MetaLossWeighting.linear().weights(30),
                            30,
                            true);
        }
        double[] last = at4.history.get(at4.history.size() - 1);
        assertEquals(4.0, last[0]);
        assertEquals(r[0], last[1]);
        assertEquals(r[1], last[2]);
        assertEquals(r[0], at4.bestLoss);
        assertEquals(4, at4.bestIteration);
    }

    @Test
    void patienceMovesOnAfterValidationsWithoutImprovement() throws IOException {
        Recorder rec = new Recorder();
        // a large outer learning rate: validation stalls quickly
        LstmWeights w =
                new MetaTrainer(
                                MetaTrainerTest.small()
                                        .iterations(30)
                                        .validateEvery(1)
                                        .learningRate(0.5)
                                        .curriculum(Curriculum.parse("5:5,10:5,20:10", 2))
                                        .listener(rec)
                                        .build())
                        .train();
        assertFalse(rec.stages.size() < 2, rec.events.toString());
        // replay the rule: a change follows exactly the second stale validation of a stage
        int stage = 0;
        int stale = 0;
        int k = 0;
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int e = 0; e < rec.events.size(); e++) {
            String ev = rec.events.get(e);
            if (ev.startsWith("stage ") && e > 1) {
                assertEquals(2, stale, rec.events.toString());
                stage++;
                stale = 0;
                starts.add(rec.stages.get(stage).iteration());
                assertEquals(new int[] {5, 10, 20}[stage], rec.stages.get(stage).horizon());
            } else if (ev.startsWith("validation ")) {
                MetaTrainingListener.ValidationResult v = rec.validations.get(k++);
                stale = v.best() ? 0 : stale + 1;
                boolean due = stale == 2 && stage < 2 && v.iteration() < 30;
                assertEquals(
                        due,
                        e > 0
                                && e + 1 < rec.events.size()
                                && rec.events.get(e + 1).startsWith("stage "),
                        rec.events.toString());
            }
        }
        assertEquals((stage + 1) + " of 3", w.metadata().get(WeightMetadata.CURRICULUM_STAGE));
        assertEquals("2", w.metadata().get(WeightMetadata.CURRICULUM_PATIENCE));
        assertEquals(
                String.join(",", starts.stream().map(String::valueOf).toList()),
                w.metadata().get(WeightMetadata.CURRICULUM_STAGE_STARTS));
    }

    @Test
    void resumingContinuesExactlyAsAnUninterruptedRun() throws IOException {
        for (String spec : new String[] {"5:5,10:5,20:10", "5:5,10:5@3,20:10@8"}) {
            MetaTrainingConfig.Builder b =
                    MetaTrainerTest.small()
                            .iterations(14)
                            .validateEvery(1)
                            .learningRate(0.5)
                            .curriculum(Curriculum.parse(spec, null));
            Recorder ref = new Recorder();
            LstmWeights reference = new MetaTrainer(b.listener(ref).build()).train();
            assertTrue(ref.stages.size() >= 2, spec + ": " + ref.events);
            for (int crashAt : new int[] {3, 6, 10}) {
                Path ckpt = dir.resolve(crashAt + "-" + spec.length() + ".ckpt");
                MetaTrainingListener crash =
                        new MetaTrainingListener() {
                            @Override
                            public void onIteration(IterationProgress p) {
                                if (p.iteration() == crashAt + 1) {
                                    throw new IllegalStateException("simulated crash");
                                }
                            }
                        };
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                new MetaTrainer(
                                                b.checkpointPath(ckpt)
                                                        .checkpointEvery(1)
                                                        .listener(crash)
                                                        .build())
                                        .train());
                assertEquals(crashAt + 1, Checkpoint.read(ckpt).completedIterations);
                Recorder after = new Recorder();
                MetaTrainer resumed =
                        new MetaTrainer(b.listener(after).resume(true).threads(2).build());
                LstmWeights w = resumed.train();
                assertArrayEquals(reference.parameters(), w.parameters(), spec + " @" + crashAt);
                for (String key :
                        List.of(
                                WeightMetadata.BEST_VALIDATION_LOSS,
                                WeightMetadata.BEST_ITERATION,
                                WeightMetadata.CURRICULUM_STAGE,
                                WeightMetadata.CURRICULUM_STAGE_STARTS,
                                WeightMetadata.HORIZON,
                                WeightMetadata.TRUNCATIONS)) {
                    assertEquals(reference.metadata().get(key), w.metadata().get(key), key);
                }
                // the resumed session's validations are the reference's from there on
                List<MetaTrainingListener.ValidationResult> tail =
                        ref.validations.stream().filter(v -> v.iteration() > crashAt + 1).toList();
                assertEquals(tail, after.validations, spec + " @" + crashAt);
                b.resume(false);
            }
        }
    }

    @Test
    void aCheckpointOfAnotherCurriculumIsRefused() throws IOException {
        Path ckpt = dir.resolve("c.ckpt");
        MetaTrainingConfig.Builder b = MetaTrainerTest.small().iterations(2).checkpointPath(ckpt);
        new MetaTrainer(b.curriculum(Curriculum.parse("5:5,20:5", null)).build()).train();
        MetaTrainingConfig other =
                b.iterations(4).curriculum(Curriculum.parse("5:5,20:5", 3)).resume(true).build();
        IOException e = assertThrows(IOException.class, () -> new MetaTrainer(other).train());
        assertTrue(e.getMessage().contains("curriculum_patience=3"), e.getMessage());
        MetaTrainingConfig none = b.curriculum(null).resume(true).build();
        IOException e2 = assertThrows(IOException.class, () -> new MetaTrainer(none).train());
        assertTrue(e2.getMessage().contains("curriculum=5:5,20:5"), e2.getMessage());
    }
}
