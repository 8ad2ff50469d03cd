package dev.granary.server.http;

import java.util.Optional;

/**
 * A single byte range from a {@code Range: bytes=...} header (RFC 9110 section 14). Multi-range
 * requests are answered with the whole content, which the RFC allows.
 */
record ByteRange(long offset, long length) {

    /** Thrown when a syntactically valid range cannot be satisfied: answered 416. */
    static final class Unsatisfiable extends Exception {
        Unsatisfiable() {
            super(null, null, false, false);
        }
    }

    /**
     * @return the range, or empty for "whole content" (no header, a malformed one, several ranges)
     */
    static Optional<ByteRange> parse(String header, long size) throws Unsatisfiable {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return Optional.empty();
        }
        String spec = header.substring("bytes=".length()).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        try {
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0) {
                    throw new Unsatisfiable();
                }
                long len = Math.min(suffix, size);
                return Optional.of(new ByteRange(size - len, len));
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            if (first < 0 || (b.isEmpty() ? false : Long.parseLong(b) < first)) {
                return Optional.empty();
            }
            if (first >= size) {
                throw new Unsatisfiable();
            }
            return Optional.of(new ByteRange(first, last - first + 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
