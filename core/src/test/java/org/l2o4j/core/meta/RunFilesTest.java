package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFilesTest {
    @TempDir Path dir;

    @Test
    void aSecondLockInThisJvmFailsAtOnceAndCloseRemovesTheFile() throws IOException {
        Path f = dir.resolve("out.safetensors.lock");
        try (RunFiles.Lock lock = RunFiles.lock(f)) {
            assertNull(lock.staleHolder());
            String content = Files.readString(f);
            assertTrue(
                    content.startsWith("pid=" + ProcessHandle.current().pid() + " host="), content);
            RunLockedException e = assertThrows(RunLockedException.class, () -> RunFiles.lock(f));
            assertTrue(
                    e.holder().startsWith("pid " + ProcessHandle.current().pid() + " on host "),
                    e.holder());
            assertTrue(e.holder().contains(", started 20"), e.holder());
        }
        assertFalse(Files.exists(f), "close removes the lock file");
        RunFiles.lock(f).close();
    }

    /**
     * Another process holds the lock: the attempt fails at once naming it; once that process is
     * killed (SIGKILL: it removes nothing) its lock file is stale and is reused.
     */
    @Test
    void aLockHeldByAnotherProcessNamesItAndIsReusedAfterItDies() throws Exception {
        Path f = dir.resolve("q.safetensors.lock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p =
                new ProcessBuilder(
                                java,
                                "-cp",
                                System.getProperty("java.class.path"),
                                LockChild.class.getName(),
                                f.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        try {
            BufferedReader r =
                    new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertEquals("locked " + p.pid(), line);
            RunLockedException e = assertThrows(RunLockedException.class, () -> RunFiles.lock(f));
            assertTrue(e.holder().startsWith("pid " + p.pid() + " on host "), e.holder());
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        assertTrue(Files.exists(f), "SIGKILL leaves the lock file");
        try (RunFiles.Lock lock = RunFiles.lock(f)) {
            assertTrue(lock.staleHolder().startsWith("pid " + p.pid()), lock.staleHolder());
        }
        assertFalse(Files.exists(f));
    }

    @Test
    void onlyOurStaleTemporariesAreRemoved() throws IOException {
        Path out = dir.resolve("q.safetensors");
        Path ckpt = dir.resolve("q.safetensors.ckpt");
        List<String> ours =
                List.of(
                        "q.safetensors.ckpt.8123456789012.tmp", // checkpoint
                        "q.safetensors.ckpt4411.tmp", // checkpoint, earlier versions
                        ".q.safetensors.77.tmp"); // weight file
        List<String> others =
                List.of(
                        "q.safetensors.ckpt",
                        "q.safetensors.ckpt.tmp",
                        "q.safetensors.ckpt.12.tmp.keep",
                        "r.safetensors.ckpt.12.tmp",
                        ".r.safetensors.12.tmp",
                        "notes.tmp");
        for (String n : ours) {
            Files.writeString(dir.resolve(n), "x");
        }
        for (String n : others) {
            Files.writeString(dir.resolve(n), "x");
        }
        List<Path> removed = RunFiles.removeStaleTemporaries(ckpt);
        removed.addAll(RunFiles.removeStaleTemporaries(out));
        assertEquals(
                Set.copyOf(ours),
                removed.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    Set.copyOf(others),
                    s.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @Test
    void unwritableLocationsAreReportedWithTheReason() throws IOException {
        Path file = dir.resolve("somefile");
        Files.writeString(file, "x");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> RunFiles.checkWritableFile(file.resolve("out.safetensors"), "--out"));
        assertEquals(
                "cannot write --out "
                        + file.resolve("out.safetensors")
                        + ": "
                        + file
                        + " is a file, not a directory",
                e.getMessage());
        e = assertThrows(IOException.class, () -> RunFiles.checkWritableFile(dir, "checkpoint"));
        assertEquals("cannot write checkpoint " + dir + ": it is a directory", e.getMessage());
        e = assertThrows(IOException.class, () -> RunFiles.checkWritableDirectory(file, "--out"));
        assertEquals(
                "cannot write to --out " + file + ": it is a file, not a directory",
                e.getMessage());
        if (Files.isDirectory(Path.of("/proc/self"))) {
            e =
                    assertThrows(
                            IOException.class,
                            () ->
                                    RunFiles.checkWritableFile(
                                            Path.of("/proc/y.safetensors.ckpt"), "checkpoint"));
            assertTrue(
                    e.getMessage().startsWith("cannot write checkpoint /proc/y.safetensors.ckpt: "),
                    e.getMessage());
            String reason = e.getMessage().substring(e.getMessage().lastIndexOf(": ") + 2);
            assertFalse(reason.contains("/"), "a reason, not a path: " + e.getMessage());
        }
        // writable: the directories are created and nothing is left behind
        Path fresh = dir.resolve("a/b/out.safetensors");
        RunFiles.checkWritableFile(fresh, "--out");
        try (Stream<Path> s = Files.list(fresh.getParent())) {
            assertEquals(0, s.count());
        }
    }
}
