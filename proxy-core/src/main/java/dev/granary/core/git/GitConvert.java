package dev.granary.core.git;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.jgit.attributes.Attribute;
import org.eclipse.jgit.attributes.Attributes;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The content conversions {@code git archive} applies to a blob on its way out (git's convert.c,
 * convert_to_working_tree) under the settings the go command runs it with ({@code core.autocrlf=input},
 * {@code core.eol=lf}): {@code ident} expansion and LF to CRLF for paths whose attributes ask for CRLF
 * ({@code eol=crlf}, {@code text eol=crlf}, {@code text=auto eol=crlf}). Every other path is left as stored.
 *
 * <p>{@code export-subst} and {@code export-ignore} are not honoured, on purpose: the go command writes
 * {@code * -export-subst -export-ignore} into its clone's {@code info/attributes} before archiving
 * (codehost/git.go ensureGitAttributes, golang.org/issue/27153), so the zip it hashes into go.sum ignores them.
 */
final class GitConvert {

    /** git's crlf_action after convert_attrs, reduced to what matters when output eol is LF by default. */
    private enum Crlf {
        NONE,
        TEXT_CRLF,
        AUTO_CRLF
    }

    private final Crlf crlf;
    private final boolean ident;

    private GitConvert(Crlf crlf, boolean ident) {
        this.crlf = crlf;
        this.ident = ident;
    }

    /** The conversion for a path with these attributes. */
    static GitConvert of(Attributes attrs) {
        // convert.c convert_attrs: "text" first, then the legacy "crlf" attribute.
        String action = textAction(attrs, "text");
        if (action == null) {
            action = textAction(attrs, "crlf");
        }
        Crlf crlf = Crlf.NONE;
        if (!"binary".equals(action)) {
            String eol = attrs.getValue("eol");
            if ("crlf".equals(eol) && attrs.getState("eol") == Attribute.State.CUSTOM) {
                // text=auto eol=crlf -> CRLF_AUTO_CRLF; any other non-binary action with eol=crlf -> CRLF_TEXT_CRLF.
                crlf = "auto".equals(action) ? Crlf.AUTO_CRLF : Crlf.TEXT_CRLF;
            }
        }
        return new GitConvert(crlf, attrs.isSet("ident"));
    }

    /** "text", "binary", "auto", "input" or null (unspecified), as git_path_check_crlf reads it. */
    private static String textAction(Attributes attrs, String name) {
        return switch (attrs.getState(name)) {
            case SET -> "text";
            case UNSET -> "binary";
            case CUSTOM ->
                switch (attrs.getValue(name)) {
                    case "input" -> "input";
                    case "auto" -> "auto";
                    default -> null;
                };
            default -> null;
        };
    }

    /** True when the content may change: the caller must load it and call {@link #apply}. */
    boolean changesContent() {
        return crlf != Crlf.NONE || ident;
    }

    /** Applies ident then eol conversion, as convert_to_working_tree does. */
    byte[] apply(byte[] content, ObjectId blob) {
        byte[] out = ident ? identToWorktree(content, blob) : content;
        if (crlf != Crlf.NONE && willConvertLfToCrlf(out)) {
            out = lfToCrlf(out);
        }
        return out;
    }

    private boolean willConvertLfToCrlf(byte[] buf) {
        Stats s = Stats.of(buf);
        if (s.lonelf == 0) {
            return false;
        }
        if (crlf == Crlf.AUTO_CRLF) {
            // "If we have any CR or CRLF line endings, we do not touch it", nor binary content.
            return s.lonecr == 0 && s.crlf == 0 && !s.isBinary();
        }
        return true;
    }

    private static byte[] lfToCrlf(byte[] buf) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(buf.length + buf.length / 16 + 16);
        for (int i = 0; i < buf.length; i++) {
            if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(buf[i]);
        }
        return out.toByteArray();
    }

    /** convert.c ident_to_worktree: {@code $Id$} and {@code $Id: ...$} become {@code $Id: <blob> $}. */
    private static byte[] identToWorktree(byte[] buf, ObjectId blob) {
        byte[] expansion = ("$Id: " + blob.name() + " $").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(buf.length + 64);
        int i = 0;
        while (i < buf.length) {
            int dollar = indexOf(buf, (byte) '$', i, buf.length);
            if (dollar < 0 || buf.length - dollar < 3) {
                break;
            }
            out.write(buf, i, dollar - i);
            if (!(buf[dollar + 1] == 'I' && buf[dollar + 2] == 'd')) {
                out.write('$');
                i = dollar + 1;
                continue;
            }
            int after = dollar + 3;
            if (after < buf.length && buf[after] == '$') {
                out.writeBytes(expansion);
                i = after + 1;
            } else if (after < buf.length && buf[after] == ':') {
                int end = indexOf(buf, (byte) '$', after + 1, buf.length);
                if (end < 0 || indexOf(buf, (byte) '\n', after + 1, end) >= 0) {
                    out.write(buf, dollar, after - dollar);
                    i = after;
                    continue;
                }
                // An id with spaces inside comes from another version control system: keep it.
                int space = indexOf(buf, (byte) ' ', after + 2, end);
                if (space >= 0 && space < end - 1) {
                    out.write(buf, dollar, after - dollar);
                    i = after;
                    continue;
                }
                out.writeBytes(expansion);
                i = end + 1;
            } else {
                out.write(buf, dollar, after - dollar);
                i = after;
            }
        }
        if (i < buf.length) {
            out.write(buf, i, buf.length - i);
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] b, byte c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** convert.c gather_stats and convert_is_binary. */
    private record Stats(int lonecr, int lonelf, int crlf, int nul, int printable, int nonprintable) {
        static Stats of(byte[] buf) {
            int lonecr = 0, lonelf = 0, crlf = 0, nul = 0, printable = 0, nonprintable = 0;
            for (int i = 0; i < buf.length; i++) {
                int c = buf[i] & 0xff;
                if (c == '\r') {
                    if (i + 1 < buf.length && buf[i + 1] == '\n') {
                        crlf++;
                        i++;
                    } else {
                        lonecr++;
                    }
                    continue;
                }
                if (c == '\n') {
                    lonelf++;
                    continue;
                }
                if (c == 127) {
                    nonprintable++;
                } else if (c < 32) {
                    switch (c) {
                        case '\b', '\t', 033, 014 -> printable++;
                        case 0 -> {
                            nul++;
                            nonprintable++;
                        }
                        default -> nonprintable++;
                    }
                } else {
                    printable++;
                }
            }
            // A trailing ^Z (DOS end of file) is not counted as non-printable.
            if (buf.length >= 1 && buf[buf.length - 1] == 032) {
                nonprintable--;
            }
            return new Stats(lonecr, lonelf, crlf, nul, printable, nonprintable);
        }

        boolean isBinary() {
            return lonecr > 0 || nul > 0 || (printable >> 7) < nonprintable;
        }
    }
}
