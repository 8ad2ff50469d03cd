package dev.granary.core.gocache;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Packs the entries of a build cache directory into a pre-warm bundle: a zstd-compressed tar whose
 * first entry is {@code manifest.json}, then every output ({@code -d}) and then every action entry
 * ({@code -a}) whose output is in the bundle, sorted by name. Only those two kinds of file are
 * packed: not {@code README}, {@code trim.txt}, {@code testexpire.txt}, the fuzz corpus, nor the
 * executables Go 1.24+ caches as {@code -d} directories. An output whose content does not hash to its
 * name is left out (a damaged cache file is never shipped).
 *
 * <p>Streams: memory use does not depend on the size of the cache. Entries carry fixed metadata
 * (mode 0644, the manifest's creation time, no owner), so the same cache packs to the same bytes.
 */
public final class BundleWriter {
    private static final int ZSTD_LEVEL = 3;

    private BundleWriter() {}

    /** What a bundle's manifest says besides its files. */
    public record Draft(
            String name, KeyInputs inputs, String gosum, List<String> modules, int packages, String builder) {}

    /** The cache files to pack, checked: outputs whose content hashes to their name, and action entries pointing at them. */
    public static List<BundleManifest.FileEntry> scan(Path gocache, Progress progress) throws IOException {
        List<Path> outputs = new ArrayList<>();
        List<Path> actions = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < 256; i++) {
            Path sub = gocache.resolve(HexFormat.of().toHexDigits((byte) i));
            if (!Files.isDirectory(sub)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(sub)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (n.length() != 66
                            || !CacheIds.isId(n.substring(0, 64))
                            || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    if (n.endsWith("-d")) {
                        outputs.add(p);
                        total += Files.size(p);
                    } else if (n.endsWith("-a")) {
                        actions.add(p);
                    }
                }
            }
        }
        progress.start("hashing build cache", total);
        Map<String, BundleManifest.FileEntry> byOutput = new HashMap<>();
        List<BundleManifest.FileEntry> files = new ArrayList<>();
        for (Path p : outputs) {
            String id = p.getFileName().toString().substring(0, 64);
            long size = Files.size(p);
            String sha = CacheIds.sha256(p);
            progress.advance(size);
            if (sha.equals(id)) {
                BundleManifest.FileEntry e = new BundleManifest.FileEntry(relative(p), size, sha);
                byOutput.put(id, e);
                files.add(e);
            }
        }
        for (Path p : actions) {
            byte[] content = Files.readAllBytes(p);
            Optional<ActionEntry> a = ActionEntry.parse(content);
            String id = p.getFileName().toString().substring(0, 64);
            if (a.isEmpty() || !a.get().actionId().equals(id)) {
                continue;
            }
            BundleManifest.FileEntry out = byOutput.get(a.get().outputId());
            if (out != null && out.size() == a.get().size()) {
                files.add(new BundleManifest.FileEntry(relative(p), content.length, CacheIds.sha256(content)));
            }
        }
        progress.done();
        // Outputs first, so that an extraction that stops early never leaves an action without its output.
        files.sort((x, y) -> x.isOutput() != y.isOutput()
                ? (x.isOutput() ? -1 : 1)
                : x.name().compareTo(y.name()));
        return files;
    }

    /**
     * Writes the bundle of {@code files} (from {@link #scan}) to {@code out} (not closed).
     *
     * @return the manifest written
     */
    public static BundleManifest write(
            Path gocache, List<BundleManifest.FileEntry> files, Draft draft, OutputStream out, Progress progress)
            throws IOException {
        Instant created = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        BundleManifest manifest = new BundleManifest(
                BundleManifest.FORMAT,
                draft.inputs().bundleId(draft.gosum()),
                draft.name(),
                created.toString(),
                draft.builder(),
                draft.inputs(),
                draft.gosum(),
                draft.modules(),
                draft.packages(),
                files);
        progress.start("packing bundle", manifest.totalBytes());
        ZstdOutputStream zstd = new ZstdOutputStream(new NonClosing(out), ZSTD_LEVEL);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(zstd)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            byte[] json = manifest.toJson();
            tar.putArchiveEntry(entry(BundleManifest.ENTRY, json.length, created));
            tar.write(json);
            tar.closeArchiveEntry();
            byte[] buf = new byte[64 << 10];
            for (BundleManifest.FileEntry f : files) {
                tar.putArchiveEntry(entry(f.name(), f.size(), created));
                long copied = 0;
                try (InputStream in = Files.newInputStream(gocache.resolve(f.name()))) {
                    for (int n;
                            copied < f.size()
                                    && (n = in.read(buf, 0, (int) Math.min(buf.length, f.size() - copied))) != -1; ) {
                        tar.write(buf, 0, n);
                        copied += n;
                        progress.advance(n);
                    }
                }
                if (copied != f.size()) {
                    throw new IOException(f.name() + " changed while it was packed");
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        progress.done();
        return manifest;
    }

    private static TarArchiveEntry entry(String name, long size, Instant time) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(size);
        e.setMode(0644);
        e.setLastModifiedTime(FileTime.from(time));
        e.setUserId(0);
        e.setGroupId(0);
        e.setUserName("");
        e.setGroupName("");
        return e;
    }

    private static String relative(Path p) {
        return p.getParent().getFileName() + "/" + p.getFileName();
    }

    /** Lets the tar and zstd streams be closed (flushing their ends) without closing the caller's stream. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
