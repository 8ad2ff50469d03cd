package dev.granary.core.upstream;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.time.Duration;
import java.util.Collection;

/**
 * What the upstreams say about themselves and their failures: URLs with their credentials redacted,
 * and upstream-supplied text made safe to hand to a client (printable, bounded, scrubbed of secrets
 * and internal addresses).
 */
final class Texts {
    /** Longest upstream reason quoted to a client. */
    static final int MAX_REASON_CHARS = 200;

    private Texts() {}

    /** The URL with the password (or a user-only token) of its userinfo replaced by {@code ***}. */
    static String redact(URI uri) {
        return uri.getRawUserInfo() == null ? uri.toString() : redact(uri.toString());
    }

    /**
     * Redacts the userinfo of a URL given as text, also when it does not parse as a URI (so a typo in
     * a configured URL cannot print the password it carries): {@code http://user:pw@h} becomes
     * {@code http://user:***@h}; a userinfo without a colon may itself be a token and becomes {@code ***}.
     */
    static String redact(String url) {
        int scheme = url.indexOf("://");
        int from = scheme < 0 ? 0 : scheme + 3;
        int end = url.length();
        for (int i = from; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        int at = url.lastIndexOf('@', end - 1);
        if (at < from) {
            return url;
        }
        String userinfo = url.substring(from, at);
        int colon = userinfo.indexOf(':');
        String shown = colon < 0 ? "***" : userinfo.substring(0, colon) + ":***";
        return url.substring(0, from) + shown + url.substring(at);
    }

    /** {@code scheme://host[:port]} of a URL, without userinfo: the form an upstream may echo back. */
    static String origin(URI uri) {
        return uri.getScheme() + "://" + hostPort(uri);
    }

    /** The authority of a URL without its userinfo. */
    static String hostPort(URI uri) {
        String auth = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        return auth.substring(auth.lastIndexOf('@') + 1);
    }

    /**
     * An upstream's error body as a one-line reason for a client: decoded as UTF-8, control and
     * invisible characters replaced, whitespace collapsed, every {@code scrub} string (secrets) replaced by
     * {@code ***}, then every {@code internal} string (addresses) by {@code <upstream>}, then cut to {@link #MAX_REASON_CHARS}.
     * Scrubbing happens before cutting, so a secret is never shown in part.
     */
    static String reason(byte[] body, Collection<String> scrub, Collection<String> internal) {
        return reason(new String(body, StandardCharsets.UTF_8), scrub, internal);
    }

    static String reason(String raw, Collection<String> scrub, Collection<String> internal) {
        String text = raw;
        for (String s : scrub) {
            if (!s.isEmpty()) {
                text = text.replace(s, "***");
            }
        }
        text = printable(text);
        // Again in printable form, in case a secret holds characters that printable() rewrites.
        for (String s : scrub) {
            String p = printable(s);
            if (!p.isEmpty()) {
                text = text.replace(p, "***");
            }
        }
        for (String s : internal) {
            if (!s.isEmpty()) {
                text = text.replace(s, "<upstream>");
            }
        }
        if (text.length() > MAX_REASON_CHARS) {
            int cut = MAX_REASON_CHARS;
            if (Character.isHighSurrogate(text.charAt(cut - 1))) {
                cut--;
            }
            text = text.substring(0, cut) + "...";
        }
        return text;
    }

    /** One line of printable text: no control, format or unassigned characters, single spaces. */
    static String printable(String raw) {
        StringBuilder b = new StringBuilder(Math.min(raw.length(), 4096));
        boolean space = false;
        for (int i = 0; i < raw.length(); ) {
            int cp = raw.codePointAt(i);
            i += Character.charCount(cp);
            boolean blank = Character.isWhitespace(cp) || Character.isSpaceChar(cp) || !visible(cp);
            if (blank) {
                space = b.length() > 0;
                continue;
            }
            if (space) {
                b.append(' ');
                space = false;
            }
            b.appendCodePoint(cp);
        }
        return b.toString();
    }

    private static boolean visible(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> false;
            default -> cp != 0xFFFD;
        };
    }

    /** An I/O failure in a few words, without the file names a {@link FileSystemException} carries. */
    static String ioReason(IOException e) {
        String m = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + printable(m));
    }

    /** {@code 5s}, {@code 1500ms}, {@code 2m}: a duration as the configuration writes it. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms >= 60_000) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
