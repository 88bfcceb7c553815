package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.cli.MetaTrainSafetyTest.Result;
import org.l2o4j.cli.study.StudyConfig;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.meta.HeapEstimate;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.task.QuadraticTaskFamily;
import org.l2o4j.core.task.TaskFamilies;

/**
 * Item 9: sizes whose arrays cannot fit in the heap are refused up front (exit 2, one line with the
 * estimate and the -Xmx it takes) instead of ending in OutOfMemoryError; ordinary sizes pass.
 */
class HeapChecksTest {
    @TempDir Path dir;

    private static final long GB = 1_000_000_000L;

    /** The single line of a refusal: command, option, estimate, this heap, the advice. */
    private static String refused(Result r, String command, String option) {
        assertEquals(2, r.code(), r.err() + r.out());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        String line = lines.get(0);
        assertTrue(
                line.matches(
                        "l2o "
                                + command
                                + ": "
                                + option
                                + " [0-9]+ needs about [0-9.]+(e\\+[0-9]+)? [kMGT]?B of heap \\(.+\\);"
                                + " this JVM has [0-9.]+ [kMGT]?B \\(-Xmx\\); (raise it with"
                                + " L2O_JAVA_OPTS=-Xmx[0-9]+g or|no machine has that much"
                                + " memory:) lower "
                                + option
                                + "( or --[a-z-]+)*"),
                line);
        return line;
    }

    private static Result l2o(String... args) {
        return MetaTrainSafetyTest.l2o(args);
    }

    @Test
    void benchCoords() {
        String line = refused(l2o("bench", "--coords", "2000000000"), "bench", "--coords");
        assertTrue(
                line.startsWith(
                        "l2o bench: --coords 2000000000 needs about 656 GB of heap (optimizer state"
                                + " 320 B/coordinate: 640 GB; gradient and update 8 B/coordinate:"
                                + " 16 GB); this JVM has "),
                line);
        assertTrue(line.contains("(-Xmx); raise it with L2O_JAVA_OPTS=-Xmx"), line);
        refused(l2o("bench", "--repetitions", "2000000000"), "bench", "--repetitions");
    }

    @Test
    void evaluateSeedsStepsAndTuningSeeds() {
        refused(
                l2o("evaluate", "--task", "quadratic", "--seeds", "2000000000"),
                "evaluate",
                "--seeds");
        refused(
                l2o("evaluate", "--task", "quadratic", "--steps", "2000000000"),
                "evaluate",
                "--steps");
        refused(
                l2o("evaluate", "--task", "quadratic", "--tuning-seeds", "2000000000"),
                "evaluate",
                "--tuning-seeds");
        refused(
                l2o("evaluate", "--task", "quadratic", "--lr-grid", "1e-4:10:2000000000"),
                "evaluate",
                "--lr-grid");
    }

    @Test
    void studySeedsAndHorizon() {
        refused(
                l2o("study", "--toy", "--seeds", "2000000000", "--out", dir.toString()),
                "study",
                "--seeds");
        refused(
                l2o(
                        "study",
                        "--horizon",
                        "20000000",
                        "--horizon-multipliers",
                        "1,100",
                        "--out",
                        dir.toString()),
                "study",
                "--horizon");
        refused(
                l2o("study", "--toy", "--validation-tasks", "2000000000", "--out", dir.toString()),
                "study",
                "--validation-tasks");
        refused(
                l2o("study", "--toy", "--lr-grid", "1e-4:10:2000000000", "--out", dir.toString()),
                "study",
                "--lr-grid");
        Result r = l2o("study", "--horizon", "2000000000", "--out", dir.toString());
        assertEquals(2, r.code());
        assertEquals(
                List.of(
                        "l2o study: --horizon 2000000000 x --horizon-multipliers 2 is more steps"
                                + " than a run can have (2147483646)"),
                r.err().lines().toList());
    }

    @Test
    void metaTrainSizes() {
        Path out = dir.resolve("q.safetensors");
        String[] base = {
            "meta-train", "--task", "quadratic", "--out", out.toString(), "--iterations", "2"
        };
        refused(
                l2o(concat(base, "--horizon", "2000000000", "--unroll", "2000000000")),
                "meta-train",
                "--unroll");
        refused(
                l2o(concat(base, "--tasks-per-iteration", "2000000000")),
                "meta-train",
                "--tasks-per-iteration");
        refused(
                l2o(concat(base, "--validation-tasks", "2000000000")),
                "meta-train",
                "--validation-tasks");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** The defaults and ordinary sizes fit in 2 GB; a real evaluate of 10 x 10,000 runs. */
    @Test
    void ordinarySizesAreNotRefused() {
        long twoGb = 2 * GB;
        assertNull(HeapChecks.evaluate(10, 10_000, 10, 11, 1, 4).check(twoGb));
        assertNull(HeapChecks.evaluate(100, 100_000, 10, 11, 2, 4).check(twoGb));
        assertNull(HeapChecks.study(StudyConfig.defaults()).check(twoGb));
        assertNull(HeapChecks.studyMetaTraining(StudyConfig.defaults()).check(twoGb));
        assertNull(HeapChecks.bench(1_000_000, 320, 5).check(twoGb));
        MetaTrainingConfig mnist =
                MetaTrainingConfig.builder()
                        .taskFamily(TaskFamilies.parse("mnist-mlp[data-dir=bundled]"))
                        .lstmConfig(LstmConfig.paperDefaults())
                        .iterations(1000)
                        .coordinateSubsample(2048)
                        .build();
        double mnistBytes = HeapEstimate.metaTraining(mnist, 15_910).totalBytes();
        assertTrue(mnistBytes > 0.1 * GB && mnistBytes < 1.5 * GB, "mnist-mlp " + mnistBytes);
        MetaTrainingConfig quad =
                MetaTrainingConfig.builder()
                        .taskFamily(new QuadraticTaskFamily())
                        .iterations(1000)
                        .build();
        assertNull(HeapEstimate.metaTraining(quad, 10).check(100_000_000L));

        Result r =
                l2o(
                        "evaluate",
                        "--task",
                        "quadratic",
                        "--steps",
                        "10000",
                        "--seeds",
                        "10",
                        "--baselines",
                        "adam",
                        "--lr-grid",
                        "0.01,0.1");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void theMessageNamesTheMainTermsAndTheXmx() {
        HeapEstimate e =
                new HeapEstimate()
                        .add("--coords", 1000, "state 300 B/coordinate", 300e9)
                        .add("--coords", 1000, "arrays 8 B/coordinate", 8e9)
                        .add("--repetitions", 5, "timings", 120);
        assertEquals(
                "--coords 1000 needs about 308 GB of heap (state 300 B/coordinate: 300 GB; arrays"
                        + " 8 B/coordinate: 8.0 GB); this JVM has 6.0 GB (-Xmx); raise it with"
                        + " L2O_JAVA_OPTS=-Xmx360g or lower --coords",
                e.check(6 * GB));
        assertNull(e.check(400 * GB));
    }
}
