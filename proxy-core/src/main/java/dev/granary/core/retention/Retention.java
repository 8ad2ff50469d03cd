package dev.granary.core.retention;

import dev.granary.core.Meters;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention ({@code granary gc}, and {@code gc.schedule} in serve): removes what the policy says may
 * go, and nothing else.
 * <ul>
 *   <li><b>Age</b>: a module version not requested for {@code maxAge} (its last request as
 *       {@link AccessTimes} recorded it, or its commit when it was never requested since) is removed
 *       through {@link VersionCommitter#remove}: {@code .info} first, so at every moment the version is
 *       either whole or absent, never half there; then sum, mod, zip, the module's {@code @v/list} and
 *       the access record. The decision is checked again under the committer's lock, so a version
 *       requested or fetched again meanwhile stays.</li>
 *   <li><b>Size</b>: each {@link SizeBound} keeps the keys under its prefix within its bound, least
 *       recently used first.</li>
 * </ul>
 * Never touched: private-module pins (the memory of what a private version was), checksum-database
 * state (lookups, tiles, tree heads: the proof of what was verified), quarantine, leases.
 * A dry run reports exactly what a real run would remove, and removes nothing.
 */
public final class Retention {
    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    /**
     * What may go.
     *
     * @param maxAge     versions not requested for this long are removed; zero keeps every version
     * @param sizeBounds size bounds on key families (build caches)
     */
    public record Policy(Duration maxAge, List<SizeBound> sizeBounds) {
        public Policy {
            if (maxAge.isNegative()) {
                throw new IllegalArgumentException("gc.max-age must not be negative");
            }
            sizeBounds = List.copyOf(sizeBounds);
        }

        /** True when the policy can remove anything at all. */
        public boolean removesAnything() {
            return !maxAge.isZero() || !sizeBounds.isEmpty();
        }
    }

    /**
     * One thing removed (or, in a dry run, that would be).
     *
     * @param what    {@code version} or {@code blob}
     * @param name    {@code module@version}, or a unit of a size-bounded family
     * @param bytes   storage it held
     * @param lastUse when it was last requested or used
     * @param reason  why it goes
     */
    public record Removal(String what, String name, long bytes, Instant lastUse, String reason) {}

    /** What a run did. */
    public record Report(int versionsExamined, List<Removal> removals, boolean dryRun) {
        public long bytes() {
            return removals.stream().mapToLong(Removal::bytes).sum();
        }
    }

    private final BlobStore store;
    private final VersionCommitter committer;
    private final AccessTimes access;
    private final Clock clock;
    private final MeterRegistry registry;

    /** @param registry where removals are counted, or null */
    public Retention(
            BlobStore store, VersionCommitter committer, AccessTimes access, Clock clock, MeterRegistry registry) {
        this.store = store;
        this.committer = committer;
        this.access = access;
        this.clock = clock;
        this.registry = registry;
    }

    /**
     * Applies {@code policy} once.
     *
     * @param each told of every removal as it happens (or would happen, in a dry run)
     */
    public Report run(Policy policy, boolean dryRun, Consumer<Removal> each) throws IOException {
        List<Removal> removed = new ArrayList<>();
        int examined = 0;
        if (!policy.maxAge().isZero()) {
            Instant cutoff = clock.instant().minus(policy.maxAge());
            List<ModuleVersion> versions = new ArrayList<>();
            for (BlobKey k : store.list(null)) {
                StorageLayout.versionOfInfo(k).ifPresent(versions::add);
            }
            examined = versions.size();
            Map<ModuleVersion, Instant> requested = access.all();
            for (ModuleVersion mv : versions) {
                Optional<Instant> last = lastUse(mv, requested.get(mv));
                if (last.isEmpty() || !last.get().isBefore(cutoff)) {
                    continue;
                }
                long bytes = size(mv);
                Removal r = new Removal(
                        "version",
                        mv.toString(),
                        bytes,
                        last.get(),
                        "not requested for "
                                + Duration.between(last.get(), clock.instant()).toDays() + " days (gc.max-age "
                                + policy.maxAge().toDays() + "d)");
                if (!dryRun && !committer.remove(mv, v -> stillOld(v, cutoff))) {
                    continue;
                }
                if (!dryRun) {
                    access.forget(mv);
                    count("version", bytes);
                }
                removed.add(r);
                each.accept(r);
            }
        }
        for (SizeBound bound : policy.sizeBounds()) {
            removed.addAll(bounded(bound, dryRun, each));
        }
        return new Report(examined, List.copyOf(removed), dryRun);
    }

    /** The later of the version's commit and its last recorded request; empty when it is gone. */
    private Optional<Instant> lastUse(ModuleVersion mv, Instant requested) throws IOException {
        Optional<BlobStat> info = store.stat(StorageLayout.info(mv));
        if (info.isEmpty()) {
            return Optional.empty();
        }
        Instant committed = info.get().lastModified();
        return Optional.of(requested != null && requested.isAfter(committed) ? requested : committed);
    }

    /** Under the committer's lock: still committed, and still not used since the cutoff. */
    private boolean stillOld(ModuleVersion mv, Instant cutoff) {
        try {
            Optional<Instant> last = lastUse(mv, access.lastRequested(mv).orElse(null));
            return last.isPresent() && last.get().isBefore(cutoff);
        } catch (IOException e) {
            log.warn("gc: keeping {}: {}", mv, e.toString());
            return false;
        }
    }

    private long size(ModuleVersion mv) throws IOException {
        long n = 0;
        for (BlobKey k :
                List.of(StorageLayout.info(mv), StorageLayout.mod(mv), StorageLayout.zip(mv), StorageLayout.sum(mv))) {
            n += store.stat(k).map(BlobStat::size).orElse(0L);
        }
        return n;
    }

    private List<Removal> bounded(SizeBound bound, boolean dryRun, Consumer<Removal> each) throws IOException {
        List<SizeBound.Entry> entries = new ArrayList<>();
        for (BlobKey k : store.list(bound.prefix())) {
            Optional<BlobStat> st = store.stat(k);
            if (st.isPresent()) {
                Instant modified = st.get().lastModified();
                Instant used = bound.lastUse()
                        .apply(k)
                        .filter(t -> t.isAfter(modified))
                        .orElse(modified);
                entries.add(new SizeBound.Entry(k, st.get().size(), used));
            }
        }
        List<Removal> out = new ArrayList<>();
        for (SizeBound.Unit u : bound.select(entries)) {
            if (!dryRun) {
                for (SizeBound.Entry e : u.entries()) {
                    store.delete(e.key());
                }
                count("blob", u.size());
            }
            Removal r = new Removal(
                    "blob",
                    u.name(),
                    u.size(),
                    u.lastUse(),
                    "over the size bound of " + bound.prefix() + " (" + bound.maxBytes()
                            + " bytes), least recently used");
            out.add(r);
            each.accept(r);
        }
        return out;
    }

    private void count(String what, long bytes) {
        if (registry != null) {
            Counter.builder(Meters.GC_REMOVED)
                    .description("What retention removed")
                    .tag("what", what)
                    .register(registry)
                    .increment();
            Counter.builder(Meters.GC_RECLAIMED)
                    .baseUnit("bytes")
                    .description("Storage released by retention")
                    .register(registry)
                    .increment(bytes);
        }
    }
}
