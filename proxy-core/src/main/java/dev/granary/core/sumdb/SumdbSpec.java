package dev.granary.core.sumdb;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A checksum database as GOSUMDB names it: {@code <name>+<hash>+<key> [<url>]}, or a well-known name
 * alone ({@code sum.golang.org}, {@code sum.golang.google.cn}). Without a URL the database is reached
 * through the upstream proxy's {@code /sumdb/<name>/} when the proxy supports it, else at
 * {@code https://<name>/} (go.dev/ref/mod#checksum-database).
 *
 * @param name the database name, as in {@code /sumdb/<name>/}
 * @param verifierKey the note verifier key
 * @param url the database's own base URL, when given
 */
public record SumdbSpec(String name, String verifierKey, Optional<URI> url) {

    /** sum.golang.org's verifier key. */
    public static final String SUM_GOLANG_ORG = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    /** Parses one GOSUMDB value. */
    public static SumdbSpec parse(String text) {
        String[] f = text.strip().split("\\s+");
        if (f.length == 0 || f[0].isEmpty() || f.length > 2) {
            throw new IllegalArgumentException(
                    "checksum database: expected '<name>+<hash>+<key> [<url>]', got '" + text + "'");
        }
        String key = switch (f[0]) {
            case "sum.golang.org" -> SUM_GOLANG_ORG;
            // go.dev/ref/mod#checksum-database: the Chinese mirror serves the same database.
            case "sum.golang.google.cn" -> SUM_GOLANG_ORG;
            default -> f[0];
        };
        String name = f[0].equals("sum.golang.google.cn") ? "sum.golang.google.cn" : key.split("\\+", 2)[0];
        if (!key.contains("+")) {
            throw new IllegalArgumentException(
                    "checksum database '" + f[0] + "': unknown name; give its key as <name>+<hash>+<key>");
        }
        Optional<URI> url = Optional.empty();
        if (f.length == 2) {
            URI u = URI.create(f[1].contains("://") ? f[1] : "https://" + f[1]);
            url = Optional.of(u);
        } else if (f[0].equals("sum.golang.google.cn")) {
            url = Optional.of(URI.create("https://sum.golang.google.cn"));
        }
        return new SumdbSpec(name, key, url);
    }

    /**
     * Parses a comma-separated list; {@code off} (or empty) means no checksum database.
     */
    public static List<SumdbSpec> parseList(String text) {
        List<SumdbSpec> out = new ArrayList<>();
        if (text == null || text.isBlank() || text.strip().equals("off")) {
            return out;
        }
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                out.add(parse(part));
            }
        }
        return out;
    }
}
