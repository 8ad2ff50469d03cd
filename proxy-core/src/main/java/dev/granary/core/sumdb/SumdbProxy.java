package dev.granary.core.sumdb;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.storage.BlobKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /sumdb/<name>/} proxy (go.dev/ref/mod#goproxy-protocol, "a proxy may serve the checksum
 * database"): {@code supported} answered locally; {@code lookup} and tiles verified, cached in storage
 * and served from there; {@code latest} fresh for a short TTL and answered from the newest verified
 * head when the database cannot be reached. Everything stored is verified first, so a disk tier is
 * also a trustworthy offline checksum database.
 *
 * <p>Offline (no upstream: an air-gapped Granary fed by snapshots) nothing is fetched: {@code latest}
 * is the newest stored head (the newest imported snapshot's), lookups and tiles come from storage, and
 * a tile beyond the stored tree is a 404 naming both tree sizes, counted as a client that holds a newer
 * head than any imported snapshot.
 */
public final class SumdbProxy {
    private static final Logger log = LoggerFactory.getLogger(SumdbProxy.class);

    private record Fresh(byte[] bytes, long atNanos) {}

    private final SumdbDatabases databases;
    private final MeterRegistry registry;
    private final Duration latestTtl;
    private final boolean offline;
    private final Cache<String, Fresh> latest =
            Caffeine.newBuilder().maximumSize(64).build();

    public SumdbProxy(SumdbDatabases databases, MeterRegistry registry, Duration latestTtl) {
        this(databases, registry, latestTtl, false);
    }

    /** @param offline answer from storage alone, never asking a database (the upstream is off) */
    public SumdbProxy(SumdbDatabases databases, MeterRegistry registry, Duration latestTtl, boolean offline) {
        this.databases = databases;
        this.registry = registry;
        this.latestTtl = latestTtl;
        this.offline = offline;
        for (String name : databases.names()) {
            Counter.builder(Meters.SUMDB_CLIENT_AHEAD)
                    .description("Offline: tile requests beyond the newest imported tree head")
                    .tag("db", name)
                    .register(registry);
        }
    }

    /** Answers {@code /sumdb/<name>/<path>}. */
    public Artifact serve(String name, String path) {
        SumdbDatabases.Database db = databases
                .get(name)
                .orElseThrow(() -> ProxyException.notFound("checksum database " + name
                        + " is not proxied here (configured: " + String.join(", ", databases.names()) + ")"));
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

    private Artifact latest(SumdbDatabases.Database db) {
        if (offline) {
            served("latest", "offline");
            return Artifact.mutable(storedHead(db)
                    .orElseThrow(() -> ProxyException.notFound("checksum database " + db.name()
                            + ": no tree head is stored here, and this Granary is offline: import a snapshot")));
        }
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
            log.error("{}", e.getMessage());
            throw databases.fork(db, e);
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

    private Artifact lookup(SumdbDatabases.Database db, String rest) {
        int at = rest.lastIndexOf('@');
        if (at <= 0 || at == rest.length() - 1) {
            throw ProxyException.invalid("checksum database lookup must be lookup/<module>@<version>");
        }
        ModuleVersion mv = ModuleVersion.of(
                ModuleEscaping.unescapePath(rest.substring(0, at)),
                ModuleEscaping.unescapeVersion(rest.substring(at + 1)));
        BlobKey key;
        try {
            key = StorageLayout.sumdbLookup(db.name(), mv);
        } catch (IllegalArgumentException e) {
            throw ProxyException.invalid("invalid lookup path: " + e.getMessage());
        }
        Optional<byte[]> cached = databases.storage().read(key);
        if (cached.isPresent()) {
            served("lookup", "hit");
            return Artifact.immutable(cached.get());
        }
        if (offline) {
            served("lookup", "offline-miss");
            throw ProxyException.notFound("checksum database " + db.name() + ": " + mv
                    + " is not in any snapshot imported here, and this Granary is offline");
        }
        SumdbClient.Lookup l = db.client().lookup(mv);
        databases.storage().saveVerified(db.name(), key, l.response());
        served("lookup", "miss");
        return Artifact.immutable(l.response());
    }

    private Artifact tile(SumdbDatabases.Database db, String path) {
        boolean full = !path.contains(".p/");
        if (path.startsWith("tile/8/data/") && offline) {
            throw ProxyException.notFound(
                    "checksum database " + db.name() + ": record data tiles are not kept here (offline)");
        }
        if (path.startsWith("tile/8/data/")) {
            // Record data tiles are not needed by the go command; pass them through unverified and uncached.
            try {
                served("tile", "pass");
                return Artifact.mutable(db.fetcher().fetch(path));
            } catch (FileNotFoundException e) {
                throw ProxyException.notFound(e.getMessage());
            } catch (IOException e) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, e.getMessage(), e);
            }
        }
        BlobKey key = tileKey(db, path);
        Optional<byte[]> cached = databases.storage().read(key);
        if (cached.isEmpty() && !full) {
            cached = widerTile(db, path);
        }
        if (cached.isPresent()) {
            served("tile", "hit");
            return full ? Artifact.immutable(cached.get()) : Artifact.mutable(cached.get());
        }
        if (offline) {
            throw offlineTileMiss(db, path);
        }
        byte[] data = db.client().tile(path);
        served("tile", "miss");
        return full ? Artifact.immutable(data) : Artifact.mutable(data);
    }

    /** The newest stored signed tree head: offline, that of the newest imported snapshot. */
    private Optional<byte[]> storedHead(SumdbDatabases.Database db) {
        return databases.storage().read(StorageLayout.sumdb(db.name(), "latest"));
    }

    /**
     * A tile that is not stored, offline. One that lies beyond the stored tree can only be asked for by a
     * client that verified a larger tree head elsewhere: say so with both sizes, and count it.
     */
    private ProxyException offlineTileMiss(SumdbDatabases.Database db, String path) {
        Tile t;
        try {
            t = Tile.parseTilePath(path);
        } catch (TlogException e) {
            return ProxyException.invalid("checksum database " + db.name() + ": " + e.getMessage());
        }
        long held =
                storedHead(db).map(note -> db.client().verifiedTree(note).n()).orElse(0L);
        int shift = t.l() * t.h();
        // golang.org/x/mod/sumdb/tlog: a tile (L, N, W) is part of every tree of at least (N*2^H + W) * 2^(H*L)
        // records.
        long need = ((t.n() << t.h()) + t.w()) << shift;
        if (need > held) {
            registry.counter(Meters.SUMDB_CLIENT_AHEAD, "db", db.name()).increment();
            served("tile", "offline-ahead");
            return ProxyException.notFound(
                    "checksum database " + db.name() + ": " + path + " belongs to a tree of at least "
                            + need + " records, but the newest tree this offline Granary holds is tree#" + held
                            + " (from its newest imported snapshot): the client verified a newer tree head elsewhere (it was online"
                            + " since). Import a snapshot exported after that, or use this Granary from a client that has not.");
        }
        served("tile", "offline-miss");
        return ProxyException.notFound("checksum database " + db.name() + ": " + path + " is not stored here (tree#"
                + held + "), and this Granary is offline");
    }

    private static BlobKey tileKey(SumdbDatabases.Database db, String path) {
        try {
            return StorageLayout.sumdb(db.name(), path);
        } catch (IllegalArgumentException e) {
            throw ProxyException.invalid("invalid tile path: " + e.getMessage());
        }
    }

    /** A partial tile is a prefix of the full tile and of every wider partial tile at the same place. */
    private Optional<byte[]> widerTile(SumdbDatabases.Database db, String path) {
        int p = path.indexOf(".p/");
        String base = path.substring(0, p);
        int w;
        try {
            w = Integer.parseInt(path.substring(p + 3));
        } catch (NumberFormatException e) {
            throw ProxyException.invalid("invalid tile path: " + path);
        }
        int want = w * 32;
        Optional<byte[]> fullTile = databases.storage().read(StorageLayout.sumdb(db.name(), base));
        if (fullTile.isPresent() && fullTile.get().length >= want) {
            return Optional.of(Arrays.copyOf(fullTile.get(), want));
        }
        for (BlobKey k : databases.storage().listQuietly(StorageLayout.sumdb(db.name(), base + ".p"))) {
            Optional<byte[]> t = databases.storage().read(k);
            if (t.isPresent() && t.get().length >= want) {
                return Optional.of(Arrays.copyOf(t.get(), want));
            }
        }
        return Optional.empty();
    }

    private void served(String endpoint, String cache) {
        Counter.builder(Meters.SUMDB_SERVED)
                .description("Checksum-database proxy answers by endpoint and cache result")
                .tag("endpoint", endpoint)
                .tag("cache", cache)
                .register(registry)
                .increment();
    }
}
