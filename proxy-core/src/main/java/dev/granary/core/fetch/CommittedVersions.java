package dev.granary.core.fetch;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.Etags;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads committed versions: whether one exists, its go.sum lines, and its artifacts opened for
 * serving with a strong ETag (the h1 for .mod and .zip, identical on every replica).
 */
final class CommittedVersions {
    private final BlobStore store;
    /** Blobs up to this size without an ETag of their own are read to compute one. */
    private final long maxHashedBytes;

    CommittedVersions(BlobStore store, long maxHashedBytes) {
        this.store = store;
        this.maxHashedBytes = maxHashedBytes;
    }

    /** True when the version is committed (its .info exists). */
    boolean isStored(ModuleVersion mv) {
        // A get rather than a stat: the .info is small and usually in the hot tier, so this stays in memory.
        try (Blob b = store.get(StorageLayout.info(mv)).orElse(null)) {
            return b != null;
        } catch (IOException e) {
            throw Failures.storage("checking " + StorageLayout.info(mv), e);
        }
    }

    /** The {@code .info} of a committed version, or empty when it is not stored. */
    Optional<byte[]> storedInfo(ModuleVersion mv) {
        try (Blob b = store.get(StorageLayout.info(mv)).orElse(null)) {
            return b == null ? Optional.empty() : Optional.of(b.readAllBytes());
        } catch (IOException e) {
            throw Failures.storage("reading " + StorageLayout.info(mv), e);
        }
    }

    /** The go.sum lines of a committed version, or empty when it is not stored. */
    Optional<GoSum> sums(ModuleVersion mv) {
        BlobKey key = StorageLayout.sum(mv);
        try (Blob b = store.get(key).orElse(null)) {
            if (b == null) {
                return Optional.empty();
            }
            return Optional.ofNullable(GoSum.find(new String(b.readAllBytes(), StandardCharsets.UTF_8), mv));
        } catch (IOException e) {
            throw Failures.storage("reading " + key, e);
        }
    }

    Artifact info(ModuleVersion mv) {
        return open(StorageLayout.info(mv), () -> null);
    }

    Artifact mod(ModuleVersion mv) {
        return open(StorageLayout.mod(mv), () -> sums(mv).map(GoSum::modH1).orElse(null));
    }

    Artifact zip(ModuleVersion mv) {
        return open(StorageLayout.zip(mv), () -> sums(mv).map(GoSum::zipH1).orElse(null));
    }

    /**
     * The zip of a committed version, or empty when the version was committed without one (a go.mod-only
     * version imported from a snapshot).
     */
    Optional<Artifact> zipIfPresent(ModuleVersion mv) {
        BlobKey key = StorageLayout.zip(mv);
        Blob blob;
        try {
            blob = store.get(key).orElse(null);
        } catch (IOException e) {
            throw Failures.storage("reading " + key, e);
        }
        if (blob == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Artifact(
                    blob, etag(key, blob, () -> sums(mv).map(GoSum::zipH1).orElse(null)), true));
        } catch (RuntimeException e) {
            Failures.closeQuietly(blob, e);
            throw e;
        }
    }

    /**
     * True when the version was committed with its go.mod alone (a snapshot carried only its go.sum
     * {@code /go.mod} line): its {@code .sum} has no zip line. Its missing zip is no damage.
     */
    boolean isGoModOnly(ModuleVersion mv) {
        return sums(mv).map(s -> s.zipH1() == null && s.modH1() != null).orElse(false);
    }

    /** True when the version's zip is stored. */
    boolean hasZip(ModuleVersion mv) {
        try {
            return store.exists(StorageLayout.zip(mv));
        } catch (IOException e) {
            throw Failures.storage("checking " + StorageLayout.zip(mv), e);
        }
    }

    Optional<URI> presignZip(ModuleVersion mv, Duration expiry) {
        try {
            return store.presignGet(StorageLayout.zip(mv), expiry);
        } catch (IOException e) {
            throw Failures.storage("presigning " + StorageLayout.zip(mv), e);
        }
    }

    /**
     * A committed version one of whose files is gone: removed by retention or fsck in another process
     * (whose deletion this process's hot tier did not see), or lost. The caller forgets the version and
     * fetches it anew.
     */
    static final class Vanished extends ProxyException {
        Vanished(BlobKey key) {
            super(Kind.INTERNAL, key + " vanished from storage after commit");
        }
    }

    /** Drops the commit marker of a version found incomplete, so that it is fetched again. */
    void forget(ModuleVersion mv) {
        try {
            store.delete(StorageLayout.info(mv));
        } catch (IOException e) {
            throw Failures.storage("removing " + StorageLayout.info(mv), e);
        }
    }

    /** Opens a committed artifact; {@code h1} gives the hash that identifies it, or null. */
    private Artifact open(BlobKey key, Supplier<String> h1) {
        Blob blob;
        try {
            blob = store.get(key).orElseThrow(() -> new Vanished(key));
        } catch (IOException e) {
            throw Failures.storage("reading " + key, e);
        }
        try {
            return new Artifact(blob, etag(key, blob, h1), true);
        } catch (RuntimeException e) {
            Failures.closeQuietly(blob, e);
            throw e;
        }
    }

    private String etag(BlobKey key, Blob blob, Supplier<String> h1) {
        String hash = h1.get();
        if (hash != null) {
            return Etags.ofH1(hash);
        }
        Optional<String> tag =
                blob.heapBytes().map(Etags::of).or(() -> blob.etag().map(t -> "\"" + t + "\""));
        if (tag.isPresent() || blob.size() > maxHashedBytes) {
            return tag.orElse(null);
        }
        try {
            return Etags.of(blob.readAllBytes());
        } catch (IOException e) {
            throw Failures.storage("reading " + key, e);
        }
    }
}
