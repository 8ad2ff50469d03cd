package dev.granary.server.http;

import dev.granary.core.gocache.CacheIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * {@link CacheAccess} by bearer token ({@code Authorization: Bearer <token>}). The token files hold
 * only hashes, one per line, {@code sha256:<64 hex digits>} (then, optionally, whitespace and a
 * comment; {@code #} starts a comment line), so the server never stores a token itself;
 * {@code granary gocache token} makes a token and its line. A presented token is hashed and compared
 * with every line in constant time. Files are read once, at start.
 */
public final class TokenCacheAccess implements CacheAccess {
    private static final String PREFIX = "sha256:";

    private final List<byte[]> hashes;

    private TokenCacheAccess(List<byte[]> hashes) {
        this.hashes = List.copyOf(hashes);
    }

    /**
     * Reads token hash files; a token in any of them is allowed.
     *
     * @throws IllegalArgumentException when a file cannot be read, has a line that is not a hash, or has none
     */
    public static TokenCacheAccess load(List<Path> files) {
        List<byte[]> hashes = new ArrayList<>();
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read token file " + f + ": " + e.getClass().getSimpleName());
            }
            int n = 0;
            int found = 0;
            for (String raw : lines) {
                n++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String first = line.split("\\s+", 2)[0];
                String hex = first.startsWith(PREFIX) ? first.substring(PREFIX.length()) : "";
                if (!CacheIds.isId(hex)) {
                    // The line is not echoed: it might be a token pasted where its hash belongs.
                    throw new IllegalArgumentException("token file " + f + " line " + n
                            + ": expected sha256:<64 lower-case hex digits> (granary gocache token writes such lines)");
                }
                hashes.add(HexFormat.of().parseHex(hex));
                found++;
            }
            if (found == 0) {
                throw new IllegalArgumentException("token file " + f + " holds no token hash");
            }
        }
        return new TokenCacheAccess(hashes);
    }

    /** The line a token file holds for {@code token}. */
    public static String line(String token) {
        return PREFIX + CacheIds.sha256(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean allowed(Exchange ex) {
        return allowed(ex.authorization());
    }

    boolean allowed(Optional<String> authorization) {
        if (authorization.isEmpty()) {
            return false;
        }
        String a = authorization.get().strip();
        if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = CacheIds.sha256().digest(a.substring(7).strip().getBytes(StandardCharsets.UTF_8));
        boolean ok = false;
        for (byte[] h : hashes) {
            ok |= MessageDigest.isEqual(h, presented);
        }
        return ok;
    }
}
