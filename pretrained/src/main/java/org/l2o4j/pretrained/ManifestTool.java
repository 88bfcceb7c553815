package org.l2o4j.pretrained;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.l2o4j.core.io.WeightFileException;
import org.l2o4j.core.io.WeightManifest;
import org.l2o4j.core.io.WeightMetadata;

/**
 * Maintains a weight manifest: adds or replaces an entry for a meta-trained weight file (copying it
 * beside the manifest and recording its SHA-256 and provenance), removes entries, lists them and
 * verifies every listed file against its hash.
 *
 * <pre>
 * ManifestTool MANIFEST list
 * ManifestTool MANIFEST add ID WEIGHTS.safetensors [--description TEXT]
 * ManifestTool MANIFEST remove ID
 * ManifestTool MANIFEST verify
 * </pre>
 *
 * <p>{@code add} refuses files without the meta-trainer's provenance ({@value
 * WeightMetadata#TASK_FAMILY} and {@value WeightMetadata#COMMAND}): shipped weights come from
 * l2o4j's own meta-trainer, never from elsewhere.
 */
public final class ManifestTool {
    private ManifestTool() {}

    /** Provenance keys a file must have to be added. */
    public static final List<String> REQUIRED_PROVENANCE =
            List.of(WeightMetadata.TASK_FAMILY, WeightMetadata.COMMAND);

    /**
     * Adds (or replaces) the entry {@code id}: validates {@code weights}, copies it to {@code
     * <id>.safetensors} beside the manifest unless it is already there, and writes the manifest
     * (created if missing) atomically.
     *
     * @return the new entry
     * @throws WeightFileException if {@code weights} is not a valid weight file
     * @throws IllegalArgumentException if the id is invalid or the file lacks provenance
     */
    public static WeightManifest.Entry add(
            Path manifestFile, String id, Path weights, String description) throws IOException {
        byte[] bytes = Files.readAllBytes(weights);
        String fileName = id + ".safetensors";
        WeightManifest.Entry entry =
                WeightManifest.Entry.describe(id, fileName, bytes, description);
        List<String> missing = new ArrayList<>();
        for (String k : REQUIRED_PROVENANCE) {
            if (!entry.metadata().containsKey(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    weights
                            + " lacks the meta-trainer's provenance metadata "
                            + missing
                            + "; only files written by `l2o meta-train` can be shipped");
        }
        WeightManifest m =
                Files.exists(manifestFile)
                        ? WeightManifest.read(manifestFile)
                        : WeightManifest.empty();
        Path dir = manifestFile.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path target = dir.resolve(fileName);
        if (!Files.exists(target) || !Files.isSameFile(target, weights)) {
            Path tmp = Files.createTempFile(dir, "." + fileName + ".", ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        m.with(entry).write(manifestFile);
        return entry;
    }

    /** Removes the entry {@code id} (its file is left alone); returns whether it existed. */
    public static boolean remove(Path manifestFile, String id) throws IOException {
        WeightManifest m = WeightManifest.read(manifestFile);
        if (m.find(id).isEmpty()) {
            return false;
        }
        m.without(id).write(manifestFile);
        return true;
    }

    /**
     * Loads every listed file through its hash check.
     *
     * @return one line per problem (empty if all files verify)
     */
    public static List<String> verify(Path manifestFile) throws IOException {
        List<String> problems = new ArrayList<>();
        for (String id : WeightManifest.read(manifestFile).ids()) {
            try {
                WeightManifest.load(manifestFile, id);
            } catch (IOException e) {
                problems.add(id + ": " + e.getMessage());
            }
        }
        return problems;
    }

    /** Command-line entry point; see the class comment. Exit status 0 ok, 1 failure, 2 usage. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command, printing to {@code out}/{@code err}; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            err.println(
                    "usage: ManifestTool MANIFEST (list | add ID WEIGHTS [--description TEXT]"
                            + " | remove ID | verify)");
            return 2;
        }
        Path manifest = Path.of(args[0]);
        List<String> rest = Arrays.asList(args).subList(2, args.length);
        try {
            switch (args[1]) {
                case "list":
                    for (WeightManifest.Entry e : WeightManifest.read(manifest).entries()) {
                        out.println(
                                e.id()
                                        + "\t"
                                        + e.file()
                                        + "\t"
                                        + e.sha256()
                                        + "\t"
                                        + e.description());
                    }
                    return 0;
                case "add":
                    if (rest.size() != 2
                            && !(rest.size() == 4 && rest.get(2).equals("--description"))) {
                        err.println(
                                "usage: ManifestTool MANIFEST add ID WEIGHTS [--description TEXT]");
                        return 2;
                    }
                    WeightManifest.Entry e =
                            add(
                                    manifest,
                                    rest.get(0),
                                    Path.of(rest.get(1)),
                                    rest.size() == 4 ? rest.get(3) : "");
                    out.println("added " + e);
                    return 0;
                case "remove":
                    if (rest.size() != 1) {
                        err.println("usage: ManifestTool MANIFEST remove ID");
                        return 2;
                    }
                    boolean removed = remove(manifest, rest.get(0));
                    out.println(removed ? "removed " + rest.get(0) : "no entry " + rest.get(0));
                    return removed ? 0 : 1;
                case "verify":
                    List<String> problems = verify(manifest);
                    problems.forEach(err::println);
                    out.println(
                            problems.isEmpty()
                                    ? "all files verify"
                                    : problems.size() + " problem(s)");
                    return problems.isEmpty() ? 0 : 1;
                default:
                    err.println(
                            "unknown command '"
                                    + args[1]
                                    + "': expected list, add, remove or verify");
                    return 2;
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
