package dev.granary.core.gocache;

import com.github.luben.zstd.ZstdInputStream;
import dev.granary.core.gocache.BundleException.Reason;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a pre-warm bundle as a stream: the manifest first ({@link #open}), then every file, each
 * checked before it is used. A file is refused when the manifest does not list it, when it is not a
 * regular file, when its size or SHA-256 differs from the manifest, when an output ({@code -d}) does
 * not hash to its own name (the go command would link a damaged output into a binary without
 * noticing), or when an action entry ({@code -a}) is malformed, names another action, or points at
 * an output the bundle does not hold. A bundle that ends before every listed file was seen is
 * refused as incomplete.
 *
 * <p>{@link #extract} writes each file to a temporary name next to its place, checks it, then renames
 * it into place (new files get the current time as mtime, so the go command's trimming, which
 * removes entries unused for five days, keeps them). Files already present are left as they are. If
 * anything is refused, the files this extraction placed are removed again: a refused bundle leaves the
 * cache as it was. Memory use does not depend on the bundle's size.
 */
public final class BundleReader implements Closeable {
    private final TarArchiveInputStream tar;
    private final BundleManifest manifest;
    private final Map<String, BundleManifest.FileEntry> byName = new HashMap<>();
    private final Map<String, BundleManifest.FileEntry> outputs = new HashMap<>();

    private BundleReader(TarArchiveInputStream tar, BundleManifest manifest) {
        this.tar = tar;
        this.manifest = manifest;
        for (BundleManifest.FileEntry f : manifest.files()) {
            byName.put(f.name(), f);
            if (f.isOutput()) {
                outputs.put(f.cacheId(), f);
            }
        }
    }

    /** What one extraction did. */
    public record Extracted(int placed, int present, long bytes) {}

    /**
     * Opens a bundle and reads its manifest; the stream is owned (closed by {@link #close}).
     *
     * @throws BundleException MALFORMED when it is not zstd, not a tar, or does not start with a valid manifest
     */
    public static BundleReader open(InputStream compressed) throws BundleException, IOException {
        TarArchiveInputStream tar;
        try {
            tar = new TarArchiveInputStream(new ZstdInputStream(compressed));
        } catch (IOException e) {
            compressed.close();
            throw new BundleException(
                    Reason.MALFORMED, "not a pre-warm bundle (zstd-compressed tar): " + e.getMessage(), e);
        }
        try {
            TarArchiveEntry first = next(tar);
            if (first == null || !first.getName().equals(BundleManifest.ENTRY) || !first.isFile()) {
                throw new BundleException(
                        Reason.MALFORMED, "not a pre-warm bundle: the first entry is not " + BundleManifest.ENTRY);
            }
            if (first.getSize() > BundleManifest.MAX_BYTES) {
                throw new BundleException(
                        Reason.MALFORMED,
                        "bundle manifest is larger than " + (BundleManifest.MAX_BYTES >> 20) + " MiB");
            }
            byte[] json = read(tar, (int) first.getSize());
            return new BundleReader(tar, BundleManifest.parse(json));
        } catch (BundleException | RuntimeException e) {
            tar.close();
            throw e;
        }
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** Checks every file against the manifest, writing nothing, reporting no progress. */
    public void verify() throws BundleException, IOException {
        verify(Progress.NONE);
    }

    /** Checks every file against the manifest, writing nothing. */
    public void verify(Progress progress) throws BundleException, IOException {
        progress.start("verifying bundle", manifest.totalBytes());
        try {
            each(progress, (f, in) -> {
                byte[] small = f.isOutput() ? null : in.readNBytes((int) Math.min(f.size(), ActionEntry.LENGTH + 1));
                String sha = small != null ? CacheIds.sha256(small) : CacheIds.sha256(in);
                check(f, sha, small);
            });
        } finally {
            progress.done();
        }
    }

    /**
     * Extracts every file into the build cache directory {@code gocache} (created if needed).
     *
     * @throws BundleException when a file is refused; nothing this call placed is left behind
     */
    public Extracted extract(Path gocache, Progress progress) throws BundleException, IOException {
        Files.createDirectories(gocache);
        List<Path> placed = new ArrayList<>();
        int[] present = {0};
        long[] bytes = {0};
        progress.start("extracting bundle", manifest.totalBytes());
        boolean ok = false;
        try {
            each(progress, (f, in) -> {
                Path target = gocache.resolve(f.name());
                Path dir = Files.createDirectories(target.getParent());
                Path tmp = dir.resolve(".granary-restore-" + UUID.randomUUID() + ".tmp");
                try {
                    MessageDigest md = CacheIds.sha256();
                    byte[] small = null;
                    if (f.isOutput()) {
                        try (OutputStream out = Files.newOutputStream(tmp)) {
                            byte[] buf = new byte[64 << 10];
                            for (int n; (n = in.read(buf)) != -1; ) {
                                md.update(buf, 0, n);
                                out.write(buf, 0, n);
                            }
                        }
                    } else {
                        small = in.readNBytes((int) Math.min(f.size(), ActionEntry.LENGTH + 1));
                        md.update(small);
                        Files.write(tmp, small);
                    }
                    check(f, CacheIds.hex(md.digest()), small);
                    if (Files.exists(target)) {
                        present[0]++;
                        return;
                    }
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (FileAlreadyExistsException e) {
                        present[0]++;
                        return;
                    }
                    placed.add(target);
                    bytes[0] += f.size();
                } finally {
                    Files.deleteIfExists(tmp);
                }
            });
            ok = true;
        } finally {
            progress.done();
            if (!ok) {
                for (Path p : placed) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return new Extracted(placed.size(), present[0], bytes[0]);
    }

    @Override
    public void close() throws IOException {
        tar.close();
    }

    private interface FileSink {
        /** Consumes {@code in}: exactly the entry's bytes, as many as the manifest lists. */
        void accept(BundleManifest.FileEntry f, InputStream in) throws BundleException, IOException;
    }

    private void each(Progress progress, FileSink sink) throws BundleException, IOException {
        Set<String> seen = new HashSet<>();
        TarArchiveEntry e;
        while ((e = next(tar)) != null) {
            String name = e.getName();
            BundleManifest.FileEntry f = byName.get(name);
            if (f == null) {
                throw new BundleException(
                        Reason.MALFORMED, "bundle entry " + BundleManifest.printable(name) + " is not in its manifest");
            }
            if (!seen.add(name)) {
                throw new BundleException(Reason.MALFORMED, "bundle holds " + name + " twice");
            }
            if (!e.isFile()) {
                throw new BundleException(Reason.MALFORMED, "bundle entry " + name + " is not a regular file");
            }
            if (e.getSize() != f.size()) {
                throw new BundleException(
                        Reason.CORRUPT, name + " is " + e.getSize() + " bytes; the manifest says " + f.size());
            }
            InputStream in = new Counting(tar, progress);
            try {
                sink.accept(f, in);
            } catch (UnreadableArchive ex) {
                throw decodingFailure(ex.getCause());
            }
        }
        if (seen.size() != byName.size()) {
            throw new BundleException(
                    Reason.INCOMPLETE,
                    "bundle ends after " + seen.size() + " of the " + byName.size()
                            + " files its manifest lists (truncated?)");
        }
    }

    /** The checks of one file's content: the manifest's hash, an output's own name, an action entry's sense. */
    private void check(BundleManifest.FileEntry f, String sha, byte[] actionContent) throws BundleException {
        if (!sha.equals(f.sha256())) {
            throw new BundleException(
                    Reason.CORRUPT, f.name() + " has SHA-256 " + sha + "; the manifest says " + f.sha256());
        }
        if (f.isOutput()) {
            if (!sha.equals(f.cacheId())) {
                throw new BundleException(
                        Reason.CORRUPT,
                        "output " + f.name() + " has SHA-256 " + sha
                                + ": an output must be named by the SHA-256 of its content");
            }
            return;
        }
        Optional<ActionEntry> a = ActionEntry.parse(actionContent);
        if (a.isEmpty() || !a.get().actionId().equals(f.cacheId())) {
            throw new BundleException(
                    Reason.CORRUPT, "action entry " + f.name() + " is malformed or names another action");
        }
        BundleManifest.FileEntry out = outputs.get(a.get().outputId());
        if (out == null || out.size() != a.get().size()) {
            throw new BundleException(
                    Reason.CORRUPT,
                    "action entry " + f.name() + " points at output " + a.get().outputId()
                            + ", which the bundle does not hold with that size");
        }
    }

    private static TarArchiveEntry next(TarArchiveInputStream tar) throws BundleException {
        try {
            return tar.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw new BundleException(
                    Reason.MALFORMED, "bundle is not a valid zstd-compressed tar: " + e.getMessage(), e);
        }
    }

    private static byte[] read(TarArchiveInputStream tar, int size) throws BundleException {
        try {
            byte[] b = tar.readNBytes(size);
            if (b.length != size) {
                throw new BundleException(Reason.INCOMPLETE, "bundle ends inside its manifest");
            }
            return b;
        } catch (IOException e) {
            throw decodingFailure(e);
        }
    }

    private static BundleException decodingFailure(Throwable e) {
        return new BundleException(Reason.MALFORMED, "bundle is not a valid zstd-compressed tar: " + e.getMessage(), e);
    }

    /** Reading the archive itself failed (as opposed to writing what was read): the bundle is damaged. */
    private static final class UnreadableArchive extends IOException {
        UnreadableArchive(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The current entry's bytes, counted into the progress; failures to read them are {@link UnreadableArchive}. */
    private static final class Counting extends InputStream {
        private final InputStream in;
        private final Progress progress;

        Counting(InputStream in, Progress progress) {
            this.in = in;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = in.read();
            } catch (IOException e) {
                throw new UnreadableArchive(e);
            }
            if (b >= 0) {
                progress.advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw new UnreadableArchive(e);
            }
            if (n > 0) {
                progress.advance(n);
            }
            return n;
        }
    }
}
