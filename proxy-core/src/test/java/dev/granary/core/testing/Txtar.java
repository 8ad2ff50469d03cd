package dev.granary.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The txtar archive format of Go's test data (golang.org/x/tools/txtar): a comment, then files each introduced
 * by a line {@code -- name --}; a last line without newline gets one. Names and content are kept as bytes
 * decoded with {@link GoTable#decodeUtf8Escaping}.
 */
public record Txtar(String comment, List<File> files) {

    /** One file of the archive. */
    public record File(String name, byte[] data) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    public static Txtar load(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + resource);
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Txtar parse(byte[] data) {
        int[] cut = findMarker(data, 0);
        String comment = GoTable.decodeUtf8Escaping(fixNewline(Arrays.copyOfRange(data, 0, cut[0])));
        List<File> files = new ArrayList<>();
        while (cut[1] >= 0) {
            String name = GoTable.decodeUtf8Escaping(Arrays.copyOfRange(data, cut[1], cut[2]))
                    .strip();
            int start = cut[3];
            cut = findMarker(data, start);
            files.add(new File(name, fixNewline(Arrays.copyOfRange(data, start, cut[0]))));
        }
        return new Txtar(comment, files);
    }

    /** The file of that name, if any. */
    public File file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
    }

    /** The comment's {@code key=value} lines ('#' starts a comment), as zip_test.go's readTest reads them. */
    public String param(String key) {
        for (String line : comment.split("\n")) {
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            int eq = line.indexOf('=');
            if (eq >= 0 && line.substring(0, eq).strip().equals(key)) {
                return line.substring(eq + 1).strip();
            }
        }
        return "";
    }

    /**
     * Writes the given files as a zip, in order, as Go's zip.Writer.Create does: file data deflated, names
     * ending in "/" stored empty, names flagged UTF-8. Unlike java.util.zip.ZipOutputStream it writes duplicate
     * names, which some of Go's test cases need.
     */
    public static byte[] zip(List<File> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (File f : files) {
            byte[] name = f.name().getBytes(StandardCharsets.UTF_8);
            boolean dir = f.name().endsWith("/");
            CRC32 crc = new CRC32();
            crc.update(f.data());
            byte[] body = dir ? new byte[0] : deflate(f.data());
            int method = dir ? 0 : 8;
            int offset = out.size();
            ByteBuffer local = le(30 + name.length);
            local.putInt(0x04034b50)
                    .putShort((short) 20)
                    .putShort((short) 0x0800)
                    .putShort((short) method)
                    .putShort((short) 0)
                    .putShort((short) 0x21) // time, date: 1980-01-01
                    .putInt((int) crc.getValue())
                    .putInt(body.length)
                    .putInt(f.data().length)
                    .putShort((short) name.length)
                    .putShort((short) 0)
                    .put(name);
            out.writeBytes(local.array());
            out.writeBytes(body);
            ByteBuffer cen = le(46 + name.length);
            cen.putInt(0x02014b50)
                    .putShort((short) 20)
                    .putShort((short) 20)
                    .putShort((short) 0x0800)
                    .putShort((short) method)
                    .putShort((short) 0)
                    .putShort((short) 0x21)
                    .putInt((int) crc.getValue())
                    .putInt(body.length)
                    .putInt(f.data().length)
                    .putShort((short) name.length)
                    .putShort((short) 0)
                    .putShort((short) 0)
                    .putShort((short) 0)
                    .putShort((short) 0)
                    .putInt(0)
                    .putInt(offset)
                    .put(name);
            central.writeBytes(cen.array());
        }
        int cenOffset = out.size();
        out.writeBytes(central.toByteArray());
        ByteBuffer end = le(22);
        end.putInt(0x06054b50)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) files.size())
                .putShort((short) files.size())
                .putInt(central.size())
                .putInt(cenOffset)
                .putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /**
     * Returns {before end, name start, name end, after} for the next marker line at or after {@code from};
     * name start is -1 when there is none (before end is then the data length).
     */
    private static int[] findMarker(byte[] data, int from) {
        int i = from;
        while (true) {
            int[] m = marker(data, i);
            if (m != null) {
                return new int[] {i, m[0], m[1], m[2]};
            }
            int j = indexOf(data, "\n-- ".getBytes(StandardCharsets.UTF_8), i);
            if (j < 0) {
                return new int[] {data.length, -1, -1, -1};
            }
            i = j + 1;
        }
    }

    /** At a line start: {name start, name end, after the line} when it is "-- name --". */
    private static int[] marker(byte[] data, int i) {
        if (!startsWith(data, i, "-- ")) {
            return null;
        }
        int nl = indexOf(data, new byte[] {'\n'}, i);
        int lineEnd = nl < 0 ? data.length : nl;
        int after = nl < 0 ? data.length : nl + 1;
        if (lineEnd - i < 6 || !startsWith(data, lineEnd - 3, " --")) {
            return null;
        }
        return new int[] {i + 3, lineEnd - 3, after};
    }

    private static byte[] fixNewline(byte[] data) {
        if (data.length == 0 || data[data.length - 1] == '\n') {
            return data;
        }
        byte[] d = Arrays.copyOf(data, data.length + 1);
        d[data.length] = '\n';
        return d;
    }

    private static boolean startsWith(byte[] data, int at, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        if (at < 0 || at + p.length > data.length) {
            return false;
        }
        for (int k = 0; k < p.length; k++) {
            if (data[at + k] != p[k]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] data, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= data.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
