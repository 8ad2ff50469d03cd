package dev.granary.core.pgp;

import java.io.InputStream;

/**
 * A deterministic stream of {@code size} pseudo-random bytes, generated as it is read: the same bytes
 * however it is read, without holding them anywhere. Byte {@code flip} (if not negative) is inverted,
 * to make a tampered copy.
 */
final class PatternStream extends InputStream {
    private final long size;
    private final long flip;
    private long pos;

    PatternStream(long size, long flip) {
        this.size = size;
        this.flip = flip;
    }

    long position() {
        return pos;
    }

    @Override
    public int read() {
        if (pos >= size) {
            return -1;
        }
        return byteAt(pos++) & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (pos >= size) {
            return -1;
        }
        int n = (int) Math.min(len, size - pos);
        long word = -1;
        long z = 0;
        for (int i = 0; i < n; i++) {
            long p = pos + i;
            if (p >>> 3 != word) {
                word = p >>> 3;
                z = mix(word);
            }
            b[off + i] = (byte) (z >>> ((p & 7) << 3));
        }
        if (flip >= pos && flip < pos + n) {
            b[off + (int) (flip - pos)] ^= (byte) 0xff;
        }
        pos += n;
        return n;
    }

    private byte byteAt(long p) {
        byte b = (byte) (mix(p >>> 3) >>> ((p & 7) << 3));
        return p == flip ? (byte) ~b : b;
    }

    /** The SplitMix64 finalizer: fast, and no two words alike. */
    private static long mix(long word) {
        long z = word * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
