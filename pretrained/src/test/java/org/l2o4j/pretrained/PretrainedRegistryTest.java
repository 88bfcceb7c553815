package org.l2o4j.pretrained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.ChecksumMismatchException;
import org.l2o4j.core.io.Sha256;
import org.l2o4j.core.io.WeightFileException;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.io.WeightManifest;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * The registry, tested on a manifest and a weight file this test creates: {@code fixture-random-v0}
 * is random weights written at test time, a fixture for the loading code and never shipped (the
 * shipped manifest lists only meta-trained files).
 */
class PretrainedRegistryTest {
    @TempDir Path dir;

    private static final String FIXTURE_ID = "fixture-random-v0";

    private static LstmWeights fixtureWeights(long seed, boolean provenance) {
        LstmConfig c = LstmConfig.builder().layers(1).hidden(3).build();
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian() * 0.1f;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        if (provenance) {
            meta.put(WeightMetadata.TASK_FAMILY, "test-fixture (random, not trained)");
            meta.put(WeightMetadata.COMMAND, "PretrainedRegistryTest");
        }
        return new LstmWeights(c, p, meta);
    }

    /**
     * Writes the fixture and a manifest listing it under {@code root/base}; returns the manifest.
     */
    private Path writeFixture(Path root, String base) throws Exception {
        Path src = dir.resolve("trained.safetensors");
        WeightFiles.write(src, fixtureWeights(1, true));
        Path manifest = root.resolve(base).resolve("manifest.json");
        ManifestTool.add(manifest, FIXTURE_ID, src, "random weights, test fixture");
        return manifest;
    }

    @Test
    void loadsVerifiesAndCachesFromADirectory() throws Exception {
        Path manifest = writeFixture(dir.resolve("repo"), "");
        PretrainedRegistry reg = PretrainedRegistry.fromDirectory(manifest);
        assertEquals(List.of(FIXTURE_ID), reg.ids());
        LstmWeights w = reg.load(FIXTURE_ID);
        assertArrayEquals(fixtureWeights(1, true).parameters(), w.parameters());
        assertSame(w, reg.load(FIXTURE_ID), "cached");
        Path file = manifest.resolveSibling(FIXTURE_ID + ".safetensors");
        assertEquals(Sha256.of(file), reg.sha256(FIXTURE_ID));
        WeightManifest.Entry e = reg.describe(FIXTURE_ID).orElseThrow();
        assertEquals("random weights, test fixture", e.description());
        assertEquals("test-fixture (random, not trained)", e.metadata().get("task_family"));

        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> reg.load("nope"));
        assertTrue(unknown.getMessage().contains("'nope'"), unknown.getMessage());
        assertEquals(
                "unknown pretrained optimizer 'nope'; available ids: "
                        + FIXTURE_ID
                        + " (a weight file of your own is given by its path)",
                unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> reg.sha256("nope"));
    }

    /** "id or path": the one resolver behind the CLI's --optimizer. */
    @Test
    void resolveTakesAFileOrAnIdAndSaysWhichIsMissing() throws Exception {
        Path manifest = writeFixture(dir.resolve("repo"), "");
        PretrainedRegistry reg = PretrainedRegistry.fromDirectory(manifest);
        assertSame(reg.load(FIXTURE_ID), reg.resolve(FIXTURE_ID));
        Path file = dir.resolve("trained.safetensors");
        assertArrayEquals(
                fixtureWeights(1, true).parameters(), reg.resolve(file.toString()).parameters());
        String missing = dir.resolve("nope").toString();
        java.nio.file.NoSuchFileException e =
                assertThrows(java.nio.file.NoSuchFileException.class, () -> reg.resolve(missing));
        assertEquals(missing + ": no such file", e.getMessage());
        e =
                assertThrows(
                        java.nio.file.NoSuchFileException.class,
                        () -> reg.resolve("nope.safetensors"));
        assertEquals("nope.safetensors: no such file", e.getMessage());
        WeightFileException d =
                assertThrows(WeightFileException.class, () -> reg.resolve(dir.toString()));
        assertTrue(d.getMessage().contains("is a directory"), d.getMessage());
        IllegalArgumentException u =
                assertThrows(IllegalArgumentException.class, () -> reg.resolve("nope"));
        assertEquals(PretrainedRegistry.unknownIdMessage("nope", reg.ids()), u.getMessage());
    }

    @Test
    void loadsFromTheClasspath() throws Exception {
        Path root = dir.resolve("cp");
        writeFixture(root, "org/l2o4j/pretrained/test");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            PretrainedRegistry reg =
                    PretrainedRegistry.fromClasspath(
                            loader, "/org/l2o4j/pretrained/test/manifest.json");
            assertArrayEquals(
                    fixtureWeights(1, true).parameters(), reg.load(FIXTURE_ID).parameters());
            PretrainedRegistry missing =
                    PretrainedRegistry.fromClasspath(loader, "/no/such/manifest.json");
            assertThrows(UncheckedIOException.class, missing::ids);
        }
    }

    @Test
    void aFileThatNoLongerMatchesItsHashIsRejected() throws Exception {
        Path manifest = writeFixture(dir.resolve("repo"), "");
        WeightFiles.write(
                manifest.resolveSibling(FIXTURE_ID + ".safetensors"), fixtureWeights(2, true));
        PretrainedRegistry reg = PretrainedRegistry.fromDirectory(manifest);
        UncheckedIOException e =
                assertThrows(UncheckedIOException.class, () -> reg.load(FIXTURE_ID));
        ChecksumMismatchException c =
                assertInstanceOf(ChecksumMismatchException.class, e.getCause());
        assertTrue(c.getMessage().contains(reg.sha256(FIXTURE_ID)), c.getMessage());
    }

    @Test
    void shippedManifestIsValidAndEveryListedFileVerifies() {
        List<String> ids = PretrainedOptimizers.ids();
        for (String id : ids) {
            LstmWeights w = PretrainedOptimizers.load(id);
            assertTrue(w.metadata().containsKey(WeightMetadata.TASK_FAMILY), id);
            assertEquals(64, PretrainedOptimizers.sha256(id).length());
            assertTrue(PretrainedOptimizers.describe(id).isPresent());
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PretrainedOptimizers.load("no-such-optimizer"));
        assertEquals(PretrainedRegistry.unknownIdMessage("no-such-optimizer", ids), e.getMessage());
        for (String id : ids) {
            assertTrue(e.getMessage().contains(id), e.getMessage());
        }
        if (!ids.contains(PretrainedOptimizers.DEFAULT_ID)) {
            // until meta-trained weights are shipped the default id is reported as unavailable
            assertThrows(
                    IllegalArgumentException.class,
                    () -> PretrainedOptimizers.load(PretrainedOptimizers.DEFAULT_ID));
        }
    }

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc =
                ManifestTool.run(
                        args,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {
            Integer.toString(rc),
            out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8)
        };
    }

    @Test
    void manifestToolAddsListsVerifiesAndRemoves() throws Exception {
        Path manifest = dir.resolve("m/manifest.json");
        Path weights = dir.resolve("w.safetensors");
        WeightFiles.write(weights, fixtureWeights(3, true));
        String[] r =
                run(
                        manifest.toString(),
                        "add",
                        FIXTURE_ID,
                        weights.toString(),
                        "--description",
                        "d");
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.isRegularFile(manifest.resolveSibling(FIXTURE_ID + ".safetensors")));
        r = run(manifest.toString(), "list");
        assertTrue(
                r[1].contains(
                        FIXTURE_ID + "\t" + FIXTURE_ID + ".safetensors\t" + Sha256.of(weights)),
                r[1]);
        r = run(manifest.toString(), "verify");
        assertEquals("0", r[0], r[2]);
        // tamper with the shipped copy: verify reports it with both hashes
        WeightFiles.write(
                manifest.resolveSibling(FIXTURE_ID + ".safetensors"), fixtureWeights(4, true));
        r = run(manifest.toString(), "verify");
        assertEquals("1", r[0]);
        assertTrue(r[2].contains(Sha256.of(weights)), r[2]);
        // re-adding replaces the entry, and verify passes again
        assertEquals("0", run(manifest.toString(), "add", FIXTURE_ID, weights.toString())[0]);
        assertEquals("0", run(manifest.toString(), "verify")[0]);
        assertEquals(1, WeightManifest.read(manifest).entries().size());
        assertEquals("0", run(manifest.toString(), "remove", FIXTURE_ID)[0]);
        assertEquals(List.of(), WeightManifest.read(manifest).ids());
        assertEquals("2", run(manifest.toString())[0]);
        assertEquals("2", run(manifest.toString(), "frobnicate")[0]);
    }

    @Test
    void manifestToolRefusesFilesWithoutMetaTrainerProvenance() throws Exception {
        Path weights = dir.resolve("hand-made.safetensors");
        WeightFiles.write(weights, fixtureWeights(5, false));
        Path manifest = dir.resolve("m/manifest.json");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ManifestTool.add(manifest, "x-v1", weights, ""));
        assertTrue(e.getMessage().contains("task_family"), e.getMessage());
        assertTrue(!Files.exists(manifest));
    }
}
