package dev.granary.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Client tokens: how they are made and how they are kept at rest.
 *
 * <p>A token is {@value #PREFIX} and 43 characters of base64url: 256 random bits. The prefix lets
 * secret scanners recognise a leaked one. At rest only {@code sha256:<hex>} of the whole token is
 * kept. A fast hash is the right one here: what slow password hashes (bcrypt, argon2) protect are
 * guessable passwords, and a 256-bit random token cannot be guessed from its SHA-256, whatever the
 * hashing speed; a slow hash would cost every request tens of milliseconds, or call for a cache of
 * verified tokens, i.e. secrets in memory. Tokens must therefore come from {@link #generate} (or be
 * as random): a short human-chosen password hashed this way could be brute-forced from the file.
 */
public final class Tokens {
    public static final String PREFIX = "granary_";
    static final String HASH_PREFIX = "sha256:";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {}

    /** A new random token. */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** {@code sha256:<64 hex digits>} of the token's UTF-8 bytes: what the token file holds. */
    public static String hash(String token) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return HASH_PREFIX + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** True for a well-formed {@code sha256:<64 lower-case hex digits>}. */
    static boolean isHash(String s) {
        return s.length() == HASH_PREFIX.length() + 64
                && s.startsWith(HASH_PREFIX)
                && s.substring(HASH_PREFIX.length())
                        .chars()
                        .allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f');
    }
}
