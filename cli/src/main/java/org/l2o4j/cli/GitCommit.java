package org.l2o4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The git commit of the code that is running, for the provenance of weight files: {@code git
 * rev-parse HEAD} in the checkout the command line's classes were built in (bin/l2o runs them from
 * {@code cli/target/classes}), with {@code -dirty} when tracked files have uncommitted changes, or
 * {@code unknown} (no git, not a checkout, a jar installed elsewhere).
 */
final class GitCommit {
    private GitCommit() {}

    private static volatile String cached;

    /** The commit (see the class comment); looked up once per JVM. */
    static String head() {
        String c = cached;
        if (c == null) {
            c = lookUp();
            cached = c;
        }
        return c;
    }

    private static String lookUp() {
        try {
            Path classes =
                    Path.of(
                            GitCommit.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            // cli/target/classes -> the repository root
            Path root = classes.getParent() != null ? classes.getParent().getParent() : null;
            root = root != null ? root.getParent() : null;
            if (root == null || !Files.exists(root.resolve(".git"))) {
                return "unknown";
            }
            String head = run(root, "git", "rev-parse", "HEAD");
            if (head == null || !head.matches("[0-9a-f]{40}")) {
                return "unknown";
            }
            String status = run(root, "git", "status", "--porcelain", "--untracked-files=no");
            return status == null || status.isEmpty() ? head : head + "-dirty";
        } catch (Exception | LinkageError e) {
            return "unknown";
        }
    }

    private static String run(Path dir, String... command)
            throws IOException, InterruptedException {
        Process p =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(false)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return null;
        }
        return p.exitValue() == 0 ? out : null;
    }
}
