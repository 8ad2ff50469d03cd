package dev.granary.core.sumdb;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.fetch.Artifact;
import dev.granary.core.fetch.ChecksumVerifier;
import dev.granary.core.module.ModulePatterns;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.upstream.Upstream;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checksum database, both ways:
 * <ul>
 *   <li>as a {@link ChecksumVerifier}: every fetched version's zip and go.mod h1 must equal what the
 *       (first) configured database says, proven by signed tree heads and Merkle proofs; modules
 *       matching the no-sumdb patterns are pinned instead (the h1 of their first fetch is recorded,
 *       and a later fetch that differs is refused);</li>
 *   <li>as the {@code /sumdb/<name>/} proxy: {@code supported} answered locally; {@code lookup} and
 *       tiles verified, cached in storage and served from there; {@code latest} fresh for a short
 *       TTL and answered from the newest verified head when the database cannot be reached.</li>
 * </ul>
 * Everything stored is verified first, so a disk tier is also a trustworthy offline checksum database.
 */
public final class SumdbService implements ChecksumVerifier {
    private static final Logger log = LoggerFactory.getLogger(SumdbService.class);

    /** One configured database and its verifying client. */
    public record Database(SumdbSpec spec, SumdbClient client, SumdbFetcher fetcher) {
        public String name() {
            return spec.name();
        }
    }

    private record Fresh(byte[] bytes, long atNanos) {
    }

    private final Map<String, Database> databases = new LinkedHashMap<>();
    private final Database primary;
    private final String noSumdb;
    private final BlobStore store;
    private final MeterRegistry registry;
    private final Duration latestTtl;
    private final Cache<String, Fresh> latest = Caffeine.newBuilder().maximumSize(64).build();

    public SumdbService(List<Database> dbs, String noSumdb, BlobStore store, MeterRegistry registry, Duration latestTtl) {
        dbs.forEach(d -> databases.put(d.name(), d));
        this.primary = dbs.isEmpty() ? null : dbs.get(0);
        this.noSumdb = noSumdb == null ? "" : noSumdb;
        this.store = store;
        this.registry = registry;
        this.latestTtl = latestTtl;
        for (Database d : dbs) {
            Gauge.builder("granary.sumdb.tree.size", d, db -> safeTreeSize(db.client()))
                    .description("Size of the newest verified tree head").tag("db", d.name()).register(registry);
            Counter.builder("granary.sumdb.forks").description("Checksum databases caught presenting inconsistent tree heads")
                    .tag("db", d.name()).register(registry);
            try {
                // A disk tier or snapshot used as GOPROXY=file:// answers the go command's probe too.
                store.put(SumdbStorage.key(d.name(), "supported"), new ByteArrayInputStream(new byte[0]), 0, PutMode.CREATE_ONLY);
            } catch (IOException e) {
                log.warn("cannot record sumdb/{}/supported: {}", d.name(), e.toString());
            }
        }
    }

    /**
     * Builds the databases from their specs: each reached at its URL when given, else through
     * {@code proxy}'s {@code /sumdb/<name>/} when supported, else at {@code https://<name>/}.
     */
    public static SumdbService create(List<SumdbSpec> specs, String noSumdb, Upstream proxy, Function<URI, Upstream> http,
                                      BlobStore store, MeterRegistry registry, Duration latestTtl) {
        List<Database> dbs = specs.stream().map(spec -> {
            Upstream viaProxy = spec.url().isPresent() ? null : proxy;
            URI direct = spec.url().orElse(URI.create("https://" + spec.name() + "/"));
            SumdbFetcher fetcher = new UpstreamSumdbFetcher(spec.name(), viaProxy, http.apply(direct), registry);
            SumdbClient client = new SumdbClient(spec.verifierKey(), fetcher,
                    SumdbStorage.treeHead(store, spec.name()), SumdbStorage.tiles(store, spec.name()));
            return new Database(spec, client, fetcher);
        }).toList();
        return new SumdbService(dbs, noSumdb, store, registry, latestTtl);
    }

    public List<String> names() {
        return List.copyOf(databases.keySet());
    }

    // ---- verification --------------------------------------------------------------------------

    @Override
    public void verify(ModuleVersion mv, String zipH1, String modH1) {
        if (ModulePatterns.matchPrefixPatterns(noSumdb, mv.path().value())) {
            pin(mv, zipH1, modH1);
            return;
        }
        if (primary == null) {
            return;
        }
        SumdbClient.Lookup lookup;
        try {
            lookup = primary.client().lookupRecord(mv.escapedPath(), mv.escapedVersion());
        } catch (SumdbForkException e) {
            registry.counter("granary.sumdb.forks", "db", primary.name()).increment();
            fail("fork", e);
            throw e;
        } catch (ProxyException e) {
            switch (e.kind()) {
                case NOT_FOUND, GONE -> {
                    fail("not-in-sumdb", e);
                    throw new ProxyException(Kind.VERIFICATION_FAILED, "verifying " + mv + ": not found in checksum database "
                            + primary.name() + " (list it in --nosumdb if it is private): " + e.getMessage(), e);
                }
                case VERIFICATION_FAILED -> {
                    fail("invalid-proof", e);
                    throw e;
                }
                default -> {
                    result("error");
                    throw new ProxyException(e.kind() == Kind.STORAGE_UNAVAILABLE ? e.kind() : Kind.UPSTREAM_FAILED,
                            "verifying " + mv + ": checksum database " + primary.name() + " unavailable: " + e.getMessage(), e);
                }
            }
        }
        String want = expected(lookup.lines(), mv.path().value() + " " + mv.version() + " ");
        String wantMod = expected(lookup.lines(), mv.path().value() + " " + mv.version() + "/go.mod ");
        if (want == null || !want.equals(zipH1) || (wantMod != null && !wantMod.equals(modH1))) {
            boolean zipBad = want == null || !want.equals(zipH1);
            String msg = "verifying " + mv + (zipBad ? "" : "/go.mod") + ": checksum mismatch\n"
                    + "\tupstream:   " + (zipBad ? zipH1 : modH1) + "\n"
                    + "\t" + primary.name() + ": " + (zipBad ? want : wantMod) + "\n"
                    + "SECURITY ERROR: the upstream served content that differs from the checksum database; nothing was cached.";
            ProxyException e = new ProxyException(Kind.VERIFICATION_FAILED, msg);
            fail("checksum-mismatch", e);
            throw e;
        }
        try {
            store.put(SumdbStorage.key(primary.name(), "lookup/" + mv.escapedPath() + "@" + mv.escapedVersion()), lookup.response());
        } catch (IOException e) {
            log.warn("cannot cache the lookup of {}: {}", mv, e.toString());
        }
        result("ok");
    }

    private static String expected(List<String> lines, String prefix) {
        for (String l : lines) {
            if (l.startsWith(prefix)) {
                return l.substring(prefix.length()).strip();
            }
        }
        return null;
    }

    /** Private modules: the first fetch's hashes are recorded; a different later fetch is an alarm. */
    private void pin(ModuleVersion mv, String zipH1, String modH1) {
        String lines = mv.path().value() + " " + mv.version() + " " + zipH1 + "\n"
                + mv.path().value() + " " + mv.version() + "/go.mod " + modH1 + "\n";
        byte[] bytes = lines.getBytes(StandardCharsets.UTF_8);
        BlobKey key = BlobKey.of("pins/" + mv.escapedPath() + "/@v/" + mv.escapedVersion() + ".sum");
        try {
            if (store.put(key, new ByteArrayInputStream(bytes), bytes.length, PutMode.CREATE_ONLY)) {
                result("pinned");
                return;
            }
            byte[] pinned = SumdbStorage.read(store, key).orElse(bytes);
            if (!Arrays.equals(pinned, bytes)) {
                ProxyException e = new ProxyException(Kind.VERIFICATION_FAILED, "verifying " + mv
                        + ": private module changed since it was first fetched (a retagged version?)\n"
                        + "\tfirst fetch:\n" + indent(new String(pinned, StandardCharsets.UTF_8))
                        + "\tthis fetch:\n" + indent(lines)
                        + "SECURITY ERROR: refusing the new content; nothing was cached.");
                fail("pin-mismatch", e);
                throw e;
            }
            result("pin-ok");
        } catch (IOException e) {
            throw new ProxyException(Kind.STORAGE_UNAVAILABLE, "verifying " + mv + ": reading its pin: " + e.getMessage(), e);
        }
    }

    private static String indent(String lines) {
        StringBuilder b = new StringBuilder();
        for (String l : lines.split("\n")) {
            b.append("\t\t").append(l).append('\n');
        }
        return b.toString();
    }

    private void fail(String reason, ProxyException e) {
        result(reason);
        registry.counter("granary.verification.failures", "reason", reason).increment();
    }

    private void result(String result) {
        registry.counter("granary.sumdb.verifications", "result", result).increment();
    }

    private static long safeTreeSize(SumdbClient c) {
        try {
            return c.latest().n();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    // ---- the /sumdb/<name>/ proxy --------------------------------------------------------------

    /** Answers {@code /sumdb/<name>/<path>}. */
    public Artifact serve(String name, String path) {
        Database db = databases.get(name);
        if (db == null) {
            throw ProxyException.notFound("checksum database " + name + " is not proxied here (configured: " + String.join(", ", databases.keySet()) + ")");
        }
        if (path.equals("supported")) {
            return Artifact.mutable(new byte[0]);
        }
        if (path.equals("latest")) {
            return latest(db);
        }
        if (path.startsWith("lookup/")) {
            return lookup(db, path.substring("lookup/".length()));
        }
        if (path.startsWith("tile/")) {
            return tile(db, path);
        }
        throw ProxyException.notFound("unknown checksum database endpoint: " + path);
    }

    private Artifact latest(Database db) {
        Fresh f = latest.getIfPresent(db.name());
        if (f != null && System.nanoTime() - f.atNanos() < latestTtl.toNanos()) {
            served("latest", "hit");
            return Artifact.mutable(f.bytes());
        }
        try {
            db.client().refresh();
            byte[] note = db.client().latestNote();
            latest.put(db.name(), new Fresh(note, System.nanoTime()));
            served("latest", "miss");
            return Artifact.mutable(note);
        } catch (SumdbForkException e) {
            registry.counter("granary.sumdb.forks", "db", db.name()).increment();
            log.error("{}", e.getMessage());
            throw e;
        } catch (ProxyException e) {
            if (e.kind() == Kind.VERIFICATION_FAILED) {
                throw e;
            }
            byte[] note = db.client().latestNote();
            if (note.length == 0) {
                throw e;
            }
            log.warn("serving the last verified tree head of {}: {}", db.name(), e.getMessage());
            served("latest", "stale");
            return Artifact.mutable(note);
        }
    }

    private Artifact lookup(Database db, String rest) {
        int at = rest.lastIndexOf('@');
        if (at <= 0 || at == rest.length() - 1) {
            throw ProxyException.invalid("checksum database lookup must be lookup/<module>@<version>");
        }
        BlobKey key;
        try {
            key = SumdbStorage.key(db.name(), "lookup/" + rest);
        } catch (IllegalArgumentException e) {
            throw ProxyException.invalid("invalid lookup path: " + e.getMessage());
        }
        Optional<byte[]> cached = readStored(key);
        if (cached.isPresent()) {
            served("lookup", "hit");
            return Artifact.immutable(cached.get());
        }
        SumdbClient.Lookup l = db.client().lookupRecord(rest.substring(0, at), rest.substring(at + 1));
        try {
            store.put(key, l.response());
        } catch (IOException e) {
            log.warn("cannot cache {}: {}", key, e.toString());
        }
        served("lookup", "miss");
        return Artifact.immutable(l.response());
    }

    private Artifact tile(Database db, String path) {
        boolean full = !path.contains(".p/");
        if (path.startsWith("tile/8/data/")) {
            // Record data tiles are not needed by the go command; pass them through unverified and uncached.
            try {
                served("tile", "pass");
                return Artifact.mutable(db.fetcher().fetch(path));
            } catch (java.io.FileNotFoundException e) {
                throw ProxyException.notFound(e.getMessage());
            } catch (IOException e) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, e.getMessage(), e);
            }
        }
        BlobKey key;
        try {
            key = SumdbStorage.key(db.name(), path);
        } catch (IllegalArgumentException e) {
            throw ProxyException.invalid("invalid tile path: " + e.getMessage());
        }
        Optional<byte[]> cached = readStored(key);
        if (cached.isEmpty() && !full) {
            cached = widerTile(db, path);
        }
        if (cached.isPresent()) {
            served("tile", "hit");
            return full ? Artifact.immutable(cached.get()) : Artifact.mutable(cached.get());
        }
        byte[] data = db.client().tile(path);
        served("tile", "miss");
        return full ? Artifact.immutable(data) : Artifact.mutable(data);
    }

    /** A partial tile is a prefix of the full tile and of every wider partial tile at the same place. */
    private Optional<byte[]> widerTile(Database db, String path) {
        int p = path.indexOf(".p/");
        String base = path.substring(0, p);
        int w;
        try {
            w = Integer.parseInt(path.substring(p + 3));
        } catch (NumberFormatException e) {
            throw ProxyException.invalid("invalid tile path: " + path);
        }
        int want = w * 32;
        Optional<byte[]> fullTile = readStored(SumdbStorage.key(db.name(), base));
        if (fullTile.isPresent() && fullTile.get().length >= want) {
            return Optional.of(Arrays.copyOf(fullTile.get(), want));
        }
        try {
            for (BlobKey k : store.list(SumdbStorage.key(db.name(), base + ".p"))) {
                Optional<byte[]> t = readStored(k);
                if (t.isPresent() && t.get().length >= want) {
                    return Optional.of(Arrays.copyOf(t.get(), want));
                }
            }
        } catch (IOException e) {
            log.debug("listing wider tiles of {}: {}", path, e.toString());
        }
        return Optional.empty();
    }

    private Optional<byte[]> readStored(BlobKey key) {
        try {
            return SumdbStorage.read(store, key);
        } catch (IOException e) {
            throw new ProxyException(Kind.STORAGE_UNAVAILABLE, "reading " + key + ": " + e.getMessage(), e);
        }
    }

    private void served(String endpoint, String cache) {
        registry.counter("granary.sumdb.served", "endpoint", endpoint, "cache", cache).increment();
    }
}
