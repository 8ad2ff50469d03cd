package dev.granary.core.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** Strong entity tags derived from content, identical on every replica for the same bytes. */
public final class Etags {
    private Etags() {}

    public static String of(byte[] content) {
        return quoted(sha256(content));
    }

    /** An h1 hash as an ETag: the h1 identifies the artifact's content across replicas. */
    public static String ofH1(String h1) {
        return quoted(h1.startsWith("h1:") ? h1.substring(3) : h1);
    }

    /** A SHA-256 given as hex (a release archive's published checksum) as an ETag. */
    public static String ofSha256Hex(String hex) {
        return quoted(HexFormat.of().parseHex(hex));
    }

    private static String quoted(byte[] digest) {
        return quoted(
                Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 27));
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\"", "") + "\"";
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
