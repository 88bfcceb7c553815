package org.l2o4j.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 hashes as lower-case hex, as recorded in weight manifests. */
public final class Sha256 {
    private Sha256() {}

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform provides SHA-256", e);
        }
    }

    /** The hash of {@code bytes}. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** The hash of everything {@code in} yields (read to its end, not closed). */
    public static String of(InputStream in) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The hash of a file's contents. */
    public static String of(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return of(in);
        }
    }

    /** Whether {@code s} is 64 hex digits (either case). */
    public static boolean isValid(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks that {@code actual} equals {@code expected} (case-insensitively).
     *
     * @param source the file the hash belongs to, for the message
     * @throws ChecksumMismatchException naming both hashes if they differ
     */
    public static void verify(String expected, String actual, String source)
            throws ChecksumMismatchException {
        if (expected == null
                || actual == null
                || !expected.toLowerCase(Locale.ROOT).equals(actual.toLowerCase(Locale.ROOT))) {
            throw new ChecksumMismatchException(
                    source,
                    "expected sha256 "
                            + expected
                            + " but the file's sha256 is "
                            + actual
                            + " (corrupted download, or the manifest is out of date)");
        }
    }
}
