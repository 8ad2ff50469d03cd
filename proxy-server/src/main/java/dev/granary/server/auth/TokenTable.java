package dev.granary.server.auth;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The configured client tokens, by hash. Parsed from lines
 * {@code <name> sha256:<hex> <right>...} (see {@link Grants} for the rights), one per line or
 * separated by {@code ;}, {@code #} starting a comment; for example
 * <pre>
 * ci          sha256:5f0c...e1  read cache-write
 * team-a      sha256:9a2b...07  read:corp.example.com/team-a,github.com/acme/*
 * prometheus  sha256:c3d4...88  metrics
 * </pre>
 * Names and hashes are unique. Immutable; a reload builds a new table.
 */
public final class TokenTable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");

    public static final TokenTable EMPTY = new TokenTable(Map.of());

    private final Map<String, ClientToken> byHash;

    private TokenTable(Map<String, ClientToken> byHash) {
        this.byHash = Map.copyOf(byHash);
    }

    /**
     * Parses token lines from several sources (the file, the environment) into one table.
     *
     * @param sources source name (for errors) to text
     * @throws IllegalArgumentException naming the source and line that is wrong (a line holds no
     *                                  secret, only a hash, so it may be quoted)
     */
    public static TokenTable parse(Map<String, String> sources) {
        Map<String, ClientToken> byHash = new HashMap<>();
        Set<String> names = new HashSet<>();
        for (Map.Entry<String, String> src : sources.entrySet()) {
            if (src.getValue() == null) {
                continue;
            }
            String[] lines = src.getValue().split("[;\n]");
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                int hash = line.indexOf('#');
                String body = (hash >= 0 ? line.substring(0, hash) : line).strip();
                if (body.isEmpty()) {
                    continue;
                }
                String where = src.getKey() + " entry " + (i + 1);
                List<String> words = Arrays.asList(body.split("\\s+"));
                if (words.size() < 3) {
                    throw new IllegalArgumentException(where + ": expected '<name> sha256:<hex> <right>...'");
                }
                String name = words.get(0);
                String h = words.get(1);
                if (!NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException(
                            where + ": token name '" + name + "' must be letters, digits and . _ @ + -");
                }
                if (!Tokens.isHash(h)) {
                    throw new IllegalArgumentException(
                            where + " (" + name + "): expected sha256: and 64 lower-case hex digits"
                                    + " (granary token hash prints it); tokens themselves never go in the configuration");
                }
                Grants grants;
                try {
                    grants = Grants.parse(words.subList(2, words.size()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + " (" + name + "): " + e.getMessage(), e);
                }
                if (!names.add(name)) {
                    throw new IllegalArgumentException(where + ": token name '" + name + "' is used twice");
                }
                if (byHash.putIfAbsent(h, new ClientToken(name, grants)) != null) {
                    throw new IllegalArgumentException(where + " (" + name + "): the same token is listed twice");
                }
            }
        }
        return new TokenTable(byHash);
    }

    /** The client a presented token belongs to, if it is one of ours. */
    public Optional<ClientToken> lookup(String token) {
        return Optional.ofNullable(byHash.get(Tokens.hash(token)));
    }

    public int size() {
        return byHash.size();
    }

    /** How many tokens carry {@code right} ({@code admin} carries every right). */
    public long holding(Right right) {
        return byHash.values().stream().filter(c -> c.grants().has(right)).count();
    }
}
