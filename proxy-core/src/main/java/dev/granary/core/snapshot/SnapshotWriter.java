package dev.granary.core.snapshot;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a snapshot archive ({@link SnapshotFormat}) as a stream: members are copied through in
 * fixed-size chunks while their SHA-256 is computed, so memory does not depend on their size. Members
 * first, then {@code MANIFEST.json} (an ordinary member), then {@link #writeSums()} and, when signing,
 * {@link #writeSignature}. Not thread-safe.
 */
public final class SnapshotWriter implements Closeable {
    private static final int BUFFER = 64 << 10;

    private final OutputStream raw;
    private final TarArchiveOutputStream tar;
    private final Instant modified;
    private final Map<String, String> sums = new LinkedHashMap<>();
    private final byte[] buffer = new byte[BUFFER];
    private long bytes;
    private boolean sumsWritten;
    private boolean closed;

    /**
     * @param out      where the archive goes; closed by {@link #close()}
     * @param zstd     compress the whole archive with zstd
     * @param modified the modification time recorded for every member
     */
    public SnapshotWriter(OutputStream out, boolean zstd, Instant modified) throws IOException {
        this.raw = zstd ? new ZstdOutputStream(out, 3).setChecksum(true) : out;
        this.tar = new TarArchiveOutputStream(raw, BUFFER, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        this.modified = modified;
    }

    /** Adds a member of {@code size} bytes read from {@code content} (to its end; not closed). */
    public void add(String name, InputStream content, long size) throws IOException {
        if (sumsWritten) {
            throw new IllegalStateException("members after " + SnapshotFormat.SUMS);
        }
        if (sums.containsKey(name) || name.equals(SnapshotFormat.SUMS) || name.equals(SnapshotFormat.SIGNATURE)) {
            throw new IllegalArgumentException("member " + name + " twice");
        }
        sums.put(name, entry(name, content, size));
        bytes += size;
    }

    /** Adds a member held in memory. */
    public void add(String name, byte[] content) throws IOException {
        add(name, new ByteArrayInputStream(content), content.length);
    }

    /** Writes {@code SHA256SUMS} over every member added so far, and returns its bytes (to sign them). */
    public byte[] writeSums() throws IOException {
        byte[] b = Sha256Sums.format(sums);
        entry(SnapshotFormat.SUMS, new ByteArrayInputStream(b), b.length);
        sumsWritten = true;
        return b;
    }

    /** Writes {@code SHA256SUMS.asc}: an armored detached signature of what {@link #writeSums()} returned. */
    public void writeSignature(String armored) throws IOException {
        if (!sumsWritten) {
            throw new IllegalStateException("the signature comes after " + SnapshotFormat.SUMS);
        }
        byte[] b = armored.getBytes(StandardCharsets.US_ASCII);
        entry(SnapshotFormat.SIGNATURE, new ByteArrayInputStream(b), b.length);
    }

    /** The SHA-256 (hex) of a member added so far. */
    public String sha256(String name) {
        String sha = sums.get(name);
        if (sha == null) {
            throw new IllegalArgumentException("no member " + name);
        }
        return sha;
    }

    /** Members listed in SHA256SUMS so far. */
    public int files() {
        return sums.size();
    }

    /** Their total size. */
    public long bytes() {
        return bytes;
    }

    private String entry(String name, InputStream content, long size) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(size);
        e.setMode(0100644);
        e.setModTime(modified.toEpochMilli());
        tar.putArchiveEntry(e);
        MessageDigest md = sha256();
        long left = size;
        while (left > 0) {
            int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(name + ": source ended " + left + " bytes short of " + size);
            }
            md.update(buffer, 0, n);
            tar.write(buffer, 0, n);
            left -= n;
        }
        if (content.read() >= 0) {
            throw new IOException(name + ": source is longer than " + size + " bytes");
        }
        tar.closeArchiveEntry();
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends the archive and closes the output. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            tar.finish();
        } finally {
            tar.close();
        }
    }
}
