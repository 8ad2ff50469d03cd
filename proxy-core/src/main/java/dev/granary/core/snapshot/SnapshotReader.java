package dev.granary.core.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import dev.granary.storage.BlobKey;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a snapshot archive once, as a stream, into a {@link StagedSnapshot}: plain or zstd-compressed
 * (recognised by its magic bytes), every member checked as it arrives. Refused on the spot, naming the
 * member: a path that is absolute, climbs out ({@code ..}) or is not a file a snapshot may hold; links
 * (symbolic or hard), device files, FIFOs and sparse files; a name seen twice; a member larger than its
 * kind allows. A file that ends early (truncated) is refused as such. Memory use does not depend on
 * the archive's size; disk use is the archive's unpacked size, in the staging directory.
 */
public final class SnapshotReader {
    private static final int BUFFER = 64 << 10;

    /**
     * Size limits per member.
     *
     * @param maxZipBytes     largest module zip
     * @param maxFileBytes    largest of any other member
     * @param maxArchiveBytes largest release archive
     * @param maxBundleBytes  largest pre-warm bundle
     */
    public record Limits(long maxZipBytes, long maxFileBytes, long maxArchiveBytes, long maxBundleBytes) {
        /** Module zips and other files only: release archives and bundles are held to the other files' limit. */
        public Limits(long maxZipBytes, long maxFileBytes) {
            this(maxZipBytes, maxFileBytes, maxFileBytes, maxFileBytes);
        }

        /** Zips as large as the fetch pipeline accepts, 64 MiB for the rest (manifests of very large snapshots). */
        public static Limits of(long maxZipBytes) {
            return new Limits(maxZipBytes, 64L << 20);
        }

        /** Zips, release archives and bundles as large as this Granary accepts them otherwise. */
        public static Limits of(long maxZipBytes, long maxArchiveBytes, long maxBundleBytes) {
            return new Limits(maxZipBytes, 64L << 20, maxArchiveBytes, maxBundleBytes);
        }
    }

    /** Staging directories are named {@code .tmp-import-<pid>-<random>}, so that those of dead processes can be removed. */
    static final String STAGING_PREFIX = ".tmp-import-";

    private SnapshotReader() {}

    /**
     * Removes the staging directories (of imports and exports) that processes of this machine left
     * behind when they died; those of live processes are kept. Returns how many were removed.
     */
    public static int removeAbandoned(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return 0;
        }
        int removed = 0;
        try (var dirs = Files.newDirectoryStream(parent, d -> {
            String n = d.getFileName().toString();
            return (n.startsWith(STAGING_PREFIX) || n.startsWith(SnapshotExporter.STAGING_PREFIX))
                    && Files.isDirectory(d);
        })) {
            for (Path d : dirs) {
                String n = d.getFileName().toString();
                String rest = n.substring(
                        n.startsWith(STAGING_PREFIX)
                                ? STAGING_PREFIX.length()
                                : SnapshotExporter.STAGING_PREFIX.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != ProcessHandle.current().pid()
                        && ProcessHandle.of(pid).isEmpty()) {
                    new StagedSnapshot(d).close();
                    removed++;
                }
            }
        }
        return removed;
    }

    /**
     * Stages {@code archive} into a new directory under {@code stagingParent}.
     *
     * @param onBytes told how many bytes of the archive file were consumed so far (progress)
     * @throws SnapshotException when the archive is refused (the staging directory is removed)
     * @throws IOException       when the file or the staging directory cannot be read or written
     */
    public static StagedSnapshot stage(Path archive, Path stagingParent, Limits limits, LongConsumer onBytes)
            throws SnapshotException, IOException {
        Files.createDirectories(stagingParent);
        // The ".tmp-" prefix keeps the directory out of storage listings; abandoned files are swept.
        StagedSnapshot staged = new StagedSnapshot(Files.createTempDirectory(
                stagingParent, STAGING_PREFIX + ProcessHandle.current().pid() + "-"));
        boolean ok = false;
        try (InputStream file = new Counting(Files.newInputStream(archive), onBytes)) {
            readInto(file, staged, limits);
            ok = true;
            return staged;
        } finally {
            if (!ok) {
                staged.close();
            }
        }
    }

    private static void readInto(InputStream file, StagedSnapshot staged, Limits limits)
            throws SnapshotException, IOException {
        BufferedInputStream in = new BufferedInputStream(file, BUFFER);
        in.mark(8);
        byte[] magic = in.readNBytes(4);
        in.reset();
        boolean zstd = Arrays.equals(magic, SnapshotFormat.ZSTD_MAGIC);
        InputStream tarStream = zstd ? new ZstdInputStream(in) : in;
        if (magic.length == 0) {
            throw new SnapshotException("the file is empty");
        }
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream, BUFFER, "UTF-8");
        byte[] buffer = new byte[BUFFER];
        int counter = 0;
        TarArchiveEntry e;
        boolean any = false;
        while ((e = next(tar, any, zstd)) != null) {
            any = true;
            String name = e.getName();
            if (name.startsWith("./")) {
                name = name.substring(2);
            }
            if (e.isDirectory()) {
                String dir = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
                if (!dir.isEmpty() && !dir.equals(".")) {
                    checkDirectory(dir);
                }
                continue;
            }
            String shown = SnapshotFormat.printable(name);
            if (e.isSymbolicLink() || e.isLink()) {
                throw SnapshotException.member(
                        shown,
                        "is a link (to " + SnapshotFormat.printable(e.getLinkName())
                                + "); a snapshot holds regular files only");
            }
            if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                throw SnapshotException.member(shown, "is a device file or FIFO; a snapshot holds regular files only");
            }
            if (!e.isFile() || e.isSparse()) {
                throw SnapshotException.member(shown, "is not a regular file; a snapshot holds regular files only");
            }
            long limit = SnapshotFormat.isOwnFile(name)
                    ? limits.maxFileBytes()
                    : switch (SnapshotFormat.kindOf(name)) {
                        case ZIP -> limits.maxZipBytes();
                        case DL_ARCHIVE -> limits.maxArchiveBytes();
                        case GOCACHE_BUNDLE -> limits.maxBundleBytes();
                        default -> limits.maxFileBytes();
                    };
            if (staged.contains(name)) {
                throw SnapshotException.member(shown, "appears twice in the archive");
            }
            if (e.getSize() > limit) {
                throw SnapshotException.member(
                        shown, "is " + e.getSize() + " bytes, more than the " + limit + " allowed");
            }
            Path target = staged.dir().resolve("m" + counter++);
            MessageDigest md = SnapshotWriter.sha256();
            long size = 0;
            try (OutputStream out = Files.newOutputStream(target)) {
                int n;
                while ((n = read(tar, buffer, name)) > 0) {
                    md.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    size += n;
                }
            }
            if (size != e.getSize()) {
                throw SnapshotException.member(
                        shown, "ends after " + size + " of " + e.getSize() + " bytes: the file is truncated");
            }
            staged.add(
                    new StagedSnapshot.Member(name, target, size, HexFormat.of().formatHex(md.digest())));
        }
        if (!any) {
            throw new SnapshotException("not a snapshot: the file holds no tar archive members");
        }
    }

    private static TarArchiveEntry next(TarArchiveInputStream tar, boolean any, boolean zstd) throws SnapshotException {
        try {
            return tar.getNextEntry();
        } catch (IOException e) {
            if (zstd) {
                throw new SnapshotException("the zstd-compressed file is truncated or damaged: " + e.getMessage(), e);
            }
            throw new SnapshotException(
                    any
                            ? "the archive is damaged or truncated after its last complete member: " + e.getMessage()
                            : "not a snapshot (not a tar archive, plain or zstd-compressed): " + e.getMessage(),
                    e);
        }
    }

    private static int read(TarArchiveInputStream tar, byte[] buffer, String name) throws SnapshotException {
        try {
            return tar.read(buffer);
        } catch (IOException e) {
            throw SnapshotException.member(
                    SnapshotFormat.printable(name),
                    "cannot be read whole, the file is truncated or damaged: " + e.getMessage());
        }
    }

    private static void checkDirectory(String dir) throws SnapshotException {
        if (dir.startsWith("/") || !BlobKey.isValid(dir)) {
            throw SnapshotException.member(SnapshotFormat.printable(dir), "is a directory outside the snapshot");
        }
    }

    /** Counts the bytes read from the archive file, for progress. */
    private static final class Counting extends FilterInputStream {
        private final LongConsumer onBytes;
        private long count;

        Counting(InputStream in, LongConsumer onBytes) {
            super(in);
            this.onBytes = onBytes;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                onBytes.accept(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                onBytes.accept(count);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            onBytes.accept(count);
            return s;
        }
    }
}
