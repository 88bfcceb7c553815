package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import picocli.CommandLine;

/**
 * What {@code meta-train} does around the training: it never destroys an earlier run's checkpoint
 * silently, refuses a second process on the same output, checks files before working, and says what
 * happened when a run is complete, interrupted or damaged.
 */
class MetaTrainSafetyTest {
    @TempDir Path dir;

    /** Output of one command: exit code, stderr, stdout. */
    record Result(int code, String err, String out) {
        /** The lines starting with "l2o " (errors and notices), for exact checks. */
        List<String> notices() {
            return err.lines().filter(l -> l.startsWith("l2o ")).toList();
        }
    }

    static Result l2o(String... args) {
        CommandLine cl = L2o.commandLine();
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        int rc = cl.execute(args);
        return new Result(rc, err.toString(), out.toString());
    }

    private String[] tiny(Path out, int iterations, String... extra) {
        List<String> a = new ArrayList<>(List.of("--lstm-hidden", "4"));
        a.addAll(Arrays.asList(extra));
        return tinyArgs(out, iterations, a.toArray(new String[0]));
    }

    /**
     * A quick {@code meta-train} on quadratics (horizon 10, unroll 5, 3 validation tasks, one
     * thread) writing {@code out}, with {@code extra} options and the default architecture.
     */
    static String[] tinyArgs(Path out, int iterations, String... extra) {
        List<String> a =
                new ArrayList<>(
                        List.of(
                                "meta-train",
                                "--task",
                                "quadratic",
                                "--out",
                                out.toString(),
                                "--seed",
                                "7",
                                "--iterations",
                                Integer.toString(iterations),
                                "--horizon",
                                "10",
                                "--unroll",
                                "5",
                                "--validation-tasks",
                                "3",
                                "--validate-every",
                                "2",
                                "--threads",
                                "1"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(new String[0]);
    }

    /** Item 3: a second run on the same --out needs --resume or --overwrite. */
    @Test
    void aSecondRunOnTheSameOutIsRefusedUnlessResumedOrOverwritten() throws Exception {
        Path out = dir.resolve("q.safetensors");
        Path ckpt = Path.of(out + ".ckpt");
        assertEquals(0, l2o(tiny(out, 6)).code());
        byte[] checkpoint = Files.readAllBytes(ckpt);
        byte[] weights = Files.readAllBytes(out);

        Result again = l2o(tiny(out, 6));
        assertEquals(2, again.code(), again.err());
        assertEquals(
                List.of(
                        "l2o meta-train: the checkpoint "
                                + ckpt
                                + " exists (an earlier run); continue it with --resume, or start"
                                + " again with --overwrite (deletes it)"),
                again.err().lines().toList());
        assertArrayEquals(checkpoint, Files.readAllBytes(ckpt), "checkpoint untouched");
        assertArrayEquals(weights, Files.readAllBytes(out), "output untouched");

        // the output alone (checkpoint deleted or elsewhere) counts as well
        Files.delete(ckpt);
        Result outOnly = l2o(tiny(out, 6));
        assertEquals(2, outOnly.code());
        assertTrue(outOnly.err().contains("the output " + out + " exists"), outOnly.err());

        Result both = l2o(tiny(out, 6, "--resume", "--overwrite"));
        assertEquals(2, both.code());
        assertEquals(
                List.of("l2o meta-train: give --resume or --overwrite, not both"),
                both.err().lines().toList());

        Result overwritten = l2o(tiny(out, 3, "--overwrite"));
        assertEquals(0, overwritten.code(), overwritten.err());
        assertEquals("3", WeightFiles.read(out).metadata().get(WeightMetadata.ITERATIONS));
        assertFalse(Files.exists(Path.of(out + ".lock")), "the lock file is removed on exit");
    }

    /** Item 6: resuming a run that already has the iterations asked for writes nothing. */
    @Test
    void resumingACompleteRunSaysSoAndWritesNothing() throws Exception {
        Path out = dir.resolve("q.safetensors");
        Path ckpt = Path.of(out + ".ckpt");
        assertEquals(0, l2o(tiny(out, 6)).code());
        byte[] checkpoint = Files.readAllBytes(ckpt);
        byte[] weights = Files.readAllBytes(out);
        for (int fewer : new int[] {3, 6}) {
            Result r = l2o(tiny(out, fewer, "--resume"));
            assertEquals(0, r.code(), r.err());
            assertEquals(
                    List.of(
                            "l2o meta-train: the checkpoint "
                                    + ckpt
                                    + " already has 6 of "
                                    + fewer
                                    + " iterations; nothing to do (raise --iterations to"
                                    + " continue)"),
                    r.err().lines().toList());
            assertArrayEquals(checkpoint, Files.readAllBytes(ckpt));
            assertArrayEquals(weights, Files.readAllBytes(out));
        }
        // killed between the last checkpoint and the output: the output is written
        Files.delete(out);
        Result r = l2o(tiny(out, 6, "--resume"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("the checkpoint has all 6 iterations; writing the output"));
        assertEquals("6", WeightFiles.read(out).metadata().get(WeightMetadata.ITERATIONS));
    }

    /** Item 6: the temporaries a SIGKILL leaves next to --out are removed by the next run. */
    @Test
    void staleTemporariesOfAKilledRunAreRemoved() throws Exception {
        Path out = dir.resolve("q.safetensors");
        assertEquals(0, l2o(tiny(out, 2)).code());
        Path ckptTmp = dir.resolve("q.safetensors.ckpt.5012345678901234567.tmp");
        Path outTmp = dir.resolve(".q.safetensors.884422.tmp");
        Path foreign = dir.resolve("other.ckpt.123.tmp");
        for (Path p : List.of(ckptTmp, outTmp, foreign)) {
            Files.writeString(p, "partial");
        }
        Result r = l2o(tiny(out, 4, "--resume"));
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(ckptTmp));
        assertFalse(Files.exists(outTmp));
        assertTrue(Files.exists(foreign), "not ours: kept");
        assertTrue(
                r.notices()
                        .contains(
                                "l2o meta-train: removed 2 temporary file(s) of an interrupted"
                                        + " write: "
                                        + ckptTmp.getFileName()
                                        + ", "
                                        + outTmp.getFileName()),
                r.err());
    }

    /** Item 2: a damaged checkpoint is a one-line error with what to do. */
    @Test
    void resumingADamagedCheckpointSaysWhatToDo() throws Exception {
        Path out = dir.resolve("q.safetensors");
        Path ckpt = Path.of(out + ".ckpt");
        assertEquals(0, l2o(tiny(out, 4)).code());
        byte[] b = Files.readAllBytes(ckpt);
        b[b.length / 2] ^= 0x04;
        Files.write(ckpt, b);
        byte[] weights = Files.readAllBytes(out);
        Result r = l2o(tiny(out, 8, "--resume"));
        assertEquals(2, r.code(), r.err());
        assertEquals(
                List.of(
                        "l2o meta-train: checkpoint "
                                + ckpt
                                + " is damaged: its content does not match its sha256 checksum;"
                                + " resume from a copy of an earlier checkpoint if you kept one"
                                + " (--checkpoint FILE), or start again with --overwrite"),
                r.err().lines().toList());
        assertArrayEquals(weights, Files.readAllBytes(out));
    }

    /** Item 5: unwritable places are found before any training, with the reason. */
    @Test
    void unwritableOutputsAreRefusedBeforeTraining() throws Exception {
        Path file = dir.resolve("somefile");
        Files.writeString(file, "x");
        Path under = file.resolve("out.safetensors");
        Result r = l2o(tiny(under, 2));
        assertEquals(2, r.code(), r.err());
        assertEquals(
                List.of(
                        "l2o meta-train: cannot write --out "
                                + under
                                + ": "
                                + file
                                + " is a file, not a directory"),
                r.err().lines().toList(),
                "refused before the first validation");
        Path out = dir.resolve("ok.safetensors");
        Result ck = l2o(tiny(out, 2, "--checkpoint", under + ".ckpt"));
        assertEquals(2, ck.code());
        assertEquals(
                List.of(
                        "l2o meta-train: cannot write checkpoint "
                                + under
                                + ".ckpt: "
                                + file
                                + " is a file, not a directory"),
                ck.err().lines().toList());
        if (Files.isDirectory(Path.of("/proc/self"))) {
            Result proc = l2o(tiny(Path.of("/proc/y.safetensors"), 2));
            assertEquals(2, proc.code());
            List<String> lines = proc.err().lines().toList();
            assertEquals(1, lines.size(), proc.err());
            assertTrue(
                    lines.get(0)
                            .startsWith("l2o meta-train: cannot write --out /proc/y.safetensors: "),
                    proc.err());
        }
        assertFalse(Files.exists(out));
    }

    /** {@link #tiny} fine-tuning {@code init} (no architecture options). */
    private String[] tinyInit(Path out, Path init) {
        List<String> a = new ArrayList<>(Arrays.asList(tiny(out, 2, "--init", init.toString())));
        int i = a.indexOf("--lstm-hidden");
        a.remove(i);
        a.remove(i);
        return a.toArray(new String[0]);
    }

    /** Item 5: --init is checked and its problem named. */
    @Test
    void badInitFilesAreNamed() throws Exception {
        Path out = dir.resolve("q.safetensors");
        Path missing = dir.resolve("missing.safetensors");
        Result r = l2o(tinyInit(out, missing));
        assertEquals(2, r.code());
        assertEquals(
                List.of("l2o meta-train: cannot read --init " + missing + ": no such file"),
                r.err().lines().toList());
        r = l2o(tinyInit(out, dir));
        assertEquals(2, r.code());
        assertEquals(
                List.of(
                        "l2o meta-train: cannot read --init "
                                + dir
                                + ": it is a directory, not a weight file"),
                r.err().lines().toList());
        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "not a weight file at all");
        r = l2o(tinyInit(out, garbage));
        assertEquals(2, r.code());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(
                lines.get(0)
                        .startsWith(
                                "l2o meta-train: --init "
                                        + garbage
                                        + " is not a usable weight file: "),
                r.err());
    }

    /**
     * Items 4 and 6: a second meta-train on the --out of a running one fails at once naming it;
     * SIGTERM makes the running one write a checkpoint, say where, and remove its lock.
     */
    @Test
    void aRunningProcessHoldsTheOutputAndSigtermSaysWhereItsCheckpointIs() throws Exception {
        Path out = dir.resolve("q.safetensors");
        Path ckpt = Path.of(out + ".ckpt");
        Path lock = Path.of(out + ".lock");
        Path log = dir.resolve("child.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                java,
                                "-cp",
                                System.getProperty("java.class.path"),
                                L2o.class.getName()));
        cmd.addAll(Arrays.asList(tiny(out, 1_000_000, "--checkpoint-every", "1", "--quiet")));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!(Files.exists(ckpt) && Files.exists(lock) && Files.size(lock) > 0)
                    && p.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(p.isAlive() && Files.exists(ckpt), Files.readString(log));
            Result second = l2o(tiny(out, 4, "--resume"));
            assertEquals(2, second.code());
            List<String> lines = second.err().lines().toList();
            assertEquals(1, lines.size(), second.err());
            assertTrue(
                    lines.get(0)
                            .startsWith(
                                    "l2o meta-train: --out "
                                            + out
                                            + " is in use by another meta-train (pid "
                                            + p.pid()
                                            + " on host "),
                    lines.get(0));
            assertTrue(
                    lines.get(0)
                            .endsWith(
                                    "; lock file "
                                            + lock
                                            + "); wait for it to end or choose another --out"),
                    lines.get(0));
            assertTrue(lines.get(0).contains(", started 20"), lines.get(0));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        String childLog = Files.readString(log, StandardCharsets.UTF_8);
        List<String> said =
                childLog.lines().filter(l -> l.startsWith("l2o meta-train: stopped")).toList();
        assertEquals(1, said.size(), childLog);
        assertTrue(
                said.get(0)
                        .matches(
                                "l2o meta-train: stopped; wrote the checkpoint of iteration [0-9]+"
                                        + " to "
                                        + Pattern.quote(ckpt.toString())
                                        + " \\(continue with --resume\\)"),
                said.get(0));
        assertFalse(Files.exists(lock), "the lock file is removed on SIGTERM");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.filter(f -> f.toString().endsWith(".tmp")).count(), "no temporaries");
        }
        // the run continues from there
        int done = Integer.parseInt(said.get(0).replaceAll(".*iteration ([0-9]+) to .*", "$1"));
        Result resumed = l2o(tiny(out, done + 1, "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(
                Integer.toString(done + 1),
                WeightFiles.read(out).metadata().get(WeightMetadata.ITERATIONS));
    }
}
