package org.l2o4j.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Renders the command that produced a result, for weight-file metadata and reports. */
final class CommandLines {
    private CommandLines() {}

    /**
     * Options whose value is a single file: outside the working directory it is recorded by its
     * file name (an input's sha256 is recorded beside the command, e.g. {@code initialized_from}).
     */
    static final Set<String> FILE_OPTIONS = Set.of("--out", "--init", "--checkpoint");

    /**
     * Flags left out of the record: {@code --resume} (a resumed run gives the weights of one
     * uninterrupted run, the checkpoint's fingerprint pins every setting, and the recorded command
     * must also run where no checkpoint exists) and {@code --debug}.
     */
    static final Set<String> LEFT_OUT = Set.of("--resume", "--overwrite", L2o.DEBUG);

    /**
     * {@code bin/l2o SUBCOMMAND ARGS...}, each argument shell-quoted where needed, so the line can
     * be pasted into a shell to rerun it, on this machine or another: absolute paths are recorded
     * relative to the working directory, and the files of {@link #FILE_OPTIONS} outside it by their
     * names. Global options before the subcommand and the flags {@link #LEFT_OUT} are left out.
     *
     * @param subcommand the subcommand's name
     * @param originalArgs picocli's original arguments, which may or may not start with it
     */
    static String render(String subcommand, List<String> originalArgs) {
        return render(subcommand, originalArgs, Path.of("").toAbsolutePath());
    }

    /** {@link #render(String, List)} with the working directory {@code cwd}. */
    static String render(String subcommand, List<String> originalArgs, Path cwd) {
        int from = 0;
        int at = originalArgs.indexOf(subcommand);
        if (at >= 0 && originalArgs.subList(0, at).stream().allMatch(a -> a.startsWith("-"))) {
            from = at + 1;
        }
        StringBuilder sb = new StringBuilder("bin/l2o ").append(subcommand);
        String option = null;
        for (String a : originalArgs.subList(from, originalArgs.size())) {
            if (LEFT_OUT.contains(a)) {
                continue;
            }
            String arg = a;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                arg =
                        a.substring(0, eq + 1)
                                + portable(a.substring(0, eq), a.substring(eq + 1), cwd);
            } else if (!a.startsWith("-")) {
                arg = portable(option, a, cwd);
            }
            option = a.startsWith("-") ? a : null;
            sb.append(' ').append(shellQuote(arg));
        }
        return sb.toString();
    }

    /** {@code value} of {@code option} (may be null), an absolute path made portable. */
    static String portable(String option, String value, Path cwd) {
        if (!value.startsWith("/")) {
            return value;
        }
        Path p;
        try {
            p = Path.of(value).normalize();
        } catch (InvalidPathException e) {
            return value;
        }
        if (p.getFileName() == null) {
            return value; // the root directory
        }
        Path base = cwd.toAbsolutePath().normalize();
        if (!p.startsWith(base) && option != null && FILE_OPTIONS.contains(option)) {
            return p.getFileName().toString();
        }
        String rel = base.relativize(p).toString();
        return rel.isEmpty() ? "." : rel;
    }

    /** Quotes an argument for a POSIX shell when it has characters the shell would interpret. */
    static String shellQuote(String a) {
        if (!a.isEmpty() && a.matches("[A-Za-z0-9_./:=,+@%-]+")) {
            return a;
        }
        return "'" + a.replace("'", "'\\''") + "'";
    }
}
