package dev.granary.core.zip;

import dev.granary.core.ProxyException;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reading zip entries the way Go's archive/zip does, but without trusting the archive: content is counted as
 * it inflates and reading stops as soon as an entry yields more bytes than its header declared (a zip bomb
 * cannot make us inflate more than the declared sizes, which the module zip rules bound).
 */
final class ZipReading {

    private ZipReading() {}

    /** Opens a zip by its central directory, names decoded as UTF-8 (Go treats names as UTF-8 bytes). */
    static ZipFile open(Path zipFile) throws IOException {
        return new ZipFile(zipFile.toFile(), StandardCharsets.UTF_8);
    }

    /**
     * The content of the named entry, verified against its declared size and CRC-32 as Go's checksumReader does.
     * When {@code capture} is not null the content is also copied into it.
     */
    static InputStream openEntry(ZipFile zip, String name, ByteArrayOutputStream capture) throws IOException {
        ZipEntry entry = zip.getEntry(name);
        if (entry == null) {
            throw new ProxyException(ProxyException.Kind.VERIFICATION_FAILED, "file " + name + " not found in zip");
        }
        if (name.endsWith("/")) {
            // archive/zip: a directory entry reads as empty, and is an error if it has content.
            if (entry.getCompressedSize() != 0) {
                throw new ProxyException(
                        ProxyException.Kind.VERIFICATION_FAILED, "directory entry " + name + " has content");
            }
            return InputStream.nullInputStream();
        }
        return new VerifyingInputStream(zip.getInputStream(entry), entry, capture);
    }

    /** A zip that cannot be read: the reason, plainly. */
    static ProxyException corrupt(Path zipFile, Exception e) {
        if (e instanceof ProxyException pe) {
            return pe;
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ProxyException(
                ProxyException.Kind.VERIFICATION_FAILED,
                "corrupt or truncated zip file " + zipFile.getFileName() + ": " + reason,
                e);
    }

    /** Counts, checksums and bounds one entry's inflated bytes. */
    private static final class VerifyingInputStream extends FilterInputStream {
        private final String name;
        private final long declaredSize;
        private final long declaredCrc;
        private final ByteArrayOutputStream capture;
        private final CRC32 crc = new CRC32();
        private long count;

        VerifyingInputStream(InputStream in, ZipEntry entry, ByteArrayOutputStream capture) {
            super(in);
            this.name = entry.getName();
            this.declaredSize = entry.getSize();
            this.declaredCrc = entry.getCrc();
            this.capture = capture;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                throw new ProxyException(
                        ProxyException.Kind.VERIFICATION_FAILED,
                        "cannot read " + name + " from zip: " + e.getMessage(),
                        e);
            }
            if (n < 0) {
                if (count != declaredSize) {
                    throw failed("uncompressed size of file " + name + " is smaller than declared size (" + declaredSize
                            + " bytes)");
                }
                // archive/zip: a CRC-32 of 0 in the header means "not recorded" and is not checked.
                if (declaredCrc != 0 && crc.getValue() != declaredCrc) {
                    throw failed("checksum error in file " + name);
                }
                return n;
            }
            count += n;
            if (declaredSize < 0 || count > declaredSize) {
                throw failed("uncompressed size of file " + name + " is larger than declared size ("
                        + Long.toUnsignedString(declaredSize) + " bytes)");
            }
            crc.update(b, off, n);
            if (capture != null) {
                capture.write(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // Skipped bytes must still be counted and checksummed.
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        private static ProxyException failed(String reason) {
            return new ProxyException(ProxyException.Kind.VERIFICATION_FAILED, reason);
        }
    }
}
