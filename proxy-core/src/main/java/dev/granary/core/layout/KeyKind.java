package dev.granary.core.layout;

/**
 * What a storage key holds, decided by {@link StorageLayout#kindOf}: whether it may ever change
 * (caches in front of a shared store keep only immutable keys) and the label it carries in metrics.
 */
public enum KeyKind {
    /** {@code <module>/@v/<version>.info}: the commit marker; a version exists iff it does. */
    INFO("info", true),
    /** {@code <module>/@v/<version>.mod}. */
    MOD("mod", true),
    /** {@code <module>/@v/<version>.zip}. */
    ZIP("zip", true),
    /** {@code <module>/@v/<version>.sum}: the version's two go.sum lines, written before the .info. */
    SUM("sum", true),
    /** {@code <module>/@v/list}: derived from the stored versions, rewritten on every commit. */
    LIST("list", false),
    /** {@code pins/<module>/@v/<version>.sum}: a private module's h1 hashes at first fetch. */
    PIN("pin", true),
    /** {@code leases/<module>/@v/<version>}: a replica's fetch lease; never behind a cache. */
    LEASE("lease", false),
    /** {@code sumdb/<name>/supported}: the go command's probe answer, so a tree works as file://. */
    SUMDB_SUPPORTED("sumdb", true),
    /** {@code sumdb/<name>/latest}: the newest verified signed tree head. */
    SUMDB_LATEST("sumdb", false),
    /** {@code sumdb/<name>/lookup/<module>@<version>}: a verified lookup answer. */
    SUMDB_LOOKUP("sumdb", true),
    /** {@code sumdb/<name>/tile/8/L/N[.p/W]}: an authenticated hash tile. */
    SUMDB_TILE("sumdb", true),
    /** {@code gocache/bundles/<id>.tar.zst}: a pre-warm bundle; replaced when it is published again. */
    GOCACHE_BUNDLE("gocache-bundle", false),
    /** {@code gocache/bundles/<id>.tar.zst.asc}: its detached OpenPGP signature, replaced with it. */
    GOCACHE_BUNDLE_SIGNATURE("gocache-bundle", false),
    /** {@code gocache/bundles/index.json}: the list of bundles, rewritten on every publish. */
    GOCACHE_BUNDLE_INDEX("gocache-bundle", false),
    /**
     * {@code gocache/actions/<aa>/<action id>}: a remote build cache entry, the go command's action
     * entry line naming the output; a later put of the same action replaces it.
     */
    GOCACHE_ACTION("gocache-action", false),
    /** {@code gocache/outputs/<oo>/<output id>}: a build output, named by the SHA-256 of its content. */
    GOCACHE_OUTPUT("gocache-output", true),
    /** {@code access/<module>/@v/<version>}: when the version was last requested (retention); rewritten daily at most. */
    ACCESS("access", false),
    /** {@code quarantine/<stamp>/<key>}: a copy of something fsck found corrupt, moved aside; never served. */
    QUARANTINE("quarantine", false),
    /** {@code toolchains/<version>.info}: a Go toolchain module version known to exist (its zip may not be stored). */
    TOOLCHAIN_INFO("toolchain", true),
    /** {@code dl/<filename>}: a Go release archive, verified by SHA-256 and OpenPGP signature. */
    DL_ARCHIVE("dl", true),
    /** {@code dl/<filename>.asc}: the archive's detached signature, written before the .sha256. */
    DL_SIGNATURE("dl", true),
    /** {@code dl/<filename>.sha256}: the archive's SHA-256, the commit marker: an archive exists iff it does. */
    DL_SHA256("dl", true),
    /** {@code dl/listing.json}, {@code dl/listing-all.json}: the release listing, refreshed after a TTL. */
    DL_LISTING("dl-listing", false),
    /** {@code dl/signing-key.asc}: the release signing key obtained from its URL (checked against the pin on every load). */
    DL_SIGNING_KEY("dl-key", false),
    /**
     * {@code snapshots/<id>/MANIFEST.json|SHA256SUMS|SHA256SUMS.asc}: the record of an imported snapshot,
     * written last by an import (its manifest marks the import complete).
     */
    SNAPSHOT("snapshot", true),
    /** {@code snapshots/<id>/journal}: an import in progress, rolled back or forward by the next start. */
    SNAPSHOT_JOURNAL("snapshot", false),
    /** Anything else (unknown files, future kinds): treated as mutable. */
    OTHER("other", false);

    private final String label;
    private final boolean immutable;

    KeyKind(String label, boolean immutable) {
        this.label = label;
        this.immutable = immutable;
    }

    /**
     * The metrics label: info, mod, zip, sum, list, pin, lease, sumdb, access, quarantine, toolchain, dl,
     * dl-listing, dl-key, snapshot, gocache-bundle, gocache-action, gocache-output, other.
     */
    public String label() {
        return label;
    }

    /** True when the content never changes once written. */
    public boolean immutable() {
        return immutable;
    }
}
