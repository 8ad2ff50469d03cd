package dev.granary.core.protocol;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.Semver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Turns a raw request path into a {@link ProxyRequest}, or refuses it with a clear reason.
 *
 * <p>Decoding is per segment: a path is split on literal {@code /} first and each segment is then
 * percent-decoded, so an encoded slash ({@code %2F}) can never introduce a new segment, and a
 * decoded {@code .}/{@code ..}, backslash or control character is refused. Go 1.19 sends {@code !}
 * as {@code %21} in proxy requests, which this decoding accepts transparently.
 */
public final class RequestParser {
    /** Longer request paths are refused before any parsing. */
    public static final int MAX_PATH_LENGTH = 2048;

    private static final Pattern SUMDB_HOST = Pattern.compile("[a-z0-9.-]+(:[0-9]+)?");
    /** A path element of a checksum database name: URL path characters that need no escaping. */
    private static final Pattern SUMDB_PATH_ELEMENT = Pattern.compile("[A-Za-z0-9._~-]+");

    private RequestParser() {
    }

    /**
     * Parses the path part of a request URI (query string allowed, ignored).
     *
     * @throws ProxyException of kind INVALID with the reason
     */
    public static ProxyRequest parse(String rawUri) {
        String raw = rawUri;
        int q = raw.indexOf('?');
        if (q >= 0) {
            raw = raw.substring(0, q);
        }
        int h = raw.indexOf('#');
        if (h >= 0) {
            raw = raw.substring(0, h);
        }
        if (raw.length() > MAX_PATH_LENGTH) {
            throw ProxyException.invalid("request path longer than " + MAX_PATH_LENGTH + " characters");
        }
        if (!raw.startsWith("/")) {
            throw ProxyException.invalid("request path must start with /");
        }
        String path = decodeSegments(raw.substring(1));

        if (path.startsWith("sumdb/")) {
            return parseSumdb(path.substring("sumdb/".length()));
        }
        if (path.endsWith("/@latest")) {
            return new ProxyRequest.Latest(module(path.substring(0, path.length() - "/@latest".length())));
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
        // A .info for a version the path cannot have (v2.0.0 of a path without /v2) is a query too: the
        // go command asks it and expects the version it resolves to (v2.0.0+incompatible), as in
        // direct mode (cmd/go/internal/modfetch/proxy.go, proxyRepo.Stat).
        if (ext.equals(".info") && (!isCanonical(version) || !fitsPath(module, version))) {
            return new ProxyRequest.Query(module, version);
        }
        if (!isCanonical(version)) {
            throw ProxyException.invalid(module.value() + "@" + version + ": version is not canonical (want a version like "
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
     * {@code <name>/<endpoint>}, where the name is {@code host[/path]} (cmd/go/internal/modfetch/sumdb.go; the
     * go command's own test database is {@code localhost.localdev/sumdb}) and the endpoint is {@code supported},
     * {@code latest}, {@code lookup/...} or {@code tile/...}. The name ends before the first segment that
     * starts an endpoint: {@code supported} or {@code latest} as the last segment, {@code lookup} or
     * {@code tile} with more after them.
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
            throw ProxyException.invalid("invalid checksum database name: " + segs[0]);
        }
        for (int i = 1; i < end; i++) {
            if (!SUMDB_PATH_ELEMENT.matcher(segs[i]).matches()) {
                throw ProxyException.invalid("invalid checksum database name: " + String.join("/", Arrays.copyOf(segs, end)));
            }
        }
        String name = String.join("/", Arrays.copyOf(segs, end));
        return new ProxyRequest.Sumdb(name, String.join("/", Arrays.copyOfRange(segs, end, segs.length)));
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
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ProxyException.invalid("path is not valid UTF-8");
        }
    }
}
