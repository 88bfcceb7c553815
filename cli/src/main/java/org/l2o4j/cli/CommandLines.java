package org.l2o4j.cli;

import java.util.List;

/** Renders the command that produced a result, for weight-file metadata and reports. */
final class CommandLines {
    private CommandLines() {}

    /**
     * {@code bin/l2o SUBCOMMAND ARGS...}, each argument shell-quoted where needed, so the line can
     * be pasted into a shell to rerun it.
     *
     * @param subcommand the subcommand's name
     * @param originalArgs picocli's original arguments, which may or may not start with it
     */
    static String render(String subcommand, List<String> originalArgs) {
        int from = !originalArgs.isEmpty() && originalArgs.get(0).equals(subcommand) ? 1 : 0;
        StringBuilder sb = new StringBuilder("bin/l2o ").append(subcommand);
        for (String a : originalArgs.subList(from, originalArgs.size())) {
            sb.append(' ').append(shellQuote(a));
        }
        return sb.toString();
    }

    /** Quotes an argument for a POSIX shell when it has characters the shell would interpret. */
    static String shellQuote(String a) {
        if (!a.isEmpty() && a.matches("[A-Za-z0-9_./:=,+@%-]+")) {
            return a;
        }
        return "'" + a.replace("'", "'\\''") + "'";
    }
}
