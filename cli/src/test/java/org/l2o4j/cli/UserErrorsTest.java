package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.l2o4j.pretrained.PretrainedRegistry;
import picocli.CommandLine;

/**
 * What a user who makes mistakes meets on the command line (bad data files, damaged weights, typos
 * in specs and paths): one line {@code l2o SUBCOMMAND: MESSAGE} and exit status 2, never a stack
 * trace unless {@code --debug} asks for it.
 */
class UserErrorsTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static Result l2o(String... args) {
        return run(L2o.commandLine(), args);
    }

    /** One line, exit 2, starting with {@code l2o SUBCOMMAND: }; returns the message. */
    static String oneLineError(Result r, String subcommand) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("l2o " + subcommand + ": "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        return r.err().strip().substring(("l2o " + subcommand + ": ").length());
    }

    private static byte[] idx(int magic, int[] dims, int bodyLength) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(new byte[bodyLength]);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    /** A data directory with train and test files of 3 images; {@code how} spoils one file. */
    private Path dataDir(String how) throws IOException {
        Path d = Files.createDirectories(dir.resolve(how));
        byte[] images = idx(0x803, new int[] {3, 28, 28}, 3 * 784);
        byte[] labels = idx(0x801, new int[] {3}, 3);
        for (String split : new String[] {"train", "t10k"}) {
            Path im = d.resolve(split + "-images-idx3-ubyte");
            Path lab = d.resolve(split + "-labels-idx1-ubyte");
            switch (how) {
                case "garbage" -> {
                    Files.writeString(im, "this is not an IDX file");
                    Files.write(lab, labels);
                }
                case "truncated" -> {
                    Files.write(im, Arrays.copyOf(images, 1000));
                    Files.write(lab, labels);
                }
                case "count-mismatch" -> {
                    Files.write(im, images);
                    Files.write(lab, idx(0x801, new int[] {2}, 2));
                }
                case "non-gzip" -> {
                    Files.writeString(im.resolveSibling(im.getFileName() + ".gz"), "plain text");
                    Files.write(lab.resolveSibling(lab.getFileName() + ".gz"), gzip(labels));
                }
                default -> throw new IllegalArgumentException(how);
            }
        }
        return d;
    }

    @Test
    void badDataDirectoryContentsAreOneLineErrorsWithExitStatus2() throws Exception {
        String[][] cases = {
            {"garbage", "bad magic number"},
            {"truncated", "truncated"},
            {"count-mismatch", "3 images but 2 labels"},
            {"non-gzip", "named .gz but not gzip-compressed"},
        };
        for (String[] c : cases) {
            Path d = dataDir(c[0]);
            String msg =
                    oneLineError(
                            l2o(
                                    "evaluate",
                                    "--task",
                                    "mnist-mlp",
                                    "--data-dir",
                                    d.toString(),
                                    "--baselines",
                                    "sgd"),
                            "evaluate");
            assertTrue(msg.startsWith(d.toString()), msg); // names the file
            assertTrue(msg.contains(c[1]), c[0] + ": " + msg);
        }
        String msg =
                oneLineError(
                        l2o(
                                "meta-train",
                                "--task",
                                "mnist-mlp",
                                "--data-dir",
                                dataDir("non-gzip").toString(),
                                "--out",
                                dir.resolve("w.safetensors").toString()),
                        "meta-train");
        assertTrue(msg.contains("train-images-idx3-ubyte.gz"), msg);
    }

    @Test
    void debugAddsTheStackTrace() throws Exception {
        Path d = dataDir("garbage");
        for (String[] args :
                new String[][] {
                    {"--debug", "evaluate", "--task", "mnist-mlp", "--data-dir", d.toString()},
                    {"evaluate", "--debug", "--task", "mnist-mlp", "--data-dir", d.toString()}
                }) {
            Result r = l2o(args);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("DatasetException"), r.err());
            assertTrue(r.err().contains("\tat org.l2o4j.core.data."), r.err());
            assertTrue(
                    r.err()
                            .strip()
                            .lines()
                            .reduce((a, b) -> b)
                            .orElseThrow()
                            .startsWith("l2o evaluate: " + d),
                    r.err());
        }
    }

    /** The shipped files, copied and one byte flipped: what a damaged installation throws. */
    @Test
    void damagedShippedWeightFileIsAOneLineError() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("shipped"));
        String base = PretrainedOptimizers.MANIFEST_RESOURCE.replace("manifest.json", "");
        for (String f : new String[] {"manifest.json", "general-v1.safetensors"}) {
            try (InputStream in = getClass().getResourceAsStream(base + f)) {
                Files.write(repo.resolve(f), in.readAllBytes());
            }
        }
        Path file = repo.resolve("general-v1.safetensors");
        byte[] b = Files.readAllBytes(file);
        b[b.length - 5] ^= 1;
        Files.write(file, b);
        PretrainedRegistry damaged =
                PretrainedRegistry.fromDirectory(repo.resolve("manifest.json"));
        CommandLine cl = L2o.commandLine();
        cl.addSubcommand("load", new Load(damaged));
        String msg = oneLineError(run(cl, "load"), "load");
        assertTrue(msg.startsWith(file.toString() + ": "), msg);
        assertTrue(msg.contains("sha256"), msg);
    }

    /** A subcommand that loads general-v1 from a registry. */
    @CommandLine.Command(name = "load")
    static final class Load implements Callable<Integer> {
        private final PretrainedRegistry registry;

        Load(PretrainedRegistry registry) {
            this.registry = registry;
        }

        @Override
        public Integer call() {
            registry.load("general-v1");
            return 0;
        }
    }

    @Test
    void unbalancedTaskSpecIsNamed() {
        assertEquals(
                "task spec 'mnist-mlp[hidden=40' has an unbalanced '[': expected NAME or"
                        + " NAME[key=value,...]",
                oneLineError(
                        l2o("evaluate", "--task", "mnist-mlp[hidden=40", "--baselines", "sgd"),
                        "evaluate"));
        // meta-train reports its option errors itself, as "meta-train: ..."
        Result r =
                l2o(
                        "meta-train",
                        "--task",
                        "mnist-mlp[hidden=40",
                        "--out",
                        dir.resolve("w.safetensors").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("has an unbalanced '['"), r.err());
    }

    @Test
    void badWeightingStepsAndNormalizationCombinationsAreNamed() {
        String err = refusedQuadraticMetaTrain("--weighting", "steps:100,x");
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("steps:100,3000") && err.contains("'x'"), err);
        err =
                refusedQuadraticMetaTrain(
                        "--horizon", "20", "--weighting", "steps:50", "--iterations", "1");
        assertTrue(err.contains("horizon 20"), err);
        err = refusedQuadraticMetaTrain("--normalize-meta-gradient", "--clip", "Infinity");
        assertTrue(err.contains("finite"), err);
        err = refusedQuadraticMetaTrain("--validation-weighting", "last");
        assertTrue(err.contains("'last'") && err.contains("linear"), err);
        err = refusedQuadraticMetaTrain("--validation-weighting", "final", "--per-group");
        assertTrue(err.contains("--per-group"), err);
    }

    @Test
    void badEstimatorSettingsAreNamed() {
        String err = refusedQuadraticMetaTrain("--estimator", "reinforce");
        assertTrue(err.contains("bptt or pes but was 'reinforce'"), err);
        err = refusedQuadraticMetaTrain("--pes-pairs", "4");
        assertTrue(err.contains("--pes-pairs needs --estimator pes"), err);
        err = refusedQuadraticMetaTrain("--estimator", "pes", "--pes-pairs", "0");
        assertTrue(err.contains("pairs must be >= 1 but was 0"), err);
        err = refusedQuadraticMetaTrain("--estimator", "pes", "--pes-sigma", "-0.1");
        assertTrue(err.contains("sigma must be finite and > 0 but was -0.1"), err);
        err = refusedQuadraticMetaTrain("--estimator", "pes", "--subsample", "64");
        assertTrue(err.contains("coordinate subsample") && err.contains("64"), err);
        err = refusedQuadraticMetaTrain("--estimator", "pes", "--per-group");
        assertTrue(err.contains("--per-group"), err);
    }

    /**
     * {@code meta-train --task quadratic OPTIONS --out FILE}, which must be refused as a usage
     * error (exit code 2); returns its stderr.
     */
    private String refusedQuadraticMetaTrain(String... options) {
        List<String> args = new ArrayList<>(List.of("meta-train", "--task", "quadratic"));
        args.addAll(List.of(options));
        args.addAll(List.of("--out", dir.resolve("w.safetensors").toString()));
        Result r = l2o(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        return r.err();
    }

    @Test
    void optimizerReferencesSayWhatIsWrong() throws Exception {
        assertEquals(
                "/missing/file: no such file",
                oneLineError(
                        l2o("evaluate", "--task", "quadratic", "--optimizer", "/missing/file"),
                        "evaluate"));
        assertEquals(
                "general-v2.safetensors: no such file",
                oneLineError(
                        l2o(
                                "evaluate",
                                "--task",
                                "quadratic",
                                "--optimizer",
                                "general-v2.safetensors"),
                        "evaluate"));
        assertEquals(
                dir + ": is a directory, not a weight file (.safetensors)",
                oneLineError(
                        l2o("evaluate", "--task", "quadratic", "--optimizer", dir.toString()),
                        "evaluate"));
        // an unknown id: the registry's one message, as in the DL4J and DJL adapters
        assertEquals(
                PretrainedRegistry.unknownIdMessage("general-v9", PretrainedOptimizers.ids()),
                oneLineError(
                        l2o("evaluate", "--task", "quadratic", "--optimizer", "general-v9"),
                        "evaluate"));
    }
}
