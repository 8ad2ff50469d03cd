package dev.granary.core.snapshot;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code SHA256SUMS} member: one line per member, {@code <64 lower-case hex digits><two spaces><path>},
 * exactly as GNU {@code sha256sum} writes them, so {@code sha256sum -c SHA256SUMS} checks an unpacked
 * snapshot. Parsing accepts that form and the binary marker ({@code " *"}) {@code sha256sum -b} writes, and
 * nothing else: no comments, no escaped names, no duplicates.
 */
public final class Sha256Sums {
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.+)");

    private Sha256Sums() {}

    /** Formats entries (path to hex digest) in the order given. */
    public static byte[] format(Map<String, String> entries) {
        StringBuilder b = new StringBuilder(entries.size() * 120);
        entries.forEach((path, hex) -> b.append(hex).append("  ").append(path).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses the member.
     *
     * @return path to hex digest, in file order
     * @throws SnapshotException naming {@code SHA256SUMS} and the line when it is malformed
     */
    public static Map<String, String> parse(byte[] bytes) throws SnapshotException {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw SnapshotException.member(SnapshotFormat.SUMS, "not UTF-8 text");
        }
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw SnapshotException.member(SnapshotFormat.SUMS, "does not end with a newline (truncated?)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw SnapshotException.member(
                        SnapshotFormat.SUMS,
                        "line " + n + " is not '<sha256>  <path>': " + SnapshotFormat.printable(line));
            }
            if (out.put(m.group(2), m.group(1)) != null) {
                throw SnapshotException.member(
                        SnapshotFormat.SUMS,
                        "line " + n + " lists " + SnapshotFormat.printable(m.group(2)) + " a second time");
            }
        }
        return out;
    }
}
