package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.LstmWeights;
import picocli.CommandLine;

class MetaTrainCurriculumTest {
    @TempDir Path dir;

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new MetaTrainCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    private List<String> quadratic(Path out, String... more) {
        List<String> a =
                new ArrayList<>(
                        List.of(
                                "--task",
                                "quadratic",
                                "--out",
                                out.toString(),
                                "--seed",
                                "7",
                                "--validation-tasks",
                                "3",
                                "--validate-every",
                                "1",
                                "--threads",
                                "1",
                                "--lstm-hidden",
                                "4",
                                "--lr",
                                "0.3"));
        a.addAll(Arrays.asList(more));
        return a;
    }

    @Test
    void aScheduleIsFollowedAndRecorded() throws Exception {
        Path out = dir.resolve("s.safetensors");
        StringWriter err = new StringWriter();
        int code =
                run(
                        err,
                        quadratic(out, "--iterations", "4", "--curriculum", "5:5,10:5@2")
                                .toArray(String[]::new));
        assertEquals(0, code, err.toString());
        assertTrue(
                err.toString()
                        .contains(
                                "curriculum: stage 1 of 2 (horizon 5, unroll 5) from"
                                        + " iteration 0\n"),
                err.toString());
        assertTrue(
                err.toString()
                        .contains(
                                "curriculum: stage 2 of 2 (horizon 10, unroll 5) from iteration 2;"
                                        + " the best weights are chosen within this stage"),
                err.toString());
        LstmWeights w = WeightFiles.read(out);
        assertEquals("5:5,10:5@2", w.metadata().get(WeightMetadata.CURRICULUM));
        assertEquals("2 of 2", w.metadata().get(WeightMetadata.CURRICULUM_STAGE));
        assertEquals("0,2", w.metadata().get(WeightMetadata.CURRICULUM_STAGE_STARTS));
        assertEquals("10", w.metadata().get(WeightMetadata.HORIZON));
        assertEquals("5", w.metadata().get(WeightMetadata.UNROLL));
        assertTrue(
                w.metadata().get(WeightMetadata.COMMAND).contains("--curriculum 5:5,10:5@2"),
                w.metadata().get(WeightMetadata.COMMAND));
    }

    @Test
    void aResumedRunEndsAsTheUninterruptedOne() throws Exception {
        // the first part ends at iteration 3, where a stage change is due (schedule) or may be
        String[][] curricula = {
            {"--curriculum", "5:5,10:5,20:10", "--curriculum-patience", "1"},
            {"--curriculum", "5:5,10:5@3,20:10@5"}
        };
        for (String[] curr : curricula) {
            Path whole = dir.resolve("whole" + curr.length + ".safetensors");
            List<String> a = quadratic(whole, "--iterations", "8");
            a.addAll(Arrays.asList(curr));
            StringWriter err = new StringWriter();
            assertEquals(0, run(err, a.toArray(String[]::new)), err.toString());
            LstmWeights reference = WeightFiles.read(whole);

            Path part = dir.resolve("part" + curr.length + ".safetensors");
            List<String> first = quadratic(part, "--iterations", "3");
            first.addAll(Arrays.asList(curr));
            StringWriter err1 = new StringWriter();
            assertEquals(0, run(err1, first.toArray(String[]::new)), err1.toString());
            if (curr.length == 2) {
                assertTrue(
                        err1.toString()
                                .contains(
                                        "l2o meta-train: curriculum stage 20:10@5 starts after"
                                                + " this run's 3 iterations; it is reached only if"
                                                + " the run is continued with --resume and more"
                                                + " --iterations"),
                        err1.toString());
                assertEquals(
                        "2 of 3",
                        WeightFiles.read(part).metadata().get(WeightMetadata.CURRICULUM_STAGE));
            }
            List<String> rest = quadratic(part, "--iterations", "8", "--resume");
            rest.addAll(Arrays.asList(curr));
            StringWriter err2 = new StringWriter();
            assertEquals(0, run(err2, rest.toArray(String[]::new)), err2.toString());
            LstmWeights resumed = WeightFiles.read(part);
            assertArrayEquals(reference.parameters(), resumed.parameters());
            for (String key :
                    List.of(
                            WeightMetadata.CURRICULUM,
                            WeightMetadata.CURRICULUM_PATIENCE,
                            WeightMetadata.CURRICULUM_STAGE,
                            WeightMetadata.CURRICULUM_STAGE_STARTS,
                            WeightMetadata.BEST_VALIDATION_LOSS,
                            WeightMetadata.BEST_ITERATION,
                            WeightMetadata.HORIZON)) {
                assertEquals(reference.metadata().get(key), resumed.metadata().get(key), key);
            }
            assertTrue(
                    Integer.parseInt(
                                    reference
                                            .metadata()
                                            .get(WeightMetadata.CURRICULUM_STAGE)
                                            .substring(0, 1))
                            >= 2,
                    reference.metadata().toString());
        }
    }

    @Test
    void combinationsItCannotRunAreRefused() {
        Path out = dir.resolve("r.safetensors");
        assertRefused(
                "--curriculum gives the horizon and unroll of each stage (H:U,...); do not"
                        + " combine it with --horizon or --unroll",
                quadratic(out, "--iterations", "2", "--curriculum", "5:5,10:5", "--horizon", "10"));
        assertRefused(
                "--curriculum cannot be combined with --per-group (the stages run in this JVM with"
                        + " the shared-weights trainer)",
                quadratic(out, "--iterations", "2", "--curriculum", "5:5", "--per-group"));
        assertRefused(
                "--curriculum cannot be combined with --spark (the stages run in this JVM with the"
                        + " shared-weights trainer)",
                quadratic(out, "--iterations", "2", "--curriculum", "5:5", "--spark", "local[1]"));
        assertRefused(
                "--curriculum-patience needs --curriculum (stages HORIZON:UNROLL,...)",
                quadratic(out, "--iterations", "2", "--curriculum-patience", "3"));
        assertRefused(
                "curriculum stage '10' in '5:5,10': expected HORIZON:UNROLL or"
                        + " HORIZON:UNROLL@ITERATION",
                quadratic(out, "--iterations", "2", "--curriculum", "5:5,10"));
        assertRefused(
                "curriculum '5:5,10:5@1' is a schedule (@ITERATION); a patience (2) applies only"
                        + " to stages without '@'",
                quadratic(
                        out,
                        "--iterations",
                        "2",
                        "--curriculum",
                        "5:5,10:5@1",
                        "--curriculum-patience",
                        "2"));
    }

    private static void assertRefused(String message, List<String> args) {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, args.toArray(String[]::new)), err.toString());
        assertEquals("l2o meta-train: " + message, err.toString().strip());
    }
}
