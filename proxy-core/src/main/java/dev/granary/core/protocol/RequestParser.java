package dev.granary.core.protocol;

import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.Semver;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.storage.BlobKey;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns a raw request target into a {@link ProxyRequest}, or refuses it with a clear reason. Everything
 * a client can put in a path is checked here, before any storage or upstream call: besides the module
 * rules, every storage key the request can lead to must be one {@link BlobKey} accepts, so a name no
 * file system can hold is a 404 with a reason rather than a storage error.
 *
 * <p>Decoding is per segment: a path is split on literal {@code /} first and each segment is then
 * percent-decoded, so an encoded slash ({@code %2F}) can never introduce a new segment, and a
 * decoded {@code .}/{@code ..}, backslash or control character is refused. Go 1.19 sends {@code !}
 * as {@code %21} in proxy requests, which this decoding accepts transparently.
 */
public final class RequestParser {
    /** Longer request paths are refused before any parsing. */
    public static final int MAX_PATH_LENGTH = 2048;

    /**
     * Room kept in a storage key for the prefixes that version keys also appear under ({@code pins/},
     * {@code sumdb/<name>/lookup/}), so a module key that fits leaves them fitting too.
     */
    static final int KEY_PREFIX_ROOM = 128;

    /** Longest checksum database name: a host name (RFC 1035) with an optional port. */
    private static final int MAX_SUMDB_NAME = 253 + 6;

    private static final Pattern SUMDB_HOST = Pattern.compile("[a-z0-9.-]+(:[0-9]+)?");
    /** A path element of a checksum database name: URL path characters that need no escaping. */
    private static final Pattern SUMDB_PATH_ELEMENT = Pattern.compile("[A-Za-z0-9._~-]+");
    /** golang.org/x/mod/sumdb/tlog: the go command asks for tiles of height 8 (and levels are at most 63). */
    private static final int TILE_HEIGHT = 8;

    private static final int MAX_TILE_LEVEL = 63;

    private RequestParser() {}

    /**
     * The path of a request target in origin form ({@code /a/b?q}) or absolute form
     * ({@code http://host/a/b?q}, which RFC 9112 section 3.2.2 requires servers to accept), without
     * query or fragment; still percent-encoded.
     *
     * @throws ProxyException INVALID for other forms (asterisk, authority) and other schemes
     */
    public static String path(String target) {
        String t = target;
        int h = t.indexOf('#');
        if (h >= 0) {
            t = t.substring(0, h);
        }
        if (!t.startsWith("/")) {
            int colon = t.indexOf("://");
            String scheme = colon < 0 ? "" : t.substring(0, colon).toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw ProxyException.invalid("request target must be a path (/...) or an http URL");
            }
            int slash = t.indexOf('/', colon + 3);
            int query = t.indexOf('?', colon + 3);
            if (slash < 0 || (query >= 0 && query < slash)) {
                return "/";
            }
            t = t.substring(slash);
        }
        int q = t.indexOf('?');
        return q >= 0 ? t.substring(0, q) : t;
    }

    /**
     * Parses a request target (origin or absolute form; query string and fragment allowed, ignored).
     *
     * @throws ProxyException of kind INVALID or NOT_FOUND with the reason
     */
    public static ProxyRequest parse(String target) {
        String raw = path(target);
        if (raw.length() > MAX_PATH_LENGTH) {
            throw ProxyException.invalid("request path longer than " + MAX_PATH_LENGTH + " characters");
        }
        String path = decodeSegments(raw.substring(1));

        if (path.startsWith("sumdb/")) {
            return parseSumdb(path.substring("sumdb/".length()));
        }
        if (path.endsWith("/@latest")) {
            ModulePath module = module(path.substring(0, path.length() - "/@latest".length()));
            checkStorable(module, null);
            return new ProxyRequest.Latest(module);
        }
        int at = path.indexOf("/@v/");
        if (at < 0) {
            throw ProxyException.notFound("not a module proxy path: expected <module>/@v/... or <module>/@latest");
        }
        String escapedModule = path.substring(0, at);
        String file = path.substring(at + "/@v/".length());
        if (file.indexOf('/') >= 0) {
            throw ProxyException.invalid("unexpected path after /@v/: " + file);
        }
        ModulePath module = module(escapedModule);
        if (file.equals("list")) {
            checkStorable(module, null);
            return new ProxyRequest.ListVersions(module);
        }
        int dot = file.lastIndexOf('.');
        String ext = dot < 0 ? "" : file.substring(dot);
        if (!ext.equals(".info") && !ext.equals(".mod") && !ext.equals(".zip")) {
            throw ProxyException.notFound("unknown artifact " + file + ": expected list, .info, .mod or .zip");
        }
        String escapedVersion = file.substring(0, dot);
        if (escapedVersion.isEmpty()) {
            throw ProxyException.invalid("empty version");
        }
        String version = ModuleEscaping.unescapeVersion(escapedVersion);
        checkStorable(module, version);
        // A .info for a version the path cannot have (v2.0.0 of a path without /v2) is a query too: the
        // go command asks it and expects the version it resolves to (v2.0.0+incompatible), as in
        // direct mode (cmd/go/internal/modfetch/proxy.go, proxyRepo.Stat).
        if (ext.equals(".info") && (!isCanonical(version) || !fitsPath(module, version))) {
            return new ProxyRequest.Query(module, version);
        }
        if (!isCanonical(version)) {
            throw ProxyException.invalid(
                    module.value() + "@" + version + ": version is not canonical (want a version like "
                            + (Semver.isValid(version) ? Semver.canonical(version) : "v1.2.3") + ")");
        }
        ModuleVersion mv = ModuleVersion.of(module.value(), version);
        return switch (ext) {
            case ".info" -> new ProxyRequest.Info(mv);
            case ".mod" -> new ProxyRequest.GoMod(mv);
            default -> new ProxyRequest.Zip(mv);
        };
    }

    private static boolean isCanonical(String v) {
        return Semver.isValid(v) && ModuleVersion.canonicalVersion(v).equals(v);
    }

    private static boolean fitsPath(ModulePath module, String canonicalVersion) {
        try {
            module.checkMajor(canonicalVersion);
            return true;
        } catch (ProxyException e) {
            return false;
        }
    }

    private static ModulePath module(String escaped) {
        if (escaped.isEmpty()) {
            throw ProxyException.invalid("empty module path");
        }
        return ModulePath.parse(ModuleEscaping.unescapePath(escaped));
    }

    /**
     * Checks that every storage key a module request may touch is a valid {@link BlobKey}: the module's
     * {@code @v/list}, and for a version (or query) its {@code <version>.info|.mod|.zip|.sum}, its pin
     * and its checksum-database lookup record {@code <last element>@<version>}, which is also the
     * directory name the go command gives the version in its module cache.
     */
    private static void checkStorable(ModulePath module, String version) {
        String escModule = module.escaped();
        for (String elem : escModule.split("/")) {
            if (elem.length() > BlobKey.MAX_SEGMENT_LENGTH) {
                throw ProxyException.invalid(
                        "module path element longer than " + BlobKey.MAX_SEGMENT_LENGTH + " characters");
            }
        }
        String key = escModule + "/@v/list";
        if (version != null) {
            String escVersion;
            try {
                escVersion = ModuleEscaping.escapeVersion(version);
            } catch (ProxyException e) {
                throw ProxyException.invalid("invalid version: " + e.getMessage());
            }
            // ".info" is the longest of the version's file suffixes (.info, .mod, .zip, .sum).
            if (escVersion.length() + ".info".length() > BlobKey.MAX_SEGMENT_LENGTH) {
                throw ProxyException.invalid(
                        "version longer than " + (BlobKey.MAX_SEGMENT_LENGTH - ".info".length()) + " characters");
            }
            String last = escModule.substring(escModule.lastIndexOf('/') + 1);
            if (last.length() + 1 + escVersion.length() > BlobKey.MAX_SEGMENT_LENGTH) {
                throw ProxyException.invalid("<last path element>@<version> longer than " + BlobKey.MAX_SEGMENT_LENGTH
                        + " characters: no module cache can hold it");
            }
            key = escModule + "/@v/" + escVersion + ".info";
        }
        if (key.length() > BlobKey.MAX_LENGTH - KEY_PREFIX_ROOM) {
            throw ProxyException.invalid("module path too long: its storage keys would exceed "
                    + (BlobKey.MAX_LENGTH - KEY_PREFIX_ROOM) + " characters");
        }
        if (!BlobKey.isValid(key)) {
            throw ProxyException.invalid("module path or version cannot be stored");
        }
    }

    /**
     * {@code sumdb/<name>/supported|latest|lookup/<module>@<version>|tile/...}, the endpoints of
     * golang.org/x/mod/sumdb (the server's ServeHTTP), each validated as the go command sends it. The
     * name is {@code host[/path]} (cmd/go/internal/modfetch/sumdb.go; the go command's own test database
     * is {@code localhost.localdev/sumdb}); it ends before the first segment that starts an endpoint:
     * {@code supported} or {@code latest} as the last segment, {@code lookup} or {@code tile} with more
     * after them.
     */
    private static ProxyRequest parseSumdb(String rest) {
        String[] segs = rest.split("/", -1);
        int end = -1;
        for (int i = 1; i < segs.length && end < 0; i++) {
            boolean last = i == segs.length - 1;
            if (last && (segs[i].equals("supported") || segs[i].equals("latest"))
                    || !last && (segs[i].equals("lookup") || segs[i].equals("tile"))) {
                end = i;
            }
        }
        if (end < 0) {
            throw ProxyException.notFound("checksum database path must be sumdb/<name>/<endpoint> "
                    + "(supported, latest, lookup/..., tile/...)");
        }
        if (!SUMDB_HOST.matcher(segs[0]).matches()) {
            throw ProxyException.invalid("invalid checksum database name");
        }
        for (int i = 1; i < end; i++) {
            if (!SUMDB_PATH_ELEMENT.matcher(segs[i]).matches()) {
                throw ProxyException.invalid("invalid checksum database name");
            }
        }
        String name = String.join("/", Arrays.copyOf(segs, end));
        if (name.length() > MAX_SUMDB_NAME) {
            throw ProxyException.invalid("checksum database name too long");
        }
        String endpoint = String.join("/", Arrays.copyOfRange(segs, end, segs.length));
        if (endpoint.equals("supported") || endpoint.equals("latest")) {
            return new ProxyRequest.Sumdb(name, endpoint);
        }
        if (endpoint.startsWith("lookup/")) {
            String record = endpoint.substring("lookup/".length());
            int at = record.lastIndexOf('@');
            if (at <= 0 || at == record.length() - 1) {
                throw ProxyException.invalid("checksum database lookup must be lookup/<module>@<version>");
            }
            // The go command looks up what it records in go.sum: valid module paths at canonical versions.
            ModuleVersion mv = ModuleVersion.of(
                    ModuleEscaping.unescapePath(record.substring(0, at)),
                    ModuleEscaping.unescapeVersion(record.substring(at + 1)));
            checkStorable(mv.path(), mv.version());
            try {
                StorageLayout.sumdbLookup(name, mv);
            } catch (IllegalArgumentException e) {
                throw ProxyException.invalid("checksum database lookup path cannot be stored");
            }
            return new ProxyRequest.Sumdb(name, endpoint);
        }
        Tile t;
        try {
            t = Tile.parseTilePath(endpoint);
        } catch (TlogException | RuntimeException e) {
            throw ProxyException.invalid("malformed checksum database tile path");
        }
        if (t.h() != TILE_HEIGHT || t.l() > MAX_TILE_LEVEL) {
            throw ProxyException.invalid("only tiles of height " + TILE_HEIGHT + " are proxied");
        }
        return new ProxyRequest.Sumdb(name, endpoint);
    }

    /** Splits on '/', percent-decodes each segment and refuses dangerous results. */
    static String decodeSegments(String raw) {
        StringBuilder out = new StringBuilder(raw.length());
        int start = 0;
        for (int i = 0; i <= raw.length(); i++) {
            if (i < raw.length() && raw.charAt(i) != '/') {
                continue;
            }
            String seg = percentDecode(raw.substring(start, i));
            if (seg.isEmpty()) {
                throw ProxyException.invalid("empty path segment");
            }
            if (seg.equals(".") || seg.equals("..")) {
                throw ProxyException.invalid("dot segment in path");
            }
            for (int k = 0; k < seg.length(); k++) {
                char c = seg.charAt(k);
                if (c == '/' || c == '\\') {
                    throw ProxyException.invalid("encoded slash or backslash in path");
                }
                if (c < 0x20 || c == 0x7f) {
                    throw ProxyException.invalid("control character in path");
                }
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(seg);
            start = i + 1;
        }
        return out.toString();
    }

    private static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw ProxyException.invalid("malformed percent-encoding in path");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw ProxyException.invalid("malformed percent-encoding in path");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                throw ProxyException.invalid("non-ASCII character in path (percent-encode it)");
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ProxyException.invalid("path is not valid UTF-8");
        }
    }
}
