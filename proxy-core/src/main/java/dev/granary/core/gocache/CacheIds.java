package dev.granary.core.gocache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Build cache identifiers: action IDs and output IDs are SHA-256 sums, written as 64 lower-case hex
 * digits in file names and URLs ({@code cmd/go/internal/cache}: {@code HashSize} is 32). An output
 * ID is the SHA-256 of the output's content, which is what makes an output checkable.
 */
public final class CacheIds {
    /** Hex digits of an ID. */
    public static final int HEX_LENGTH = 64;

    private CacheIds() {}

    /** True for exactly 64 lower-case hex digits. */
    public static boolean isId(String s) {
        if (s == null || s.length() != HEX_LENGTH) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** A new SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** The SHA-256 of a stream read to its end (not closed), in hex. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[64 << 10];
        for (int n; (n = in.read(buf)) != -1; ) {
            md.update(buf, 0, n);
        }
        return hex(md.digest());
    }

    /** The SHA-256 of a file, in hex. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    public static String sha256(byte[] bytes) {
        return hex(sha256().digest(bytes));
    }
}
