package org.l2o4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

class WeightManifestTest {
    @TempDir Path dir;

    private static final String ZEROS = "0".repeat(64);

    @Test
    void sha256MatchesKnownVectors() throws Exception {
        // FIPS 180-2 test vectors
        assertEquals(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                Sha256.hex("abc".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Sha256.of(new ByteArrayInputStream(new byte[0])));
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        Path f = dir.resolve("big.bin");
        Files.write(f, big);
        assertEquals(Sha256.hex(big), Sha256.of(f));
        assertTrue(Sha256.isValid(Sha256.hex(big)));
        assertFalse(Sha256.isValid("abc"));
        assertFalse(Sha256.isValid("g".repeat(64)));
    }

    private LstmWeights weights(long seed) {
        return WeightFilesTest.randomWeights(
                LstmConfig.builder().layers(1).hidden(3).build(),
                seed,
                Map.of(WeightMetadata.TASK_FAMILY, "quadratic", WeightMetadata.SEED, "" + seed));
    }

    @Test
    void describeHashesAndCopiesProvenanceAndRoundTripsThroughJson() throws Exception {
        byte[] bytes = WeightFiles.toBytes(weights(3));
        WeightManifest.Entry e =
                WeightManifest.Entry.describe("fixture-a", "a.safetensors", bytes, "test fixture");
        assertEquals(Sha256.hex(bytes), e.sha256());
        assertEquals(bytes.length, e.bytes());
        assertEquals("quadratic", e.metadata().get(WeightMetadata.TASK_FAMILY));
        assertEquals("3", e.metadata().get(WeightMetadata.HIDDEN));
        WeightManifest m =
                WeightManifest.empty()
                        .with(e)
                        .with(
                                new WeightManifest.Entry(
                                        "b", "sub/b.safetensors", ZEROS, -1, "", Map.of()));
        WeightManifest back =
                WeightManifest.parse(m.toJson().getBytes(StandardCharsets.UTF_8), "m.json");
        assertEquals(m.entries(), back.entries());
        assertEquals(List.of("fixture-a", "b"), back.ids());
        // with() replaces in place, without() removes
        WeightManifest.Entry e2 =
                new WeightManifest.Entry("fixture-a", "a2.safetensors", ZEROS, 1, "x", Map.of());
        assertEquals(List.of("fixture-a", "b"), m.with(e2).ids());
        assertEquals("a2.safetensors", m.with(e2).find("fixture-a").get().file());
        assertEquals(List.of("b"), m.without("fixture-a").ids());
        assertThrows(IllegalArgumentException.class, () -> WeightManifest.of(List.of(e, e)));
    }

    @Test
    void loadVerifiesTheHash() throws Exception {
        LstmWeights w = weights(5);
        Path f = dir.resolve("files/w.safetensors");
        WeightFiles.write(f, w);
        byte[] bytes = Files.readAllBytes(f);
        Path manifest = dir.resolve("manifest.json");
        WeightManifest.empty()
                .with(WeightManifest.Entry.describe("w", "files/w.safetensors", bytes, "d"))
                .write(manifest);
        assertArrayEquals(w.parameters(), WeightManifest.load(manifest, "w").parameters());

        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class, () -> WeightManifest.load(manifest, "x"));
        assertTrue(unknown.getMessage().contains("available: w"), unknown.getMessage());

        // the file changes after the manifest was written: the hash no longer matches
        WeightFiles.write(f, weights(6));
        String now = Sha256.of(f);
        ChecksumMismatchException e =
                assertThrows(
                        ChecksumMismatchException.class, () -> WeightManifest.load(manifest, "w"));
        assertTrue(e.getMessage().contains(Sha256.hex(bytes)), e.getMessage());
        assertTrue(e.getMessage().contains(now), e.getMessage());
        assertTrue(e.getMessage().contains("w.safetensors"), e.getMessage());
    }

    private static void malformed(String json, String fragment) {
        MalformedManifestException e =
                assertThrows(
                        MalformedManifestException.class,
                        () ->
                                WeightManifest.parse(
                                        json.getBytes(StandardCharsets.UTF_8), "m.json"));
        assertTrue(e.getMessage().startsWith("m.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    private static String entry(String id, String file, String sha) {
        return "{\"format\":\"l2o4j-weight-manifest\",\"format_version\":\"1\",\"entries\":[{\"id\":\""
                + id
                + "\",\"file\":\""
                + file
                + "\",\"sha256\":\""
                + sha
                + "\"}]}";
    }

    @Test
    void malformedManifestsNameTheProblem() throws Exception {
        assertEquals(
                List.of("ok"),
                WeightManifest.parse(
                                entry("ok", "ok.safetensors", ZEROS)
                                        .getBytes(StandardCharsets.UTF_8),
                                "m.json")
                        .ids());
        malformed("{", "does not parse");
        malformed("[]", "JSON object");
        malformed("{\"format\":\"x\"}", "l2o4j-weight-manifest");
        malformed(
                "{\"format\":\"l2o4j-weight-manifest\",\"format_version\":\"9\",\"entries\":[]}",
                "format_version 1");
        malformed("{\"format\":\"l2o4j-weight-manifest\",\"format_version\":\"1\"}", "'entries'");
        malformed(entry("ok", "../escape.safetensors", ZEROS), "'../escape.safetensors'");
        malformed(entry("ok", "/abs.safetensors", ZEROS), "relative");
        malformed(entry("ok", "ok.safetensors", "123"), "64 hex digits");
        malformed(entry("Bad Id", "ok.safetensors", ZEROS), "'Bad Id'");
        String two =
                entry("a", "a.safetensors", ZEROS)
                        .replace(
                                "}]}",
                                "},{\"id\":\"a\",\"file\":\"b\",\"sha256\":\"" + ZEROS + "\"}]}");
        malformed(two, "'a' appears twice");
        malformed(
                entry("ok", "ok.safetensors", ZEROS).replace("\"id\"", "\"idd\":1,\"id\""),
                "'idd'");
    }
}
