package dev.granary.core.module;

import dev.granary.core.ProxyException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parts of a go.mod file (go.dev/ref/mod#go-mod-file) that decide the module graph: {@code module},
 * {@code go}, {@code require}, and, for a main module, {@code exclude} and {@code replace}. Other
 * directives ({@code retract}, {@code toolchain}, {@code godebug}, {@code tool}, {@code ignore}, future
 * ones) are skipped, as the go command's lax parser does for dependencies.
 *
 * <p>Lexical rules (golang.org/x/mod/modfile/read.go): a line is a verb and its arguments, or a verb
 * and {@code (} opening a block of such argument lines closed by {@code )}; tokens are identifiers (any
 * printable run without spaces or {@code ()[]{},}), interpreted strings {@code "..."} and raw strings
 * {@code `...`}; {@code //} starts a comment.
 *
 * @param module  the module path, or null when the file has no module directive
 * @param go      the go directive's version ({@code 1.17}, {@code 1.21.0}), or null
 * @param require requirements
 * @param exclude excluded versions
 * @param replace replacements
 */
public record GoModFile(
        String module, String go, List<Require> require, List<ModuleVersion> exclude, List<Replace> replace) {

    /** A requirement. */
    public record Require(ModuleVersion version, boolean indirect) {}

    /**
     * A replacement: {@code old [oldVersion] => new newVersion}, or {@code => ./dir} (newVersion null).
     *
     * @param oldPath    the replaced module path
     * @param oldVersion the replaced version, or null for every version
     * @param newPath    the replacement module path, or a directory
     * @param newVersion the replacement version, or null when {@code newPath} is a directory
     */
    public record Replace(String oldPath, String oldVersion, String newPath, String newVersion) {
        /** True when the replacement is a local directory rather than a module version. */
        public boolean isDirectory() {
            return newVersion == null;
        }

        /** True when this replacement applies to {@code mv}. */
        public boolean matches(ModuleVersion mv) {
            return oldPath.equals(mv.path().value()) && (oldVersion == null || oldVersion.equals(mv.version()));
        }
    }

    public GoModFile {
        require = List.copyOf(require);
        exclude = List.copyOf(exclude);
        replace = List.copyOf(replace);
    }

    /** True when the go directive is 1.17 or later: the module's dependency graph is pruned (go.dev/ref/mod#graph-pruning). */
    public boolean prunesGraph() {
        return atLeast(go, 1, 17);
    }

    /** True when Go version {@code v} ({@code 1.17}, {@code 1.21.0}, {@code 1.21rc1}) is at least major.minor. */
    static boolean atLeast(String v, int major, int minor) {
        if (v == null) {
            return false;
        }
        String[] f = v.split("\\.", 3);
        try {
            int ma = Integer.parseInt(f[0]);
            int mi = f.length < 2 ? 0 : Integer.parseInt(f[1].replaceAll("[^0-9].*$", ""));
            return ma != major ? ma > major : mi >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Parses a main module's go.mod file.
     *
     * @param name for messages, e.g. {@code go.mod}
     * @throws ProxyException INVALID naming the file and line when it cannot be parsed
     */
    public static GoModFile parse(String name, byte[] data) {
        return parse(name, data, false);
    }

    /**
     * Parses a dependency's go.mod file as the go command's lax parser does (modfile.ParseLax): its
     * {@code exclude} and {@code replace} directives apply only when it is the main module, so they are
     * skipped unread.
     */
    public static GoModFile parseLax(String name, byte[] data) {
        return parse(name, data, true);
    }

    private static GoModFile parse(String name, byte[] data, boolean lax) {
        String module = null;
        String go = null;
        List<Require> require = new ArrayList<>();
        List<ModuleVersion> exclude = new ArrayList<>();
        List<Replace> replace = new ArrayList<>();
        for (Directive d : directives(name, data)) {
            List<String> a = d.args();
            switch (d.verb()) {
                case "module" -> module = d.need(1, 1).get(0);
                case "go" -> go = d.need(1, 1).get(0);
                case "require" ->
                    require.add(new Require(
                            d.version(d.need(2, 2)),
                            d.comment().map(c -> c.startsWith("indirect")).orElse(false)));
                case "exclude" -> {
                    if (!lax) {
                        exclude.add(d.version(d.need(2, 2)));
                    }
                }
                case "replace" -> {
                    if (!lax) {
                        replace.add(d.replace());
                    }
                }
                default -> {
                    // retract, toolchain, godebug, tool, ignore: no part in loading the graph.
                }
            }
        }
        return new GoModFile(module, go, require, exclude, replace);
    }

    // ---- lexing and lines, shared with GoWorkFile ----------------------------------------------

    /** One directive line, its verb and its arguments (block lines carry the block's verb). */
    record Directive(String file, int line, String verb, List<String> args, Optional<String> comment) {
        ProxyException error(String message) {
            return ProxyException.invalid(file + ":" + line + ": " + message);
        }

        List<String> need(int min, int max) {
            if (args.size() < min || args.size() > max) {
                throw error("usage: " + verb + (min == 1 ? " <value>" : " <module path> <version>"));
            }
            return args;
        }

        ModuleVersion version(List<String> a) {
            return moduleVersion(a.get(0), a.get(1));
        }

        ModuleVersion moduleVersion(String path, String version) {
            if (!Semver.isValid(version)) {
                throw error("invalid version " + GoQuote.quote(version) + " of " + path);
            }
            String canonical = ModuleVersion.canonicalVersion(version);
            try {
                return ModuleVersion.of(path, canonical);
            } catch (ProxyException e) {
                throw error(e.getMessage());
            }
        }

        /** go.dev/ref/mod#go-mod-file-replace: {@code old [v] => new v} or {@code old [v] => ./dir}. */
        Replace replace() {
            int arrow = args.size() >= 2 && args.get(1).equals("=>") ? 1 : 2;
            if (args.size() < arrow + 2
                    || args.size() > arrow + 3
                    || !args.get(arrow).equals("=>")) {
                throw error("usage: replace module/path [v1.2.3] => other/module v1.4 | ../local/directory");
            }
            String oldPath = args.get(0);
            String oldVersion = arrow == 2 ? moduleVersion(oldPath, args.get(1)).version() : null;
            String newPath = args.get(arrow + 1);
            if (args.size() == arrow + 2) {
                if (!isDirectoryPath(newPath)) {
                    throw error(
                            "replacement module without version must be a directory path (rooted or starting with ./ or ../)");
                }
                return new Replace(oldPath, oldVersion, newPath, null);
            }
            return new Replace(
                    oldPath,
                    oldVersion,
                    newPath,
                    moduleVersion(newPath, args.get(arrow + 2)).version());
        }
    }

    /** modfile.IsDirectoryPath: rooted, or starting with ./ or ../ (or . and .. themselves). */
    static boolean isDirectoryPath(String p) {
        return p.startsWith("./") || p.startsWith("../") || p.startsWith("/") || p.equals(".") || p.equals("..");
    }

    static List<Directive> directives(String file, byte[] data) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ProxyException.invalid(file + ": not UTF-8 text");
        }
        List<Directive> out = new ArrayList<>();
        String block = null;
        int n = 0;
        for (String raw : text.split("\n", -1)) {
            n++;
            Line line = tokens(file, n, raw);
            List<String> t = line.tokens();
            if (t.isEmpty()) {
                continue;
            }
            if (block != null) {
                if (t.equals(List.of(")"))) {
                    block = null;
                    continue;
                }
                if (t.contains("(") || t.contains(")")) {
                    throw ProxyException.invalid(file + ":" + n + ": unexpected parenthesis in " + block + " block");
                }
                out.add(new Directive(file, n, block, t, line.comment()));
                continue;
            }
            String verb = t.get(0);
            List<String> args = t.subList(1, t.size());
            if (args.equals(List.of("("))) {
                block = verb;
                continue;
            }
            if (args.equals(List.of("(", ")"))) {
                continue; // an empty one-line block
            }
            if (args.contains("(") || args.contains(")")) {
                throw ProxyException.invalid(file + ":" + n + ": unexpected parenthesis");
            }
            out.add(new Directive(file, n, verb, List.copyOf(args), line.comment()));
        }
        if (block != null) {
            throw ProxyException.invalid(file + ": " + block + " block not closed");
        }
        return out;
    }

    private record Line(List<String> tokens, Optional<String> comment) {}

    private static Line tokens(String file, int n, String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\u000b') {
                i++;
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
                return new Line(out, Optional.of(s.substring(i + 2).strip()));
            } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == ',') {
                // modfile's punctuation; only parentheses mean something here (blocks), the rest is for retract
                // intervals.
                out.add(String.valueOf(c));
                i++;
            } else if (c == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (true) {
                    if (i >= s.length()) {
                        throw ProxyException.invalid(file + ":" + n + ": unterminated string");
                    }
                    char d = s.charAt(i++);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\') {
                        if (i >= s.length()) {
                            throw ProxyException.invalid(file + ":" + n + ": unterminated string");
                        }
                        char e = s.charAt(i++);
                        switch (e) {
                            case '"', '\\', '/' -> b.append(e);
                            case 'n' -> b.append('\n');
                            case 't' -> b.append('\t');
                            default ->
                                throw ProxyException.invalid(
                                        file + ":" + n + ": unsupported escape \\" + e + " in string");
                        }
                    } else {
                        b.append(d);
                    }
                }
                out.add(b.toString());
            } else if (c == '`') {
                int end = s.indexOf('`', i + 1);
                if (end < 0) {
                    throw ProxyException.invalid(file + ":" + n + ": unterminated raw string");
                }
                out.add(s.substring(i + 1, end));
                i = end + 1;
            } else {
                int start = i;
                while (i < s.length() && isIdent(s.charAt(i))) {
                    i++;
                }
                if (i == start) {
                    throw ProxyException.invalid(file + ":" + n + ": unexpected character " + GoQuote.quoteRune(c));
                }
                out.add(s.substring(start, i));
            }
        }
        return new Line(out, Optional.empty());
    }

    /** modfile: isIdent. */
    private static boolean isIdent(char c) {
        return switch (c) {
            case ' ', '(', ')', '[', ']', '{', '}', ',' -> false;
            default -> !Character.isWhitespace(c) && !Character.isISOControl(c);
        };
    }
}
