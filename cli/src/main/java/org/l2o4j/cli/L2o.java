package org.l2o4j.cli;

import java.io.IOException;
import java.io.InputStream;
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

    /** The command line with all subcommands. */
    public static CommandLine commandLine() {
        // task families backed by a framework: meta-train/evaluate --task dl4j-model[model=net.zip]
        Dl4jTaskFamilies.register();
        CommandLine cl = new CommandLine(new L2o());
        // Register subcommands here (one place): meta-train, evaluate, study, demo, ...
        cl.addSubcommand("bench", new BenchCommand());
        cl.addSubcommand("meta-train", new MetaTrainCommand());
        cl.addSubcommand("evaluate", new EvaluateCommand());
        cl.addSubcommand("study", new StudyCommand());
        cl.addSubcommand("demo", new DemoCommand());
        cl.addSubcommand("manifest", new ManifestCommand());
        // ManifestTool parses its own options (--description)
        cl.getSubcommands().get("manifest").setUnmatchedOptionsArePositionalParams(true);
        // bad input and missing prerequisites: one clear line instead of a stack trace
        cl.setExecutionExceptionHandler(
                (ex, cmd, parseResult) -> {
                    if (ex instanceof IllegalArgumentException
                            || ex instanceof IllegalStateException
                            || ex instanceof IOException) {
                        cmd.getErr()
                                .println("l2o " + cmd.getCommandName() + ": " + ex.getMessage());
                        cmd.getErr().flush();
                        return 2;
                    }
                    throw ex;
                });
        return cl;
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
