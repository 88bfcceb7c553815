package org.l2o4j.core.meta;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files around a meta-training output: an exclusive lock file next to it, the temporaries that
 * an interrupted write leaves, a writability check before any work, and I/O failures in words.
 *
 * <h2>Lock</h2>
 *
 * {@link #lock} takes an exclusive {@link FileChannel#tryLock} on a lock file (e.g. {@code
 * OUT.lock}) holding one line {@code pid=... host=... started=...}. The operating system drops the
 * lock when the process dies (SIGKILL, power loss), so a lock file left behind is stale exactly
 * when its lock can be taken: it is then reused ({@link Lock#staleHolder()} says whose it was). A
 * lock held by another process (or by another run in this JVM) is a {@link RunLockedException}
 * naming it. {@link Lock#close()} removes the file and releases the lock.
 *
 * <h2>Temporaries</h2>
 *
 * Checkpoints are written to {@code NAME.<digits>.tmp} and weight files to {@code
 * .NAME.<digits>.tmp} next to their target, then renamed over it; only a killed process leaves them
 * behind. {@link #removeStaleTemporaries} deletes exactly those names for one target; call it under
 * the target's lock.
 */
public final class RunFiles {
    private RunFiles() {}

    /** Lock files held by this JVM (POSIX locks are per process: the OS cannot tell us). */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    /** The prefix of a checkpoint's temporary files: {@code NAME.}; suffix {@code .tmp}. */
    static String checkpointTemporaryPrefix(Path target) {
        return target.getFileName() + ".";
    }

    /**
     * Why an I/O operation failed, in words: {@code permission denied}, {@code read-only file
     * system}, {@code no such file or directory}, ...
     */
    public static String reason(IOException e) {
        String r = null;
        if (e instanceof FileSystemException fse) {
            r = fse.getReason();
            if (r == null) {
                if (e instanceof AccessDeniedException) {
                    r = "permission denied";
                } else if (e instanceof NoSuchFileException) {
                    r = "no such file or directory";
                } else if (e instanceof NotDirectoryException) {
                    r = "not a directory";
                } else if (e instanceof DirectoryNotEmptyException) {
                    r = "a directory is in the way";
                } else if (e instanceof FileAlreadyExistsException) {
                    r = fse.getFile() + " exists and is not a directory";
                }
            }
        }
        if (r == null) {
            r = e.getMessage();
        }
        if (r == null || r.isBlank()) {
            r = e.getClass().getSimpleName();
        }
        return r.length() > 1
                        && Character.isUpperCase(r.charAt(0))
                        && Character.isLowerCase(r.charAt(1))
                ? Character.toLowerCase(r.charAt(0)) + r.substring(1)
                : r;
    }

    /**
     * Checks, before any work, that {@code file} can be written: it is not a directory, its parent
     * directories exist or can be created (they are created, as the write itself would), and a
     * temporary file can be created next to it (it is removed again).
     *
     * @param what how the user named it, e.g. {@code --out} or {@code checkpoint}
     * @throws IOException saying {@code cannot write WHAT FILE: REASON}
     */
    public static void checkWritableFile(Path file, String what) throws IOException {
        Path abs = file.toAbsolutePath();
        String head = "cannot write " + what + " " + file + ": ";
        if (Files.isDirectory(abs)) {
            throw new IOException(head + "it is a directory");
        }
        probe(abs.getParent(), checkpointTemporaryPrefix(abs), head);
    }

    /**
     * Checks, before any work, that files can be written into the directory {@code dir}: it is
     * created if missing, and a temporary file is created in it and removed.
     *
     * @param what how the user named it, e.g. {@code --out}
     * @throws IOException saying {@code cannot write to WHAT DIR: REASON}
     */
    public static void checkWritableDirectory(Path dir, String what) throws IOException {
        Path abs = dir.toAbsolutePath();
        String head = "cannot write to " + what + " " + dir + ": ";
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new IOException(head + "it is a file, not a directory");
        }
        probe(abs, ".l2o4j-write-test.", head);
    }

    private static void probe(Path dir, String prefix, String head) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new IOException(head + p + " is a file, not a directory");
                }
                break;
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException(head + "cannot create directory " + dir + ": " + reason(e), e);
        }
        try {
            Files.delete(Files.createTempFile(dir, prefix, ".tmp"));
        } catch (IOException e) {
            throw new IOException(head + "cannot create a file in " + dir + ": " + reason(e), e);
        }
    }

    /**
     * Deletes the temporaries that interrupted writes of {@code target} left next to it: {@code
     * NAME.<digits>.tmp} (checkpoints; also {@code NAME<digits>.tmp} of earlier versions) and
     * {@code .NAME.<digits>.tmp} (weight files). Nothing else is touched. Call it while holding the
     * target's lock, so no write in progress is removed.
     *
     * @return the files deleted
     */
    public static List<Path> removeStaleTemporaries(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return removed;
        }
        String name = abs.getFileName().toString();
        Pattern ours = Pattern.compile("(\\.?)" + Pattern.quote(name) + "(\\.?)[0-9]+\\.tmp");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = ours.matcher(p.getFileName().toString());
                // weight files: ".NAME.123.tmp"; checkpoints: "NAME.123.tmp" or "NAME123.tmp"
                if (m.matches()
                        && (m.group(1).isEmpty() || !m.group(2).isEmpty())
                        && Files.isRegularFile(p)) {
                    try {
                        Files.delete(p);
                        removed.add(p);
                    } catch (NoSuchFileException gone) {
                        // removed meanwhile
                    }
                }
            }
        } catch (IOException e) {
            throw new IOException(
                    "cannot remove stale temporary files in " + dir + ": " + reason(e), e);
        }
        return removed;
    }

    /**
     * Takes the exclusive lock {@code lockFile} (created if missing), or fails at once.
     *
     * @throws RunLockedException if another process or another run of this JVM holds it
     * @throws IOException saying {@code cannot create lock file F: REASON}
     */
    public static Lock lock(Path lockFile) throws IOException {
        Path abs = lockFile.toAbsolutePath().normalize();
        String mine = HELD.get(abs);
        if (mine != null) {
            throw new RunLockedException(lockFile, describe(mine) + ", in this JVM");
        }
        for (int attempt = 0; ; attempt++) {
            Lock l = tryOnce(lockFile, abs);
            if (l != null) {
                return l;
            }
            if (attempt == 20) {
                throw new IOException(
                        "cannot take lock file " + lockFile + ": it keeps being replaced");
            }
        }
    }

    /** One attempt; null if the file was replaced meanwhile (try again). */
    private static Lock tryOnce(Path lockFile, Path abs) throws IOException {
        boolean existed = Files.exists(abs);
        FileChannel ch;
        Object key;
        try {
            if (existed) {
                ch = FileChannel.open(abs, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } else {
                ch =
                        FileChannel.open(
                                abs,
                                StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.READ,
                                StandardOpenOption.WRITE);
            }
            key = fileKey(abs);
        } catch (NoSuchFileException | FileAlreadyExistsException raced) {
            return null;
        } catch (IOException e) {
            throw new IOException("cannot create lock file " + lockFile + ": " + reason(e), e);
        }
        boolean keep = false;
        try {
            FileLock fl;
            try {
                fl = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                fl = null;
            }
            String previous = read(ch);
            if (fl == null) {
                throw new RunLockedException(lockFile, describe(previous));
            }
            // The holder removes the file before it releases the lock: make sure the file we
            // locked is still the one at that path.
            if (key == null || !key.equals(fileKey(abs))) {
                fl.release();
                return null;
            }
            String line =
                    String.format(
                            Locale.ROOT,
                            "pid=%d host=%s started=%s%n",
                            ProcessHandle.current().pid(),
                            hostName(),
                            Instant.now().truncatedTo(ChronoUnit.SECONDS));
            ch.truncate(0);
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b, b.position());
            }
            ch.force(false);
            if (HELD.putIfAbsent(abs, line) != null) {
                fl.release();
                throw new RunLockedException(lockFile, describe(HELD.get(abs)) + ", in this JVM");
            }
            keep = true;
            return new Lock(
                    lockFile,
                    abs,
                    ch,
                    fl,
                    existed && !previous.isBlank() ? describe(previous) : existed ? "" : null);
        } finally {
            if (!keep) {
                ch.close();
            }
        }
    }

    private static Object fileKey(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return a.fileKey() != null ? a.fileKey() : a.creationTime();
        } catch (IOException e) {
            return null;
        }
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // keep reading
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }

    /** {@code pid=1 host=h started=t} in words: {@code pid 1 on host h, started t}. */
    static String describe(String content) {
        Matcher pid = Pattern.compile("\\bpid=(\\S+)").matcher(content);
        Matcher host = Pattern.compile("\\bhost=(\\S+)").matcher(content);
        Matcher started = Pattern.compile("\\bstarted=(\\S+)").matcher(content);
        if (!pid.find()) {
            return content.isBlank()
                    ? "a process that has not written its details yet"
                    : "unrecognized lock content '" + content.strip() + "'";
        }
        return "pid "
                + pid.group(1)
                + (host.find() ? " on host " + host.group(1) : "")
                + (started.find() ? ", started " + started.group(1) : "");
    }

    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            } catch (IOException | RuntimeException e) {
                h = null;
            }
        }
        if (h == null || h.isBlank()) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                h = "unknown";
            }
        }
        return h.replaceAll("\\s", "_");
    }

    /** An exclusive lock on an output; {@link #close()} removes the lock file and releases it. */
    public static final class Lock implements AutoCloseable {
        private final Path file;
        private final Path key;
        private final FileChannel channel;
        private final FileLock lock;
        private final String staleHolder;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Lock(Path file, Path key, FileChannel channel, FileLock lock, String staleHolder) {
            this.file = file;
            this.key = key;
            this.channel = channel;
            this.lock = lock;
            this.staleHolder = staleHolder;
        }

        /** The lock file. */
        public Path file() {
            return file;
        }

        /**
         * Null if the lock file did not exist; otherwise it was left by a process that ended
         * without removing it (a crash), described like {@code pid 1 on host h, started t} (empty
         * if it said nothing), and was reused.
         */
        public String staleHolder() {
            return staleHolder;
        }

        /** Removes the lock file and releases the lock; idempotent, never throws. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                Files.deleteIfExists(key);
            } catch (IOException e) {
                // the lock is released below anyway; the next run reuses the file
            }
            try {
                lock.release();
            } catch (IOException e) {
                // closing the channel releases it
            }
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
            HELD.remove(key);
        }

        @Override
        public String toString() {
            return "Lock[" + Objects.toString(file) + "]";
        }
    }
}
