package dev.granary.core.gocache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.Meters;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteBuildCacheTest {
    @TempDir
    Path tmp;

    private final BlobStore store = new MemoryBlobStore();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong nanos = new AtomicLong();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC);
    private int files;

    private RemoteBuildCache cache(long maxBytes, Duration maxAge) {
        return new RemoteBuildCache(
                store, new RemoteBuildCache.Settings(maxBytes, maxAge), registry, nanos::get, clock);
    }

    /** Puts {@code size} seeded bytes for a new action; returns the action ID. */
    private String put(RemoteBuildCache c, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Path f = Files.write(tmp.resolve("body-" + files++), b);
        String action = CacheDirs.id("action " + seed);
        c.put(action, CacheIds.sha256(b), f, b.length, CacheIds.sha256(f));
        return action;
    }

    @Test
    void whatOneRunnerPutsAnotherGets() throws Exception {
        RemoteBuildCache c = cache(1 << 20, Duration.ofDays(7));
        String action = put(c, 5000, 1);
        Optional<RemoteBuildCache.Hit> hit = c.get(action);
        assertThat(hit).isPresent();
        try (InputStream in = hit.get().output().openStream()) {
            assertThat(CacheIds.sha256(in)).isEqualTo(hit.get().outputId());
        }
        assertThat(hit.get().size()).isEqualTo(5000);
        assertThat(hit.get().time()).isEqualTo(clock.instant());
        hit.get().output().close();
        assertThat(c.get(CacheDirs.id("never put"))).isEmpty();
        assertThat(registry.get(Meters.GOCACHE_LOOKUPS)
                        .tag("result", "hit")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get(Meters.GOCACHE_LOOKUPS)
                        .tag("result", "miss")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get(Meters.GOCACHE_TRANSFERRED)
                        .tag("direction", "upload")
                        .counter()
                        .count())
                .isEqualTo(5000);
        assertThat(registry.get(Meters.GOCACHE_ENTRY_AGE).summary().count()).isEqualTo(1);
    }

    @Test
    void aBodyThatIsNotItsOutputIdIsRefusedAndNothingIsStored() throws Exception {
        RemoteBuildCache c = cache(1 << 20, Duration.ofDays(7));
        Path f = Files.writeString(tmp.resolve("body"), "poison");
        String claimed = CacheDirs.id("what the go command built");
        assertThatThrownBy(() -> c.put(CacheDirs.id("a"), claimed, f, 6, CacheIds.sha256(f)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(claimed);
        assertThat(store.list(null)).isEmpty();
        assertThat(registry.get(Meters.GOCACHE_PUTS)
                        .tag("result", "refused")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void theSizeBoundRemovesTheLeastRecentlyUsedEntries() throws Exception {
        RemoteBuildCache c = cache(40 * 1024, Duration.ofDays(7));
        String first = put(c, 10_000, 1);
        String second = put(c, 10_000, 2);
        String third = put(c, 10_000, 3);
        c.get(first).orElseThrow().output().close(); // first is now used more recently than second
        put(c, 10_000, 4);
        put(c, 10_000, 5);
        c.cleanUp();
        assertThat(c.indexedBytes()).isLessThanOrEqualTo(40 * 1024);
        assertThat(c.get(second)).isEmpty();
        assertThat(store.exists(StorageLayout.gocacheAction(second))).isFalse();
        assertThat(c.get(first)).isPresent();
        assertThat(registry.get(Meters.GOCACHE_EVICTIONS)
                        .tag("cause", "size")
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(1);
        // Outputs go with their entries: storage holds no more than the bound allows.
        long stored = 0;
        for (var k : store.list(StorageLayout.gocacheActionsDir())) {
            stored++;
        }
        assertThat(stored).isLessThanOrEqualTo(4);
        assertThat(store.list(BlobKey.of("gocache/outputs"))).hasSize((int) stored);
        assertThat(third).isNotNull();
    }

    @Test
    void entriesNotUsedForTheMaxAgeAreRemoved() throws Exception {
        RemoteBuildCache c = cache(1 << 20, Duration.ofDays(3));
        String old = put(c, 100, 1);
        nanos.addAndGet(Duration.ofDays(2).toNanos());
        String recent = put(c, 100, 2);
        nanos.addAndGet(Duration.ofDays(2).toNanos());
        c.cleanUp();
        assertThat(store.exists(StorageLayout.gocacheAction(old))).isFalse();
        assertThat(c.get(recent)).isPresent();
        assertThat(registry.get(Meters.GOCACHE_EVICTIONS)
                        .tag("cause", "age")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void anOutputSharedByTwoActionsStaysUntilBothAreGone() throws Exception {
        RemoteBuildCache c = cache(1 << 20, Duration.ofDays(3));
        Path f = Files.writeString(tmp.resolve("shared"), "same output");
        String out = CacheIds.sha256(f);
        c.put(CacheDirs.id("a1"), out, f, Files.size(f), out);
        nanos.addAndGet(Duration.ofDays(2).toNanos());
        c.put(CacheDirs.id("a2"), out, f, Files.size(f), out);
        nanos.addAndGet(Duration.ofDays(2).toNanos());
        c.cleanUp();
        assertThat(c.get(CacheDirs.id("a1"))).isEmpty();
        assertThat(c.get(CacheDirs.id("a2"))).isPresent();
        assertThat(store.exists(StorageLayout.gocacheOutput(out))).isTrue();
    }

    @Test
    void aRestartRebuildsTheIndexAndAnEntryWhoseOutputIsGoneIsAMiss() throws Exception {
        RemoteBuildCache before = cache(1 << 20, Duration.ofDays(7));
        String kept = put(before, 3000, 1);
        String dangling = put(before, 3000, 2);
        Files.writeString(tmp.resolve("x"), "");
        RemoteBuildCache after = cache(1 << 20, Duration.ofDays(7));
        assertThat(after.load()).isEqualTo(2);
        assertThat(after.indexedBytes()).isGreaterThanOrEqualTo(6000);
        RemoteBuildCache.Hit h = before.get(dangling).orElseThrow();
        h.output().close();
        store.delete(StorageLayout.gocacheOutput(h.outputId()));
        assertThat(after.get(dangling)).isEmpty();
        assertThat(store.exists(StorageLayout.gocacheAction(dangling))).isFalse();
        assertThat(after.get(kept)).isPresent();
    }

    @Test
    void aMalformedActionEntryInStorageIsAMissAndIsRemoved() throws Exception {
        RemoteBuildCache c = cache(1 << 20, Duration.ofDays(7));
        String action = CacheDirs.id("garbled");
        store.put(StorageLayout.gocacheAction(action), "v1 garbage\n".getBytes());
        assertThat(c.get(action)).isEmpty();
        assertThat(store.exists(StorageLayout.gocacheAction(action))).isFalse();
    }
}
