package dev.granary.core.dl;

import dev.granary.core.ProxyException;

/**
 * A parsed request under {@code /dl/}, the release site's URL space (go.dev/dl): the listing
 * ({@code /dl/?mode=json}, {@code /dl/?mode=json&include=all}) or one file ({@code /dl/<filename>},
 * {@code .sha256}, {@code .asc}). What the CI setup action asks for with {@code go-download-base-url}
 * set to {@code <granary>/dl}.
 */
public sealed interface DlRequest {

    /** The listing; {@code all} with {@code include=all}. Answered as JSON whatever the mode says. */
    record Listing(boolean all) implements DlRequest {}

    /** A release file, its checksum or its signature. */
    record File(String filename, Part part) implements DlRequest {}

    /** Which of a release file's three artifacts a request names. */
    enum Part {
        ARCHIVE(""),
        SHA256(".sha256"),
        SIGNATURE(".asc");

        private final String suffix;

        Part(String suffix) {
            this.suffix = suffix;
        }

        /** The suffix after the archive's name: empty, {@code .sha256} or {@code .asc}. */
        public String suffix() {
            return suffix;
        }
    }

    /** The path prefix of the release mirror. */
    String PREFIX = "/dl";

    /** True when a request path ({@code /dl}, {@code /dl/...}) belongs to the release mirror. */
    static boolean matches(String path) {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    /**
     * Parses a request under {@code /dl}.
     *
     * @param path  the request path, still percent-encoded, without the query
     * @param query the raw query string, or null
     * @throws ProxyException NOT_FOUND (a 404 with the reason) for anything that is not the listing or a
     *                        release file name
     */
    static DlRequest parse(String path, String query) {
        if (path.equals(PREFIX) || path.equals(PREFIX + "/")) {
            return new Listing(hasParam(query, "include", "all"));
        }
        String name = path.substring(PREFIX.length() + 1);
        if (name.indexOf('/') >= 0 || name.indexOf('%') >= 0) {
            throw ProxyException.notFound("not a release file: expected /dl/<filename>[.sha256|.asc]");
        }
        Part part = Part.ARCHIVE;
        if (name.endsWith(Part.SHA256.suffix())) {
            part = Part.SHA256;
        } else if (name.endsWith(Part.SIGNATURE.suffix())) {
            part = Part.SIGNATURE;
        }
        String filename = name.substring(0, name.length() - part.suffix().length());
        if (!ReleaseListing.isValidFilename(filename)) {
            throw ProxyException.notFound("not a release file name: " + printable(name));
        }
        return new File(filename, part);
    }

    /** True when {@code query} has {@code key=value} among its {@code &}-separated parameters. */
    private static boolean hasParam(String query, String key, String value) {
        if (query == null) {
            return false;
        }
        for (String p : query.split("&")) {
            if (p.equals(key + "=" + value)) {
                return true;
            }
        }
        return false;
    }

    /** A client's name made safe to quote in a message. */
    private static String printable(String s) {
        String t = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return t.replaceAll("[^A-Za-z0-9._+-]", "?");
    }
}
