package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.LstmWeights;

/** {@link MetaTrainingConfig#cpuBudgetSeconds()}: meta-training stops once its CPU is spent. */
class MetaTrainerCpuBudgetTest {
    @TempDir Path dir;

    @Test
    void aTinyBudgetStopsAfterTheFirstIterationWithTheBestValidatedWeights() throws IOException {
        List<Integer> validated = new ArrayList<>();
        MetaTrainingListener l =
                new MetaTrainingListener() {
                    @Override
                    public void onValidation(ValidationResult v) {
                        validated.add(v.iteration());
                    }
                };
        LstmWeights w =
                new MetaTrainer(
                                MetaTrainerTest.small()
                                        .iterations(1000)
                                        .validateEvery(50)
                                        .cpuBudgetSeconds(1e-6)
                                        .listener(l)
                                        .build())
                        .train();
        // The process CPU clock ticks in 10 ms steps on Linux: the first iteration in which it
        // ticks spends the budget, so the run stops long before 1000 iterations.
        Map<String, String> md = w.metadata();
        int done = Integer.parseInt(md.get(WeightMetadata.ITERATIONS));
        assertTrue(done >= 1 && done < 1000, md.toString());
        assertEquals(WeightMetadata.STOPPED_BY_CPU_BUDGET, md.get(WeightMetadata.STOPPED_BY));
        assertEquals("1.0E-6", md.get(WeightMetadata.CPU_BUDGET_SECONDS));
        assertTrue(Double.parseDouble(md.get(WeightMetadata.CPU_SECONDS)) > 0, md.toString());
        // the last iteration is validated whether or not it is a multiple of validate-every
        assertEquals(0, validated.get(0));
        assertEquals(done, validated.get(validated.size() - 1));
        int best = Integer.parseInt(md.get(WeightMetadata.BEST_ITERATION));
        assertTrue(validated.contains(best), md.toString());
    }

    @Test
    void withoutABudgetTheIterationsEndTheRunAndItsCpuIsRecorded() throws IOException {
        Map<String, String> md =
                new MetaTrainer(MetaTrainerTest.small().iterations(3).build()).train().metadata();
        assertEquals("3", md.get(WeightMetadata.ITERATIONS));
        assertEquals(WeightMetadata.STOPPED_BY_ITERATIONS, md.get(WeightMetadata.STOPPED_BY));
        assertFalse(md.containsKey(WeightMetadata.CPU_BUDGET_SECONDS));
        // recorded, but three tiny iterations may fit between two ticks of the 10 ms process clock
        assertTrue(Double.parseDouble(md.get(WeightMetadata.CPU_SECONDS)) >= 0, md.toString());
        // a budget larger than the run changes nothing but the record of it
        Map<String, String> big =
                new MetaTrainer(MetaTrainerTest.small().iterations(3).cpuBudgetSeconds(1e6).build())
                        .train()
                        .metadata();
        assertEquals("3", big.get(WeightMetadata.ITERATIONS));
        assertEquals(WeightMetadata.STOPPED_BY_ITERATIONS, big.get(WeightMetadata.STOPPED_BY));
        assertEquals("1000000.0", big.get(WeightMetadata.CPU_BUDGET_SECONDS));
    }

    @Test
    void theSpentCpuIsCheckpointedAndCountsOnResume() throws IOException {
        Path ckpt = dir.resolve("run.ckpt");
        MetaTrainingConfig.Builder b =
                MetaTrainerTest.small().iterations(1000).checkpointEvery(10).checkpointPath(ckpt);
        Map<String, String> first =
                new MetaTrainer(b.cpuBudgetSeconds(1e-6).build()).train().metadata();
        assertEquals(WeightMetadata.STOPPED_BY_CPU_BUDGET, first.get(WeightMetadata.STOPPED_BY));
        int done = Integer.parseInt(first.get(WeightMetadata.ITERATIONS));
        Checkpoint saved = Checkpoint.read(ckpt);
        assertEquals(done, saved.completedIterations);
        double spent = saved.cpuSeconds;
        assertTrue(spent > 0, "CPU seconds in the checkpoint: " + spent);
        // resumed with the same budget: already spent, nothing more runs
        Map<String, String> again =
                new MetaTrainer(b.cpuBudgetSeconds(1e-6).resume(true).build()).train().metadata();
        assertEquals(Integer.toString(done), again.get(WeightMetadata.ITERATIONS));
        assertEquals(WeightMetadata.STOPPED_BY_CPU_BUDGET, again.get(WeightMetadata.STOPPED_BY));
        // a raised budget and iteration cap continue, adding to the CPU already spent
        Map<String, String> more =
                new MetaTrainer(b.iterations(done + 2).cpuBudgetSeconds(1e6).resume(true).build())
                        .train()
                        .metadata();
        assertEquals(Integer.toString(done + 2), more.get(WeightMetadata.ITERATIONS));
        assertEquals(WeightMetadata.STOPPED_BY_ITERATIONS, more.get(WeightMetadata.STOPPED_BY));
        assertTrue(Checkpoint.read(ckpt).cpuSeconds >= spent);
    }

    @Test
    void aVersion2CheckpointStillResumesWithItsCpuUnknown() throws Exception {
        Path ckpt = dir.resolve("v2.ckpt");
        MetaTrainingConfig.Builder b =
                MetaTrainerTest.small().iterations(2).checkpointEvery(1).checkpointPath(ckpt);
        new MetaTrainer(b.build()).train();
        byte[] v3 = Files.readAllBytes(ckpt);
        // version 2: the same body without its last 24 bytes (the curriculum state of a run
        // without curriculum: stage 0, 0 stale validations, 1 stage start at 0; then the CPU
        // seconds), re-hashed
        int body = (int) ByteBuffer.wrap(v3).getLong(12) - 24;
        ByteBuffer v2 = ByteBuffer.allocate(20 + body + 32);
        v2.put(v3, 0, 20 + body).putInt(8, 2).putLong(12, body);
        v2.position(20 + body);
        v2.put(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(v2.array(), 20 + body)));
        Files.write(ckpt, v2.array());
        Checkpoint c = Checkpoint.read(ckpt);
        assertEquals(2, c.completedIterations);
        assertEquals(0.0, c.cpuSeconds);
        Map<String, String> md =
                new MetaTrainer(b.iterations(3).resume(true).build()).train().metadata();
        assertEquals("3", md.get(WeightMetadata.ITERATIONS));
    }

    @Test
    void aBadBudgetIsRefusedWithWhatWasGiven() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> MetaTrainerTest.small().iterations(1).cpuBudgetSeconds(-2).build());
        assertEquals(
                "CPU budget must be finite and >= 0 seconds (0 = none) but was -2.0",
                e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> MetaTrainerTest.small().iterations(1).cpuBudgetSeconds(Double.NaN).build());
    }
}
