package org.l2o4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.l2o4j.dl4j.Dl4jTaskFamilies;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code l2o} command line (run it with {@code bin/l2o}). Every subcommand is registered here,
 * in {@link #commandLine()}.
 */
@Command(
        name = "l2o",
        mixinStandardHelpOptions = true,
        versionProvider = L2o.Version.class,
        description = "Learned optimizers (Andrychowicz et al. 2016) for the JVM.",
        subcommands = {CommandLine.HelpCommand.class})
public final class L2o implements Runnable {
    @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

    /** The global flag that adds the stack trace to an error message. */
    static final String DEBUG = "--debug";

    @CommandLine.Option(
            names = DEBUG,
            scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, print the stack trace as well as the message.")
    boolean debug;

    /** Whether the DL4J adapter and ND4J are on the class path (they are, but for spark-submit). */
    static boolean dl4jPresent() {
        ClassLoader cl = L2o.class.getClassLoader();
        return cl.getResource("org/l2o4j/dl4j/Dl4jTaskFamilies.class") != null
                && cl.getResource("org/nd4j/linalg/factory/Nd4j.class") != null;
    }

    /** The command line with all subcommands. */
    public static CommandLine commandLine() {
        // task families backed by a framework: meta-train/evaluate --task dl4j-model[model=net.zip]
        // (when DL4J is on the class path: the Spark adapter's spark-submit jar leaves it out)
        if (dl4jPresent()) {
            Dl4jTaskFamilies.register();
        }
        CommandLine cl = new CommandLine(new L2o());
        // Register subcommands here (one place): meta-train, evaluate, study, demo, ...
        cl.addSubcommand("bench", new BenchCommand());
        cl.addSubcommand("meta-train", new MetaTrainCommand());
        cl.addSubcommand("evaluate", new EvaluateCommand());
        cl.addSubcommand("study", new StudyCommand());
        if (dl4jPresent()) {
            cl.addSubcommand("demo", new DemoCommand());
        }
        cl.addSubcommand("manifest", new ManifestCommand());
        // ManifestTool parses its own options (--description)
        cl.getSubcommands().get("manifest").setUnmatchedOptionsArePositionalParams(true);
        // bad input, bad files and missing prerequisites: one clear line instead of a stack
        // trace (exit 2); --debug adds the stack trace
        cl.setExecutionExceptionHandler(
                (ex, cmd, parseResult) -> {
                    String message = userError(ex);
                    if (message == null) {
                        throw ex;
                    }
                    if (debug(parseResult)) {
                        ex.printStackTrace(cmd.getErr());
                    }
                    cmd.getErr().println("l2o " + cmd.getCommandName() + ": " + message);
                    cmd.getErr().flush();
                    return 2;
                });
        return cl;
    }

    /**
     * The one-line message of an exception that reports bad input, a bad or missing file or a
     * missing prerequisite (exit status 2), or null for anything else (a bug: stack trace, exit 1).
     * An {@link UncheckedIOException} (e.g. {@link org.l2o4j.core.data.DatasetException}, or a
     * damaged shipped weight file) is reported by its cause, which names the file.
     */
    static String userError(Exception ex) {
        if (ex instanceof UncheckedIOException && ex.getCause() != null) {
            return message(ex.getCause());
        }
        if (ex instanceof IllegalArgumentException
                || ex instanceof IllegalStateException
                || ex instanceof IOException) {
            return message(ex);
        }
        return null;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.toString() : m;
    }

    private static boolean debug(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption(DEBUG)) {
                return true;
            }
        }
        return false;
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code --version}: the project version from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = L2o.class.getResourceAsStream("l2o4j-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {
                "l2o4j " + p.getProperty("version", "unknown"),
                "Java "
                        + System.getProperty("java.version")
                        + " ("
                        + System.getProperty("java.vm.name")
                        + ")"
            };
        }
    }
}
