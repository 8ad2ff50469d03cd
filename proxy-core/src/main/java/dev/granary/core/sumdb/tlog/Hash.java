package dev.granary.core.sumdb.tlog;

import java.util.Arrays;
import java.util.Base64;

/**
 * A SHA-256 hash identifying a log record or a (sub)tree root: exactly {@value #SIZE} bytes,
 * immutable, compared by value. Its text form is standard base64 with padding, as in
 * {@code golang.org/x/mod/sumdb/tlog.Hash.String}.
 */
public final class Hash {

    /** Size of a hash in bytes. */
    public static final int SIZE = 32;

    /** The all-zero hash, which is the hash of the empty tree. */
    public static final Hash ZERO = new Hash(new byte[SIZE]);

    private final byte[] bytes;

    private Hash(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * Returns the hash with the given bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not {@value #SIZE} bytes long
     */
    public static Hash of(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("hash needs " + SIZE + " bytes, got " + bytes.length);
        }
        return new Hash(bytes.clone());
    }

    /** Returns the hash stored at {@code data[offset .. offset+32)}. */
    public static Hash of(byte[] data, int offset) {
        if (offset < 0 || data.length - offset < SIZE) {
            throw new IllegalArgumentException("hash needs " + SIZE + " bytes at offset " + offset);
        }
        return new Hash(Arrays.copyOfRange(data, offset, offset + SIZE));
    }

    /**
     * Parses the base64 form of a hash.
     *
     * @throws TlogException if {@code s} is not the base64 encoding of 32 bytes
     */
    public static Hash parse(String s) throws TlogException {
        byte[] b;
        try {
            b = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new TlogException("malformed hash");
        }
        if (b.length != SIZE) {
            throw new TlogException("malformed hash");
        }
        return new Hash(b);
    }

    /** A copy of the 32 bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Copies the 32 bytes into {@code dst} at {@code offset}. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, SIZE);
    }

    /** Returns a copy with byte {@code i} XOR {@code mask}: for tests that corrupt proofs. */
    public Hash flip(int i, int mask) {
        byte[] b = bytes.clone();
        b[i] ^= (byte) mask;
        return new Hash(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hash h && Arrays.equals(bytes, h.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The base64 form, e.g. {@code TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=}. */
    @Override
    public String toString() {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
