package dev.granary.core.dl;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.dl.ReleaseListing.Release;
import dev.granary.core.dl.ReleaseListing.ReleaseFile;
import dev.granary.core.fetch.RecentFailures;
import dev.granary.core.fetch.SingleFlight;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.GoVersion;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SignatureVerifier;
import dev.granary.core.pgp.VerifiedSignature;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.Etags;
import dev.granary.core.upstream.MeteredUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.TempFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mirror of the Go release site (go.dev/dl): its listing and its archives, each archive verified
 * twice before it is stored or served: its SHA-256 must equal the listing's, and its detached OpenPGP
 * signature ({@code <filename>.asc}) must verify against the {@link DlTrust} keys.
 *
 * <p>Implementation notes:
 * <ul>
 *   <li><b>Listing.</b> The site's two listings ({@code ?mode=json} and {@code ?mode=json&include=all})
 *       are fetched on demand, validated, stored ({@code dl/listing[-all].json}) and fresh for
 *       {@link DlSettings#listingTtl()}; when the site fails, the last one is answered stale. With no
 *       upstream (offline, inside the air gap) the stored {@code include=all} listing is answered,
 *       narrowed to the files stored here, so a client never picks a version it cannot download.</li>
 *   <li><b>Archives</b> are fetched once however many clients ask ({@link SingleFlight} per file name),
 *       signature first (a missing {@code .asc} costs no archive download), then the archive streamed to
 *       a temporary file in the storage root, bounded by {@link DlSettings#maxArchiveBytes()}. Size,
 *       SHA-256 and signature are checked; only then are archive, {@code .asc} and {@code .sha256}
 *       committed, in that order: an archive exists iff its {@code .sha256} does.</li>
 *   <li><b>Refusals</b> (size, SHA-256, missing or bad signature, a signing key that is not the pinned
 *       one) are {@link RefusedException}s: answered 502 with the reason, counted in
 *       {@code granary_verification_failures_total{reason}}, logged once at error level, remembered for
 *       {@link DlSettings#failureTtl()}, and nothing is stored.</li>
 * </ul>
 * Methods block (network, disk, hashing): call them from a virtual thread, never an event loop.
 */
public final class DlMirror {
    private static final Logger log = LoggerFactory.getLogger(DlMirror.class);
    private static final int HASH_CHUNK = 256 << 10;

    /** A committed archive: what its {@code .sha256} says and how large it is. */
    public record Archive(String filename, String sha256, long size) {}

    /** An archive checked end to end: hash recomputed and signature verified. */
    public record Verified(Archive archive, VerifiedSignature signature) {}

    /**
     * Files of the listing chosen by version specs and platforms.
     *
     * @param files    the release files, in listing order
     * @param problems specs that named no release, platforms a release has no archive for
     */
    public record Selection(List<ReleaseFile> files, List<String> problems) {}

    /** What a prefetch did for one file: the archive, or why it failed. */
    public record Outcome(String filename, Optional<Archive> archive, Optional<String> failure) {}

    /** A listing held in memory with its answer precomputed; fetched at (0 = read from storage), fresh until. */
    private record Cached(ReleaseListing listing, Artifact answer, long fetchedNanos, long freshUntilNanos) {}

    /** How long a request that has a stale listing to fall back on waits for a refresh. */
    static final Duration STALE_WAIT = Duration.ofSeconds(5);

    private final BlobStore store;
    private final Upstream upstream;
    private final DlTrust trust;
    private final DlSettings settings;
    private final MeterRegistry registry;
    private final SingleFlight<String, Archive> fetches;
    private final SingleFlight<String, Cached> listingFetches;
    private final RecentFailures<String, ProxyException> recent;
    private final RecentFailures<String, ProxyException> listingFailures;
    private final AtomicReference<Cached> listingAll = new AtomicReference<>();
    private final AtomicReference<Cached> listingCurrent = new AtomicReference<>();
    private final Counter committed;
    private final Counter stale;

    /**
     * @param upstream the release site (its base URL: files are {@code <base><filename>}, the listing
     *                 {@code <base>?mode=json&include=all}), or null to serve from storage alone
     */
    public DlMirror(
            BlobStore store,
            Upstream upstream,
            DlTrust trust,
            DlSettings settings,
            MeterRegistry registry,
            Executor executor) {
        this.store = store;
        this.upstream = upstream;
        this.trust = trust;
        this.settings = settings;
        this.registry = registry;
        Counter joins = Counter.builder(Meters.SINGLEFLIGHT_JOINS)
                .description("Requests that joined a fetch already in progress")
                .register(registry);
        this.fetches = new SingleFlight<>(executor, joins::increment);
        this.listingFetches = new SingleFlight<>(executor, joins::increment);
        this.recent = RecentFailures.ofExceptions(settings.notFoundTtl(), settings.failureTtl());
        this.listingFailures = RecentFailures.ofExceptions(settings.failureTtl(), settings.failureTtl());
        this.committed = Counter.builder(Meters.DL_COMMITTED)
                .description("Release archives fetched, verified (SHA-256 and signature) and committed")
                .register(registry);
        this.stale = Counter.builder(Meters.DL_LISTING_STALE)
                .description("Release listing answers served stale because the release site failed")
                .register(registry);
    }

    /** True when there is a release site to fetch from. */
    public boolean online() {
        return upstream != null;
    }

    public DlTrust trust() {
        return trust;
    }

    // ---- serving -------------------------------------------------------------------------------

    /** The answer to a {@link DlRequest}. */
    public Artifact serve(DlRequest request) {
        return switch (request) {
            case DlRequest.Listing l -> listing(l.all());
            case DlRequest.File f -> file(f.filename(), f.part());
        };
    }

    /**
     * The listing as JSON: {@code all} for {@code include=all}. From the release site (cached for the
     * TTL, stale when the site fails), or offline the stored listing narrowed to the stored files.
     */
    public Artifact listing(boolean all) {
        if (upstream == null) {
            ReleaseListing l = offlineListing(all);
            return Artifact.mutable(l.toJson());
        }
        Cached c = listingFor(all, false);
        return new Artifact(c.answer().blob(), c.answer().etag(), false);
    }

    /** A stored archive, its {@code .sha256} or its {@code .asc}; fetched and verified first when it is not stored. */
    public Artifact file(String filename, DlRequest.Part part) {
        Archive a = ensure(filename);
        BlobKey key = switch (part) {
            case ARCHIVE -> StorageLayout.dlArchive(filename);
            case SHA256 -> StorageLayout.dlSha256(filename);
            case SIGNATURE -> StorageLayout.dlSignature(filename);
        };
        Blob blob;
        try {
            blob = store.get(key)
                    .orElseThrow(() -> new ProxyException(Kind.INTERNAL, key + " vanished from storage after commit"));
        } catch (IOException e) {
            throw storage("reading " + key, e);
        }
        String etag = part == DlRequest.Part.ARCHIVE
                ? Etags.ofSha256Hex(a.sha256())
                : blob.heapBytes().map(Etags::of).orElse(null);
        if (etag == null) {
            try {
                etag = Etags.of(blob.readAllBytes());
            } catch (IOException e) {
                closeQuietly(blob);
                throw storage("reading " + key, e);
            }
        }
        return new Artifact(blob, etag, true);
    }

    // ---- archives ------------------------------------------------------------------------------

    /** The committed archive {@code filename}, if it is stored. */
    public Optional<Archive> stored(String filename) {
        requireValid(filename);
        byte[] sha;
        try (Blob b = store.get(StorageLayout.dlSha256(filename)).orElse(null)) {
            if (b == null) {
                return Optional.empty();
            }
            sha = b.readAllBytes();
        } catch (IOException e) {
            throw storage("reading " + StorageLayout.dlSha256(filename), e);
        }
        long size;
        try {
            size = store.stat(StorageLayout.dlArchive(filename))
                    .map(s -> s.size())
                    .orElse(-1L);
        } catch (IOException e) {
            throw storage("reading " + StorageLayout.dlArchive(filename), e);
        }
        return Optional.of(new Archive(filename, new String(sha, StandardCharsets.US_ASCII).strip(), size));
    }

    /**
     * The archive committed, fetching and verifying it first when it is not stored. Concurrent callers
     * share one fetch; a recent failure is answered again without fetching.
     *
     * @throws ProxyException NOT_FOUND when the listing does not have it (or offline and not stored);
     *                        VERIFICATION_FAILED (a {@link RefusedException}) when it fails a check;
     *                        UPSTREAM_FAILED/TIMEOUT when the site fails
     */
    public Archive ensure(String filename) {
        Optional<Archive> s = stored(filename);
        if (s.isPresent()) {
            return s.get();
        }
        recent.check(filename);
        return fetches.run(filename, () -> fetch(filename), settings.fetchWait());
    }

    /** The stored archive names (those whose {@code .sha256} exists), sorted. */
    public List<String> storedFiles() {
        Set<String> out = new TreeSet<>();
        try {
            for (BlobKey k : store.list(StorageLayout.dlDir())) {
                if (StorageLayout.kindOf(k) == KeyKind.DL_SHA256) {
                    String name = k.name();
                    out.add(name.substring(
                            0, name.length() - DlRequest.Part.SHA256.suffix().length()));
                }
            }
        } catch (IOException e) {
            throw storage("listing " + StorageLayout.dlDir(), e);
        }
        return List.copyOf(out);
    }

    /** The storage keys of an archive, in commit order: archive, signature, checksum (the commit marker). */
    public static List<BlobKey> keys(String filename) {
        requireValid(filename);
        return List.of(
                StorageLayout.dlArchive(filename),
                StorageLayout.dlSignature(filename),
                StorageLayout.dlSha256(filename));
    }

    private Archive fetch(String filename) {
        try {
            Optional<Archive> s = stored(filename);
            if (s.isPresent()) {
                return s.get();
            }
            if (upstream == null) {
                throw ProxyException.notFound(filename + " is not in this mirror (dl.upstream is off)");
            }
            ReleaseFile entry = entryFor(filename);
            return download(entry).archive();
        } catch (ProxyException e) {
            recent.remember(filename, e);
            throw e;
        }
    }

    /** The listing entry of {@code filename}; a name missing from a listing older than the not-found TTL refreshes it once. */
    private ReleaseFile entryFor(String filename) {
        Cached c = listingFor(true, false);
        Optional<ReleaseFile> f = c.listing().find(filename);
        if (f.isEmpty()
                && System.nanoTime() - c.fetchedNanos() > settings.notFoundTtl().toNanos()) {
            try {
                f = listingFor(true, true).listing().find(filename);
            } catch (ProxyException e) {
                log.debug("refreshing the release listing for {}: {}", filename, e.getMessage());
            }
        }
        return f.orElseThrow(() -> ProxyException.notFound(filename + " is not in the release listing"));
    }

    /** Signature, archive, checks, commit. */
    private Verified download(ReleaseFile entry) {
        String filename = entry.filename();
        long start = System.nanoTime();
        if (!entry.hasSha256()) {
            throw refuse(
                    "dl-sha256-mismatch",
                    filename + ": the release listing gives no SHA-256 for it, so it cannot be checked");
        }
        if (entry.size() > settings.maxArchiveBytes()) {
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED,
                    filename + " is " + entry.size() + " bytes, more than the " + settings.maxArchiveBytes()
                            + " accepted (dl.max-archive-bytes)");
        }
        byte[] signature;
        try {
            signature = timed(
                    "dl-signature",
                    () -> upstream.fetch(
                            filename + DlRequest.Part.SIGNATURE.suffix(), SignatureVerifier.MAX_SIGNATURE_BYTES));
        } catch (ProxyException e) {
            if (e.kind() == Kind.NOT_FOUND || e.kind() == Kind.GONE) {
                throw refuse(
                        "dl-signature-missing",
                        filename + ": the release site has no signature (" + filename
                                + ".asc) for it; an archive that cannot be verified is not mirrored");
            }
            throw e;
        }
        // The key first: a key that cannot be obtained or is not the pinned one costs no archive download.
        SignatureVerifier verifier;
        try {
            verifier = trust.verifier();
        } catch (RefusedException e) {
            throw refuse(e.reason(), e.getMessage());
        }
        Path tmp = null;
        try {
            tmp = newTempFile();
            Path target = tmp;
            long n = timed("dl", () -> upstream.download(filename, target, settings.maxArchiveBytes()));
            Verified v = check(entry, tmp, signature, verifier, n);
            commit(filename, tmp, signature, v.archive().sha256());
            log.info(
                    "committed {} ({} bytes, sha256 {}, signed by {}) in {} ms",
                    filename,
                    n,
                    v.archive().sha256(),
                    v.signature().keyFingerprint(),
                    (System.nanoTime() - start) / 1_000_000);
            return v;
        } catch (IOException e) {
            throw storage("committing " + filename, e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    /** Size, SHA-256 against the listing, signature against the trusted keys: the archive or a refusal. */
    private Verified check(ReleaseFile entry, Path file, byte[] signature, SignatureVerifier verifier, long size)
            throws IOException {
        String filename = entry.filename();
        if (entry.size() > 0 && size != entry.size()) {
            throw refuse(
                    "dl-size-mismatch",
                    filename + ": the release site sent " + size + " bytes, the listing says " + entry.size()
                            + "; nothing was stored");
        }
        String actual = sha256(file);
        if (!actual.equals(entry.sha256())) {
            throw refuse(
                    "dl-sha256-mismatch",
                    filename + ": SHA-256 mismatch\n\tdownloaded: " + actual + "\n\tlisting:    " + entry.sha256()
                            + "\nSECURITY ERROR: the archive differs from the release listing; nothing was stored.");
        }
        VerifiedSignature sig = verifySignature(filename, file, signature, verifier);
        return new Verified(new Archive(filename, actual, size), sig);
    }

    private VerifiedSignature verifySignature(String filename, Path file, byte[] signature, SignatureVerifier verifier)
            throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return verifier.verifyDetached(in, new ByteArrayInputStream(signature));
        } catch (PgpException e) {
            throw refuse(
                    "dl-signature-refused",
                    filename + ": signature refused: " + e.getMessage()
                            + "\nSECURITY ERROR: the archive is not signed by a trusted release key; nothing was stored.");
        }
    }

    /** Archive, signature, then the checksum: the commit marker. */
    private void commit(String filename, Path archive, byte[] signature, String sha256) throws IOException {
        store.put(StorageLayout.dlArchive(filename), archive, PutMode.REPLACE);
        store.put(StorageLayout.dlSignature(filename), signature);
        store.put(StorageLayout.dlSha256(filename), sha256.getBytes(StandardCharsets.US_ASCII));
        committed.increment();
    }

    private RefusedException refuse(String reason, String message) {
        registry.counter(Meters.VERIFICATION_FAILURES, "reason", reason).increment();
        log.error("refused {}", message);
        return new RefusedException(reason, message);
    }

    // ---- verification of what is stored or imported -------------------------------------------

    /**
     * Checks a stored archive again, end to end: the archive's SHA-256 equals its stored
     * {@code .sha256} (and the stored listing's, when the listing has the file), and its stored
     * {@code .asc} verifies against the trusted keys. Nothing is changed.
     *
     * @throws ProxyException NOT_FOUND when it is not stored; a {@link RefusedException} when a check fails
     */
    public Verified verifyStored(String filename) {
        Archive a = stored(filename).orElseThrow(() -> ProxyException.notFound(filename + " is not stored"));
        byte[] signature = read(StorageLayout.dlSignature(filename))
                .orElseThrow(() -> refuse("dl-signature-missing", filename + ": its stored signature is missing"));
        Optional<ReleaseFile> listed = storedListing(true).flatMap(l -> l.find(filename));
        if (listed.isPresent()
                && listed.get().hasSha256()
                && !listed.get().sha256().equals(a.sha256())) {
            throw refuse(
                    "dl-sha256-mismatch",
                    filename + ": stored .sha256 " + a.sha256() + " differs from the listing's "
                            + listed.get().sha256());
        }
        String actual;
        try (Blob b = store.get(StorageLayout.dlArchive(filename))
                        .orElseThrow(() -> refuse("dl-size-mismatch", filename + ": its stored archive is missing"));
                InputStream in = b.openStream()) {
            actual = sha256(in);
        } catch (IOException e) {
            throw storage("reading " + StorageLayout.dlArchive(filename), e);
        }
        if (!actual.equals(a.sha256())) {
            throw refuse(
                    "dl-sha256-mismatch",
                    filename + ": stored archive has SHA-256 " + actual + ", its .sha256 says " + a.sha256());
        }
        SignatureVerifier verifier = trust.verifier();
        try (Blob b = store.get(StorageLayout.dlArchive(filename)).orElseThrow();
                InputStream in = b.openStream()) {
            return new Verified(a, verifier.verifyDetached(in, new ByteArrayInputStream(signature)));
        } catch (PgpException e) {
            throw refuse("dl-signature-refused", filename + ": stored signature refused: " + e.getMessage());
        } catch (IOException e) {
            throw storage("reading " + StorageLayout.dlArchive(filename), e);
        }
    }

    /**
     * Verifies an archive that arrived from elsewhere (a snapshot) exactly as a download is verified,
     * against {@code entry} (its listing entry) and {@code signature} (its {@code .asc}), and commits it.
     * A disk store renames {@code archive} into place when it is a temporary file of the storage root
     * ({@link TempFiles}), else copies it; the caller removes it if it is still there.
     *
     * @throws RefusedException when a check fails; nothing is stored then
     */
    public Verified importArchive(ReleaseFile entry, Path archive, byte[] signature) {
        requireValid(entry.filename());
        if (!entry.hasSha256()) {
            throw refuse("dl-sha256-mismatch", entry.filename() + ": no SHA-256 to check it against");
        }
        try {
            Verified v = check(entry, archive, signature, trust.verifier(), Files.size(archive));
            commit(entry.filename(), archive, signature, v.archive().sha256());
            return v;
        } catch (IOException e) {
            throw storage("importing " + entry.filename(), e);
        }
    }

    /**
     * Stores a listing that arrived from elsewhere (a snapshot), merged with the stored one: releases
     * and files of both, the incoming entry winning for a file both list.
     */
    public void importListing(byte[] json, boolean all) {
        ReleaseListing incoming = ReleaseListing.parse(json);
        ReleaseListing merged =
                storedListing(all).map(old -> merge(old, incoming)).orElse(incoming);
        byte[] bytes = merged.toJson();
        try {
            store.put(StorageLayout.dlListing(all), bytes);
        } catch (IOException e) {
            throw storage("storing the release listing", e);
        }
        (all ? listingAll : listingCurrent).set(cached(merged, bytes, System.nanoTime(), System.nanoTime()));
    }

    /** Two listings as one: releases and files of both, {@code incoming}'s entry winning for a file both list. */
    public static ReleaseListing merge(ReleaseListing old, ReleaseListing incoming) {
        List<Release> out = new ArrayList<>(incoming.releases());
        for (Release r : old.releases()) {
            Optional<Release> twin = incoming.release(r.version());
            if (twin.isEmpty()) {
                out.add(r);
                continue;
            }
            List<ReleaseFile> files = new ArrayList<>(twin.get().files());
            Set<String> names =
                    new TreeSet<>(files.stream().map(ReleaseFile::filename).toList());
            r.files().stream().filter(f -> !names.contains(f.filename())).forEach(files::add);
            out.set(
                    out.indexOf(twin.get()),
                    new Release(twin.get().version(), twin.get().stable(), files));
        }
        out.sort((a, b) -> GoVersion.compare(GoVersion.strip(b.version()), GoVersion.strip(a.version())));
        return new ReleaseListing(out);
    }

    // ---- listing -------------------------------------------------------------------------------

    /** The release listing with every release (include=all): fresh, stale, or stored. */
    public ReleaseListing releases() {
        if (upstream == null) {
            return storedListing(true).orElse(new ReleaseListing(List.of()));
        }
        return listingFor(true, false).listing();
    }

    /**
     * Chooses files: for each version spec ({@code 1.26.3}, {@code go1.26.3}, {@code 1.26.x} = the newest
     * 1.26 release), the archive of each platform ({@code linux/amd64}; {@code linux/arm} also matches
     * the site's {@code armv6l}), and the source archive for the platform {@code src}.
     */
    public Selection select(List<String> versionSpecs, List<String> platforms) {
        return select(versionSpecs, platforms, releases());
    }

    /** {@link #select(List, List)} against the given listing (the stored one, for an offline export). */
    public static Selection select(List<String> versionSpecs, List<String> platforms, ReleaseListing listing) {
        List<String> versions = listing.versions();
        List<ReleaseFile> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String spec : versionSpecs) {
            Optional<String> v = GoVersion.resolve(spec, versions);
            if (v.isEmpty()) {
                problems.add("no release matches " + spec);
                continue;
            }
            Release r = listing.release(v.get()).orElseThrow();
            for (String p : platforms) {
                Optional<ReleaseFile> f =
                        r.files().stream().filter(file -> matches(file, p)).findFirst();
                if (f.isPresent()) {
                    files.add(f.get());
                } else {
                    problems.add(r.version() + " has no " + (isSource(p) ? "source archive" : "archive for " + p));
                }
            }
        }
        return new Selection(files, problems);
    }

    /** Ensures every selected file: fetched, verified and committed, or why not. */
    public List<Outcome> prefetch(Selection selection) {
        List<Outcome> out = new ArrayList<>();
        for (ReleaseFile f : selection.files()) {
            try {
                out.add(new Outcome(f.filename(), Optional.of(ensure(f.filename())), Optional.empty()));
            } catch (ProxyException e) {
                out.add(new Outcome(f.filename(), Optional.empty(), Optional.of(e.getMessage())));
            }
        }
        return out;
    }

    private static boolean isSource(String platform) {
        return platform.strip().equalsIgnoreCase("src") || platform.strip().equalsIgnoreCase("source");
    }

    private static boolean matches(ReleaseFile f, String platform) {
        if (isSource(platform)) {
            return f.kind().equals("source");
        }
        GoPlatform p = GoPlatform.parse(platform);
        String arch = f.arch().toLowerCase(Locale.ROOT);
        return f.kind().equals("archive")
                && f.os().equalsIgnoreCase(p.goos())
                && (arch.equals(p.goarch()) || p.goarch().equals("arm") && arch.equals("armv6l"));
    }

    /**
     * The cached listing, refreshed when older than the TTL (or when forced). When the site fails, the
     * last listing (memory, else storage) is answered stale; a request that has such a fallback waits at
     * most {@link #STALE_WAIT} for a refresh (which goes on in the background), and a failure is
     * remembered for the failure TTL, so an outage costs clients neither time nor upstream requests.
     */
    private Cached listingFor(boolean all, boolean force) {
        AtomicReference<Cached> ref = all ? listingAll : listingCurrent;
        Cached c = ref.get();
        if (c != null && !force && System.nanoTime() - c.freshUntilNanos() < 0) {
            return c;
        }
        Cached fallback = c != null
                ? c
                : storedListing(all).map(l -> cached(l, l.toJson(), 0, 0)).orElse(null);
        String key = all ? "listing include=all" : "listing mode=json";
        try {
            listingFailures.check(key);
            return listingFetches.run(
                    key, () -> refresh(all, key), fallback == null ? settings.fetchWait() : STALE_WAIT);
        } catch (ProxyException e) {
            if (fallback == null) {
                throw new ProxyException(
                        e.kind() == Kind.NOT_FOUND ? Kind.UPSTREAM_FAILED : e.kind(),
                        "release listing unavailable: " + e.getMessage(),
                        e);
            }
            stale.increment();
            log.debug("release listing: answering stale ({})", e.getMessage());
            if (c == null) {
                ref.compareAndSet(null, fallback);
            }
            return fallback;
        }
    }

    private Cached refresh(boolean all, String key) {
        try {
            byte[] raw = timed(
                    "dl-listing",
                    () -> upstream.fetch(all ? "?mode=json&include=all" : "?mode=json", DlSettings.MAX_LISTING_BYTES));
            ReleaseListing listing = ReleaseListing.parse(raw);
            byte[] json = listing.toJson();
            try {
                store.put(StorageLayout.dlListing(all), json);
            } catch (IOException e) {
                // Serving goes on from memory; the next refresh writes it again.
                log.warn("storing the release listing: {}", e.toString());
            }
            long now = System.nanoTime();
            Cached c = cached(listing, json, now, now + settings.listingTtl().toNanos());
            (all ? listingAll : listingCurrent).set(c);
            return c;
        } catch (ProxyException e) {
            log.warn(
                    "release listing: the release site failed ({}); the last listing is answered meanwhile",
                    e.getMessage());
            listingFailures.remember(key, e);
            throw e;
        }
    }

    private static Cached cached(ReleaseListing listing, byte[] json, long fetchedNanos, long freshUntilNanos) {
        return new Cached(listing, Artifact.mutable(json), fetchedNanos, freshUntilNanos);
    }

    /** The stored listing, if any. */
    public Optional<ReleaseListing> storedListing(boolean all) {
        return read(StorageLayout.dlListing(all)).map(ReleaseListing::parse);
    }

    /** Offline: the stored listing (every release), narrowed to the stored files; stable releases only for mode=json. */
    private ReleaseListing offlineListing(boolean all) {
        Set<String> have = Set.copyOf(storedFiles());
        ReleaseListing l =
                storedListing(true).orElse(new ReleaseListing(List.of())).filter(f -> have.contains(f.filename()));
        return all ? l : l.stableOnly();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private Optional<byte[]> read(BlobKey key) {
        try (Blob b = store.get(key).orElse(null)) {
            return b == null ? Optional.empty() : Optional.of(b.readAllBytes());
        } catch (IOException e) {
            throw storage("reading " + key, e);
        }
    }

    private <T> T timed(String kind, Supplier<T> call) {
        return MeteredUpstream.timed(registry, kind, call);
    }

    private Path newTempFile() throws IOException {
        // A temporary name keeps it out of listings, lets a disk store rename it into place once verified,
        // and tells a sweeper after a crash that no live process owns it.
        return TempFiles.create(settings.tempDir(), "dl");
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    static String sha256(InputStream in) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[HASH_CHUNK];
        int n;
        while ((n = in.read(buf)) >= 0) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void requireValid(String filename) {
        if (!ReleaseListing.isValidFilename(filename)) {
            throw ProxyException.notFound("not a release file name: " + filename);
        }
    }

    private static ProxyException storage(String what, IOException e) {
        return new ProxyException(Kind.STORAGE_UNAVAILABLE, "storage failure " + what + ": " + e.getMessage(), e);
    }

    private static void closeQuietly(Blob b) {
        try {
            b.close();
        } catch (IOException e) {
            log.debug("closing {}: {}", b, e.toString());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot remove temporary file {}: {}", p.getFileName(), e.toString());
        }
    }
}
