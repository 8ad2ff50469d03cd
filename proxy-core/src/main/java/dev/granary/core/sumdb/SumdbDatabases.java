package dev.granary.core.sumdb;

import dev.granary.core.Meters;
import dev.granary.core.upstream.Upstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configured checksum databases, each with its verifying client; the first one verifies fetched
 * versions. Building them does no I/O: tree heads are loaded from storage on first use.
 */
public final class SumdbDatabases {

    /** One configured database, its verifying client, and how it is reached. */
    public record Database(SumdbSpec spec, SumdbClient client, SumdbFetcher fetcher) {
        public String name() {
            return spec.name();
        }
    }

    private final Map<String, Database> byName = new LinkedHashMap<>();
    private final SumdbStorage storage;
    private final MeterRegistry registry;

    public SumdbDatabases(List<Database> databases, SumdbStorage storage, MeterRegistry registry) {
        databases.forEach(d -> byName.put(d.name(), d));
        this.storage = storage;
        this.registry = registry;
        for (Database d : databases) {
            Gauge.builder(Meters.SUMDB_TREE_SIZE, d, db -> safeTreeSize(db.client()))
                    .description("Size of the newest verified tree head")
                    .tag("db", d.name())
                    .register(registry);
            Counter.builder(Meters.SUMDB_FORKS)
                    .description("Checksum databases caught presenting inconsistent tree heads")
                    .tag("db", d.name())
                    .register(registry);
        }
    }

    /**
     * Builds the databases from their specs: each reached at its URL when given, else through
     * {@code proxy}'s {@code /sumdb/<name>/} when supported, else at {@code https://<name>/}.
     */
    public static SumdbDatabases create(
            List<SumdbSpec> specs,
            Upstream proxy,
            Function<URI, Upstream> http,
            SumdbStorage storage,
            MeterRegistry registry) {
        List<Database> dbs = specs.stream()
                .map(spec -> {
                    Upstream viaProxy = spec.url().isPresent() ? null : proxy;
                    URI direct = spec.url().orElse(URI.create("https://" + spec.name() + "/"));
                    SumdbFetcher fetcher =
                            new UpstreamSumdbFetcher(spec.name(), viaProxy, http.apply(direct), registry);
                    SumdbClient client = new SumdbClient(
                            spec.verifierKey(), fetcher, storage.treeHead(spec.name()), storage.tiles(spec.name()));
                    return new Database(spec, client, fetcher);
                })
                .toList();
        return new SumdbDatabases(dbs, storage, registry);
    }

    /** The database that verifies fetched versions, if any is configured. */
    public Optional<Database> primary() {
        return byName.values().stream().findFirst();
    }

    public Optional<Database> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    SumdbStorage storage() {
        return storage;
    }

    /** Counts and returns a fork caught on {@code db}. */
    SumdbForkException fork(Database db, SumdbForkException e) {
        registry.counter(Meters.SUMDB_FORKS, "db", db.name()).increment();
        return e;
    }

    private static long safeTreeSize(SumdbClient c) {
        try {
            return c.latest().n();
        } catch (RuntimeException e) {
            // A gauge never fails a scrape: -1 says the head could not be read.
            return -1;
        }
    }
}
