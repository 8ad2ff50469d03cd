package dev.granary.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the rows of a Go test table copied verbatim into a {@code .gotable} resource: one composite literal
 * per line ({@code {"x.y/z", true, true, true},}, {@code {"1.5", "1.6", -1},} or {@code {path: "a", esc: "b"},}) or one bare literal
 * ({@code "v0.0.0",}). Comments and blank lines are skipped.
 *
 * <p>Strings are Go string literals (interpreted or raw). Bytes that are not valid UTF-8 (like {@code \xFF})
 * become lone surrogates U+DC80..U+DCFF, the convention the production code prints back as {@code \xff}.
 */
public final class GoTable {

    private GoTable() {}

    /** One table row: positional fields under keys "0", "1", ..., keyed fields under their names. */
    public record Row(int line, Map<String, Object> fields) {
        public String str(String key) {
            Object v = fields.get(key);
            return v == null ? "" : (String) v;
        }

        public String str(int index) {
            return str(Integer.toString(index));
        }

        public boolean bool(int index) {
            return (Boolean) fields.get(Integer.toString(index));
        }

        /** A decimal integer literal field. */
        public long integer(int index) {
            return (Long) fields.get(Integer.toString(index));
        }

        @Override
        public String toString() {
            return "line " + line + " " + fields.values();
        }
    }

    /** The rows of a classpath resource. */
    public static List<Row> load(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + resource + " next to " + anchor);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<Row> rows = new ArrayList<>();
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Row row = parseLine(i + 1, lines[i].strip());
                if (row != null) {
                    rows.add(row);
                }
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Row parseLine(int lineNo, String line) {
        if (line.isEmpty() || line.startsWith("//")) {
            return null;
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        int[] pos = {0};
        boolean braced = line.charAt(0) == '{';
        if (braced) {
            pos[0]++;
        }
        int index = 0;
        while (true) {
            skipSpace(line, pos);
            if (pos[0] >= line.length() || line.startsWith("//", pos[0])) {
                break;
            }
            char c = line.charAt(pos[0]);
            if (c == '}') {
                pos[0]++;
                continue;
            }
            if (c == ',') {
                pos[0]++;
                continue;
            }
            String key = null;
            if (Character.isLetter(c)) {
                int start = pos[0];
                while (pos[0] < line.length() && Character.isLetterOrDigit(line.charAt(pos[0]))) {
                    pos[0]++;
                }
                String word = line.substring(start, pos[0]);
                skipSpace(line, pos);
                if (pos[0] < line.length() && line.charAt(pos[0]) == ':') {
                    pos[0]++;
                    key = word;
                    skipSpace(line, pos);
                } else {
                    fields.put(
                            Integer.toString(index++),
                            switch (word) {
                                case "true" -> Boolean.TRUE;
                                case "false" -> Boolean.FALSE;
                                default ->
                                    throw new IllegalArgumentException("line " + lineNo + ": unexpected " + word);
                            });
                    continue;
                }
            }
            Object value = parseValue(line, pos, lineNo);
            fields.put(key != null ? key : Integer.toString(index++), value);
        }
        return new Row(lineNo, fields);
    }

    private static Object parseValue(String line, int[] pos, int lineNo) {
        char c = line.charAt(pos[0]);
        if (c == '`') {
            int end = line.indexOf('`', pos[0] + 1);
            String s = line.substring(pos[0] + 1, end);
            pos[0] = end + 1;
            return s;
        }
        if (c == '"') {
            return parseInterpreted(line, pos, lineNo);
        }
        if (c == 't' && line.startsWith("true", pos[0])) {
            pos[0] += 4;
            return Boolean.TRUE;
        }
        if (c == 'f' && line.startsWith("false", pos[0])) {
            pos[0] += 5;
            return Boolean.FALSE;
        }
        if (c == '-' || Character.isDigit(c)) {
            int start = pos[0]++;
            while (pos[0] < line.length() && Character.isDigit(line.charAt(pos[0]))) {
                pos[0]++;
            }
            return Long.parseLong(line.substring(start, pos[0]));
        }
        throw new IllegalArgumentException("line " + lineNo + ": cannot parse at " + line.substring(pos[0]));
    }

    private static String parseInterpreted(String line, int[] pos, int lineNo) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = pos[0] + 1;
        while (true) {
            char c = line.charAt(i);
            if (c == '"') {
                pos[0] = i + 1;
                return decodeUtf8Escaping(bytes.toByteArray());
            }
            if (c != '\\') {
                int cp = line.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
                continue;
            }
            char e = line.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'x' -> {
                    bytes.write(Integer.parseInt(line.substring(i, i + 2), 16));
                    i += 2;
                }
                case 'u' -> {
                    bytes.writeBytes(new String(Character.toChars(Integer.parseInt(line.substring(i, i + 4), 16)))
                            .getBytes(StandardCharsets.UTF_8));
                    i += 4;
                }
                case 'n' -> bytes.write('\n');
                case 't' -> bytes.write('\t');
                case 'r' -> bytes.write('\r');
                case '\\', '"', '\'' -> bytes.write(e);
                default -> throw new IllegalArgumentException("line " + lineNo + ": unsupported escape \\" + e);
            }
        }
    }

    /** UTF-8 to a Java string; each byte of an invalid sequence becomes U+DC00 + byte. */
    public static String decodeUtf8Escaping(byte[] b) {
        StringBuilder s = new StringBuilder(b.length);
        int i = 0;
        while (i < b.length) {
            int c = b[i] & 0xFF;
            int need;
            int cp;
            int min;
            if (c < 0x80) {
                s.append((char) c);
                i++;
                continue;
            } else if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
                cp = c & 0x1F;
                min = 0x80;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                cp = c & 0x0F;
                min = 0x800;
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                cp = c & 0x07;
                min = 0x10000;
            } else {
                s.append((char) (0xDC00 + c));
                i++;
                continue;
            }
            boolean ok = true;
            for (int j = 1; j <= need; j++) {
                if (i + j >= b.length || (b[i + j] & 0xC0) != 0x80) {
                    ok = false;
                    break;
                }
                cp = cp << 6 | (b[i + j] & 0x3F);
            }
            if (!ok || cp < min || cp > 0x10FFFF || cp >= 0xD800 && cp <= 0xDFFF) {
                s.append((char) (0xDC00 + c));
                i++;
                continue;
            }
            s.appendCodePoint(cp);
            i += need + 1;
        }
        return s.toString();
    }

    private static void skipSpace(String line, int[] pos) {
        while (pos[0] < line.length() && Character.isWhitespace(line.charAt(pos[0]))) {
            pos[0]++;
        }
    }
}
