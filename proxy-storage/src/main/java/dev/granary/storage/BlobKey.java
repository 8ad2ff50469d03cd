package dev.granary.storage;

import java.util.Objects;
import java.util.Optional;

/**
 * A validated storage key: a relative, slash-separated path such as
 * {@code github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip}.
 *
 * <p>Keys are validated once, here, so that no store ever needs to parse them again and no key can
 * name anything outside a store's root: no empty, {@code .} or {@code ..} segments, no leading or
 * trailing slash, no backslash, no control characters, no NUL, and at most {@value #MAX_LENGTH}
 * characters (each segment at most {@value #MAX_SEGMENT_LENGTH}, a common file-system limit).
 * Segments may not start with {@code .tmp-} either: that prefix is reserved for the temporary files
 * that stores write before an atomic rename.
 *
 * @param value the key text, always valid
 */
public record BlobKey(String value) implements Comparable<BlobKey> {

    /** The longest key accepted. */
    public static final int MAX_LENGTH = 1024;
    /** The longest single path segment accepted. */
    public static final int MAX_SEGMENT_LENGTH = 255;
    /** Prefix reserved for stores' temporary files; no key segment may start with it. */
    public static final String TEMP_PREFIX = ".tmp-";

    public BlobKey {
        Objects.requireNonNull(value, "value");
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException("invalid storage key " + quote(value) + ": " + problem);
        }
    }

    /**
     * Validates and wraps a key.
     *
     * @throws IllegalArgumentException if the key is not valid
     */
    public static BlobKey of(String value) {
        return new BlobKey(value);
    }

    /** Joins validated segments with {@code /}. */
    public static BlobKey of(String first, String... more) {
        StringBuilder b = new StringBuilder(first);
        for (String m : more) {
            b.append('/').append(m);
        }
        return new BlobKey(b.toString());
    }

    /** True when {@code value} would be accepted by {@link #of(String)}. */
    public static boolean isValid(String value) {
        return value != null && problem(value) == null;
    }

    /** This key followed by {@code /} and {@code suffix} (which may itself contain slashes). */
    public BlobKey resolve(String suffix) {
        return new BlobKey(value + "/" + suffix);
    }

    /** The key's last segment. */
    public String name() {
        int i = value.lastIndexOf('/');
        return i < 0 ? value : value.substring(i + 1);
    }

    /** The key without its last segment, or empty for a single-segment key. */
    public Optional<BlobKey> parent() {
        int i = value.lastIndexOf('/');
        return i < 0 ? Optional.empty() : Optional.of(new BlobKey(value.substring(0, i)));
    }

    /**
     * True when this key lies under {@code prefix} on whole segments: {@code a/b/c} is under
     * {@code a/b} but {@code a/b-c} is not.
     */
    public boolean isUnder(BlobKey prefix) {
        return value.length() > prefix.value.length()
                && value.startsWith(prefix.value)
                && value.charAt(prefix.value.length()) == '/';
    }

    @Override
    public int compareTo(BlobKey o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }

    private static String problem(String v) {
        if (v.isEmpty()) {
            return "empty";
        }
        if (v.length() > MAX_LENGTH) {
            return "longer than " + MAX_LENGTH + " characters";
        }
        int segStart = 0;
        for (int i = 0; i <= v.length(); i++) {
            if (i == v.length() || v.charAt(i) == '/') {
                String seg = v.substring(segStart, i);
                if (seg.isEmpty()) {
                    return "empty path segment";
                }
                if (seg.equals(".") || seg.equals("..")) {
                    return "dot segment";
                }
                if (seg.length() > MAX_SEGMENT_LENGTH) {
                    return "path segment longer than " + MAX_SEGMENT_LENGTH + " characters";
                }
                if (seg.startsWith(TEMP_PREFIX)) {
                    return "reserved temporary-file prefix";
                }
                segStart = i + 1;
                continue;
            }
            char c = v.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "control character";
            }
            if (c == '\\') {
                return "backslash";
            }
            if (c == ':' && i == 1) {
                return "drive letter";
            }
        }
        return null;
    }

    private static String quote(String v) {
        String s = v.length() > 80 ? v.substring(0, 80) + "..." : v;
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
