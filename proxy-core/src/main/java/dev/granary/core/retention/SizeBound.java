package dev.granary.core.retention;

import dev.granary.storage.BlobKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A total size bound on the keys under a prefix (such as a build cache's {@code gocache/}): when they
 * add up to more than {@code maxBytes}, the least recently used units go, oldest first, until the
 * rest fits. A unit is a group of keys that live and go together ({@code unit} maps a key to its
 * unit's name; by default each key is its own unit); its last use is the newest of its keys' last
 * uses, each the later of the key's modification time and what {@code lastUse} knows of it.
 *
 * <p>{@link Retention} applies bounds; a family of keys plugs in by adding one to
 * {@link Retention.Policy#sizeBounds()}.
 *
 * @param prefix   the keys bounded (on whole segments)
 * @param maxBytes the most they may hold together
 * @param lastUse  when a key was last used, if its owner records that (else its modification time counts)
 * @param unit     the unit a key belongs to
 */
public record SizeBound(
        BlobKey prefix, long maxBytes, Function<BlobKey, Optional<Instant>> lastUse, Function<BlobKey, String> unit) {

    public SizeBound {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(lastUse, "lastUse");
        Objects.requireNonNull(unit, "unit");
        if (maxBytes < 0) {
            throw new IllegalArgumentException("size bound must not be negative");
        }
    }

    /** Each key its own unit, last used when last written. */
    public static SizeBound of(BlobKey prefix, long maxBytes) {
        return new SizeBound(prefix, maxBytes, k -> Optional.empty(), BlobKey::value);
    }

    /** A key with its size and last use. */
    public record Entry(BlobKey key, long size, Instant lastUse) {}

    /** A group of keys that go together. */
    public record Unit(String name, List<Entry> entries, long size, Instant lastUse) {}

    /**
     * The units to remove so that what remains is at most {@code maxBytes}: least recently used first
     * (ties by name, so the choice is stable), and no more than needed.
     */
    public List<Unit> select(List<Entry> entries) {
        Map<String, List<Entry>> byUnit = new LinkedHashMap<>();
        long total = 0;
        for (Entry e : entries) {
            byUnit.computeIfAbsent(unit.apply(e.key()), u -> new ArrayList<>()).add(e);
            total += e.size();
        }
        List<Unit> units = new ArrayList<>();
        byUnit.forEach((name, es) -> units.add(new Unit(
                name,
                List.copyOf(es),
                es.stream().mapToLong(Entry::size).sum(),
                es.stream().map(Entry::lastUse).max(Comparator.naturalOrder()).orElse(Instant.EPOCH))));
        units.sort(Comparator.comparing(Unit::lastUse).thenComparing(Unit::name));
        List<Unit> out = new ArrayList<>();
        for (Unit u : units) {
            if (total <= maxBytes) {
                break;
            }
            out.add(u);
            total -= u.size();
        }
        return out;
    }
}
