package dev.granary.core.gocache;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granary.core.Meters;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Pre-warm bundles in storage: {@code gocache/bundles/<id>.tar.zst}, its detached signature
 * {@code <id>.tar.zst.asc}, and {@code index.json}, the list of every bundle with what it is for.
 * A bundle is read whole and checked (manifest, every file's hash, every output's name) before it is
 * stored; one that fails is refused and nothing changes. Publishing a bundle with the same identity
 * again replaces it (a newer build for the same go.sum and toolchain), and removes the previous
 * signature, which would no longer match.
 *
 * <p>The index is rewritten under a lock in this process; replicas that publish to one bucket at the
 * same moment may lose each other's index line (the bundles themselves are stored either way, and the
 * next publish of either puts its line back).
 */
public final class BundleStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** A detached signature larger than this is refused (as {@code SignatureVerifier} would). */
    public static final int MAX_SIGNATURE_BYTES = 1 << 20;

    /** One line of the index. */
    public record IndexEntry(
            String id,
            String name,
            String goVersion,
            String goos,
            String goarch,
            String archLevel,
            boolean cgo,
            boolean trimpath,
            boolean race,
            List<String> tags,
            String gomodcache,
            String created,
            long size,
            int files,
            int packages,
            int modules,
            boolean signed) {}

    /** The index: every bundle, newest first. */
    public record Index(List<IndexEntry> bundles) {
        public Index {
            bundles = List.copyOf(bundles == null ? List.of() : bundles);
        }
    }

    private final BlobStore store;
    private final ReentrantLock indexLock = new ReentrantLock();
    private final Counter published;
    private final Counter refused;

    public BundleStore(BlobStore store, MeterRegistry registry) {
        this.store = store;
        this.published = Counter.builder(Meters.GOCACHE_BUNDLES_PUBLISHED)
                .tag("result", "stored")
                .description("Pre-warm bundles published")
                .register(registry);
        this.refused = Counter.builder(Meters.GOCACHE_BUNDLES_PUBLISHED)
                .tag("result", "refused")
                .description("Pre-warm bundles published")
                .register(registry);
    }

    /**
     * Checks the bundle in {@code file} and stores it under its identity.
     *
     * @param expectedId the identity the publisher named (the URL), or null to take the manifest's
     * @throws BundleException when the bundle is malformed, damaged, or not the one named
     */
    public BundleManifest publish(Path file, String expectedId) throws BundleException, IOException {
        BundleManifest m;
        try (BundleReader r = BundleReader.open(Files.newInputStream(file))) {
            m = r.manifest();
            if (expectedId != null && !expectedId.equals(m.id())) {
                throw new BundleException(
                        BundleException.Reason.MALFORMED, "the bundle's identity is " + m.id() + ", not " + expectedId);
            }
            r.verify(Progress.NONE);
        } catch (BundleException e) {
            refused.increment();
            throw e;
        }
        long size = Files.size(file);
        indexLock.lock();
        try {
            store.delete(StorageLayout.gocacheBundleSignature(m.id()));
            store.put(StorageLayout.gocacheBundle(m.id()), file, PutMode.REPLACE);
            updateIndex(entry(m, size, false));
        } finally {
            indexLock.unlock();
        }
        published.increment();
        return m;
    }

    /**
     * Stores the detached signature of a stored bundle.
     *
     * @return false when there is no bundle with that identity
     * @throws IllegalArgumentException when the content is not an OpenPGP signature (armored or binary) or too large
     */
    public boolean publishSignature(String id, Path signature) throws IOException {
        if (!isSignature(signature)) {
            throw new IllegalArgumentException("not a detached OpenPGP signature (armored or binary, at most 1 MiB)");
        }
        indexLock.lock();
        try {
            if (!store.exists(StorageLayout.gocacheBundle(id))) {
                return false;
            }
            store.put(StorageLayout.gocacheBundleSignature(id), signature, PutMode.REPLACE);
            Index idx = index();
            List<IndexEntry> entries = new ArrayList<>();
            for (IndexEntry e : idx.bundles()) {
                entries.add(
                        e.id().equals(id)
                                ? new IndexEntry(
                                        e.id(),
                                        e.name(),
                                        e.goVersion(),
                                        e.goos(),
                                        e.goarch(),
                                        e.archLevel(),
                                        e.cgo(),
                                        e.trimpath(),
                                        e.race(),
                                        e.tags(),
                                        e.gomodcache(),
                                        e.created(),
                                        e.size(),
                                        e.files(),
                                        e.packages(),
                                        e.modules(),
                                        true)
                                : e);
            }
            writeIndex(new Index(entries));
            return true;
        } finally {
            indexLock.unlock();
        }
    }

    public Optional<Blob> bundle(String id) throws IOException {
        return store.get(StorageLayout.gocacheBundle(id));
    }

    public Optional<Blob> signature(String id) throws IOException {
        return store.get(StorageLayout.gocacheBundleSignature(id));
    }

    /** The index as stored (an empty one when nothing was published). */
    public Index index() throws IOException {
        return read(store);
    }

    /** The index's JSON bytes. */
    public byte[] indexJson() throws IOException {
        return JSON.writeValueAsBytes(index());
    }

    private void updateIndex(IndexEntry added) throws IOException {
        List<IndexEntry> entries = new ArrayList<>();
        entries.add(added);
        for (IndexEntry e : index().bundles()) {
            if (!e.id().equals(added.id())) {
                entries.add(e);
            }
        }
        entries.sort(Comparator.comparing(IndexEntry::created).reversed());
        writeIndex(new Index(entries));
    }

    private void writeIndex(Index idx) throws IOException {
        store.put(StorageLayout.gocacheBundleIndex(), JSON.writeValueAsBytes(idx));
    }

    /**
     * Adds (or replaces, by identity) index entries in the index of {@code store}; used by snapshot
     * import, which holds its own lock. Idempotent.
     */
    public static void addToIndex(BlobStore store, List<IndexEntry> added) throws IOException {
        Index idx = read(store);
        List<IndexEntry> entries = new ArrayList<>(added);
        for (IndexEntry e : idx.bundles()) {
            if (added.stream().noneMatch(a -> a.id().equals(e.id()))) {
                entries.add(e);
            }
        }
        entries.sort(Comparator.comparing(IndexEntry::created).reversed());
        store.put(StorageLayout.gocacheBundleIndex(), JSON.writeValueAsBytes(new Index(entries)));
    }

    private static Index read(BlobStore store) throws IOException {
        Optional<Blob> b = store.get(StorageLayout.gocacheBundleIndex());
        if (b.isEmpty()) {
            return new Index(List.of());
        }
        try (Blob blob = b.get();
                InputStream in = blob.openStream()) {
            return JSON.readValue(in, Index.class);
        }
    }

    /** An index as JSON, as {@code index.json} holds it. */
    public static byte[] toJson(Index idx) {
        try {
            return JSON.writeValueAsBytes(idx);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a bundle index", e);
        }
    }

    /** Parses an index. */
    public static Index parseIndex(byte[] json) throws IOException {
        Index idx = JSON.readValue(json, Index.class);
        if (idx == null) {
            throw new IOException("not a bundle index (null)");
        }
        return idx;
    }

    /** The index entry of a bundle with manifest {@code m}, {@code size} bytes, signed or not. */
    public static IndexEntry entry(BundleManifest m, long size, boolean signed) {
        KeyInputs in = m.inputs();
        return new IndexEntry(
                m.id(),
                m.name(),
                in.goVersion(),
                in.goos(),
                in.goarch(),
                in.archLevel(),
                in.cgo(),
                in.trimpath(),
                in.race(),
                in.tags(),
                in.gomodcache(),
                m.created(),
                size,
                m.files().size(),
                m.packages(),
                m.modules().size(),
                signed);
    }

    /** True when {@code p} is small enough and looks like a detached OpenPGP signature (armored or binary). */
    public static boolean isSignature(Path p) throws IOException {
        return Files.size(p) <= MAX_SIGNATURE_BYTES && looksLikeOpenPgp(p);
    }

    private static boolean looksLikeOpenPgp(Path p) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(p)) {
            head = in.readNBytes(64);
        }
        if (head.length == 0) {
            return false;
        }
        if ((head[0] & 0x80) != 0) {
            return true; // a binary packet tag (RFC 4880 section 4.2)
        }
        return new String(head, StandardCharsets.US_ASCII).stripLeading().startsWith("-----BEGIN PGP SIGNATURE-----");
    }
}
