package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.pretrained.PretrainedOptimizers;
import picocli.CommandLine;

/** The recorded command runs on another machine: no absolute paths, the subcommand once. */
class CommandLinesTest {
    @TempDir Path dir;

    private static final Path CWD = Path.of("/home/someone/l2o4j");

    @Test
    void subcommandOnceAndGlobalOptionsLeftOut() {
        String want = "bin/l2o meta-train --task quadratic --seed 2";
        List<String> args = List.of("--task", "quadratic", "--seed", "2");
        assertEquals(want, CommandLines.render("meta-train", args, CWD));
        List<String> withName = List.of("meta-train", "--task", "quadratic", "--seed", "2");
        assertEquals(want, CommandLines.render("meta-train", withName, CWD));
        List<String> withDebug =
                List.of("--debug", "meta-train", "--task", "quadratic", "--seed", "2");
        assertEquals(want, CommandLines.render("meta-train", withDebug, CWD));
        // a resumed run records the command that makes the same weights from scratch
        List<String> resumed = List.of("--task", "quadratic", "--resume", "--seed", "2");
        assertEquals(want, CommandLines.render("meta-train", resumed, CWD));
    }

    @Test
    void absolutePathsAreRecordedRelativeToTheWorkingDirectoryOrByFileName() {
        assertEquals(
                "bin/l2o meta-train --task mnist-mlp --data-dir data/mnist --out general-v1.safetensors"
                        + " --init=B.safetensors --checkpoint runs/c.ckpt --seed 2",
                CommandLines.render(
                        "meta-train",
                        List.of(
                                "--task",
                                "mnist-mlp",
                                "--data-dir",
                                CWD + "/data/mnist",
                                "--out",
                                "/work/pt/general-v1.safetensors",
                                "--init=/work/pt2/B.safetensors",
                                "--checkpoint",
                                CWD + "/runs/c.ckpt",
                                "--seed",
                                "2"),
                        CWD));
        // a directory outside the working directory: relative to it
        assertEquals(
                "bin/l2o evaluate --data-dir ../../../data --out report",
                CommandLines.render(
                        "evaluate", List.of("--data-dir", "/data", "--out", "report"), CWD));
        // relative paths and other values are kept as given
        assertEquals(
                "bin/l2o meta-train --out w.safetensors --lr 3e-4",
                CommandLines.render(
                        "meta-train", List.of("--out", "w.safetensors", "--lr", "3e-4"), CWD));
    }

    /**
     * POSIX shell words of a line that quotes with single quotes only (as {@link CommandLines}).
     */
    static List<String> shellWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any) {
                    words.add(w.toString());
                }
                w.setLength(0);
                any = false;
            } else {
                w.append(c);
                any = true;
            }
        }
        if (any) {
            words.add(w.toString());
        }
        return words;
    }

    /** The shipped files' commands are accepted by today's command line, as recorded. */
    @Test
    void shippedCommandsParse() {
        for (String id : PretrainedOptimizers.ids()) {
            String command = PretrainedOptimizers.load(id).metadata().get(WeightMetadata.COMMAND);
            List<String> words = shellWords(command);
            assertEquals("bin/l2o", words.get(0), command);
            String[] args = words.subList(1, words.size()).toArray(new String[0]);
            CommandLine.ParseResult r = L2o.commandLine().parseArgs(args);
            CommandLine.ParseResult sub = r.subcommand();
            assertEquals("meta-train", sub.commandSpec().name(), command);
            assertTrue(sub.hasMatchedOption("--task"), command);
            assertTrue(sub.hasMatchedOption("--out"), command);
            // and rendering what was parsed gives the recorded command back
            assertEquals(command, CommandLines.render("meta-train", List.of(args)), id);
        }
    }

    /** End to end: what meta-train writes into a weight file. */
    @Test
    void metaTrainRecordsARunnableCommand() throws Exception {
        Path out = dir.resolve("tiny.safetensors").toAbsolutePath();
        StringWriter err = new StringWriter();
        CommandLine cl = L2o.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code =
                cl.execute(
                        "--debug",
                        "meta-train",
                        "--task",
                        "quadratic",
                        "--lstm-hidden",
                        "4",
                        "--iterations",
                        "2",
                        "--horizon",
                        "10",
                        "--unroll",
                        "5",
                        "--validation-tasks",
                        "2",
                        "--threads",
                        "1",
                        "--quiet",
                        "--out",
                        out.toString());
        assertEquals(0, code, err.toString());
        String command = WeightFiles.read(out).metadata().get(WeightMetadata.COMMAND);
        assertTrue(command.startsWith("bin/l2o meta-train --task quadratic "), command);
        assertFalse(command.contains("meta-train meta-train"), command);
        assertFalse(command.contains("--debug"), command);
        assertFalse(command.contains(out.toString()), command);
        assertTrue(
                command.endsWith(
                        " --out "
                                + CommandLines.portable(
                                        "--out", out.toString(), Path.of("").toAbsolutePath())),
                command);
        assertFalse(command.contains(" /"), command);
    }
}
