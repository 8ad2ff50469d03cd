package dev.granary.core.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.retention.Retention.Policy;
import dev.granary.core.retention.Retention.Removal;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestCommits;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionTest {
    private static final ModuleVersion OLD = ModuleVersion.of("example.com/old", "v1.0.0");
    private static final ModuleVersion USED = ModuleVersion.of("example.com/used", "v1.0.0");
    private static final ModuleVersion OLD2 = ModuleVersion.of("example.com/old", "v1.1.0");

    @TempDir
    Path tmp;

    private final List<String> deletions = new CopyOnWriteArrayList<>();
    private BlobStore store;
    private TestCommits commits;
    /** 100 days from now: everything committed now is 100 days old to retention. */
    private final Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(100)), ZoneOffset.UTC);

    @BeforeEach
    void commitThreeVersions() throws IOException {
        MemoryBlobStore memory = new MemoryBlobStore();
        store = new RecordingStore(memory, deletions);
        commits = new TestCommits(store, tmp);
        GoProxyTree upstream = new GoProxyTree(tmp.resolve("upstream"));
        for (ModuleVersion mv : List.of(OLD, OLD2, USED)) {
            commits.commit(upstream.addSimple(mv.path().value(), mv.version()));
        }
        store.put(StorageLayout.pin(OLD), "pin".getBytes(StandardCharsets.UTF_8));
        store.put(StorageLayout.sumdbLookup("sum.golang.org", OLD), "lookup".getBytes(StandardCharsets.UTF_8));
    }

    private Retention retention(AccessTimes access) {
        return new Retention(store, commits.committer(), access, later, new SimpleMeterRegistry());
    }

    @Test
    void versionsNotRequestedForMaxAgeGoInfoFirstAndNothingElseIsTouched() throws IOException {
        AccessTimes access =
                new AccessTimes(store, Clock.fixed(later.instant().minus(Duration.ofDays(3)), ZoneOffset.UTC));
        access.touched(USED);
        access.flush();
        deletions.clear();

        List<Removal> told = new ArrayList<>();
        Retention.Report r = retention(access).run(new Policy(Duration.ofDays(30), List.of()), false, told::add);

        assertThat(r.versionsExamined()).isEqualTo(3);
        assertThat(told).extracting(Removal::name).containsExactlyInAnyOrder(OLD.toString(), OLD2.toString());
        assertThat(r.bytes()).isPositive();
        assertThat(store.exists(StorageLayout.info(USED))).isTrue();
        assertThat(store.exists(StorageLayout.zip(USED))).isTrue();
        for (ModuleVersion mv : List.of(OLD, OLD2)) {
            for (BlobKey k : List.of(
                    StorageLayout.info(mv), StorageLayout.sum(mv), StorageLayout.mod(mv), StorageLayout.zip(mv))) {
                assertThat(store.exists(k)).as(k.value()).isFalse();
            }
            // .info first: at every moment the version is whole or absent.
            List<String> order = deletions.stream()
                    .filter(d -> d.startsWith(mv.path().escaped() + "/@v/" + mv.version()))
                    .toList();
            assertThat(order)
                    .containsExactly(
                            StorageLayout.info(mv).value(),
                            StorageLayout.sum(mv).value(),
                            StorageLayout.mod(mv).value(),
                            StorageLayout.zip(mv).value());
        }
        assertThat(new String(
                        store.get(StorageLayout.list(OLD.path())).orElseThrow().readAllBytes(), StandardCharsets.UTF_8))
                .isEmpty();
        // Pins and checksum-database state are never retention's to remove.
        assertThat(store.exists(StorageLayout.pin(OLD))).isTrue();
        assertThat(store.exists(StorageLayout.sumdbLookup("sum.golang.org", OLD)))
                .isTrue();
    }

    @Test
    void aDryRunReportsTheSameAndRemovesNothing() throws IOException {
        AccessTimes access = new AccessTimes(store, later);
        List<Removal> told = new ArrayList<>();
        Retention.Report dry = retention(access).run(new Policy(Duration.ofDays(30), List.of()), true, told::add);
        assertThat(dry.dryRun()).isTrue();
        assertThat(told).hasSize(3);
        assertThat(deletions).isEmpty();
        assertThat(store.exists(StorageLayout.info(OLD))).isTrue();
    }

    @Test
    void aVersionRequestedWhileRetentionDecidesStays() throws IOException {
        AccessTimes access = new AccessTimes(store, later);
        // Requested "now" (in retention's clock) but only noted in memory, not flushed yet.
        access.touched(OLD);
        Retention.Report r = retention(access).run(new Policy(Duration.ofDays(30), List.of()), false, x -> {});
        assertThat(r.removals()).extracting(Removal::name).doesNotContain(OLD.toString());
        assertThat(store.exists(StorageLayout.info(OLD))).isTrue();
    }

    @Test
    void maxAgeZeroKeepsEverything() throws IOException {
        Retention.Report r =
                retention(new AccessTimes(store, later)).run(new Policy(Duration.ZERO, List.of()), false, x -> {});
        assertThat(r.removals()).isEmpty();
        assertThat(deletions).isEmpty();
    }

    @Test
    void aSizeBoundRemovesTheLeastRecentlyUsedUntilTheRestFits() throws IOException {
        BlobKey cache = BlobKey.of("test-cache");
        List<SizeBound.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            // entry-0 was used last; the others in the order of their number.
            entries.add(
                    new SizeBound.Entry(cache.resolve("entry-" + i), 100, Instant.EPOCH.plusSeconds(i == 0 ? 100 : i)));
        }
        assertThat(SizeBound.of(cache, 250).select(entries))
                .extracting(SizeBound.Unit::name)
                .containsExactly("test-cache/entry-1", "test-cache/entry-2", "test-cache/entry-3");
        assertThat(SizeBound.of(cache, 500).select(entries)).isEmpty();
        // Keys of one unit go together, and count as used when the newest of them was.
        SizeBound paired = new SizeBound(
                cache,
                250,
                k -> Optional.empty(),
                k -> k.name().equals("entry-1") ? "pair" : k.name().equals("entry-0") ? "pair" : k.value());
        // The pair (200 bytes, used at 100 s) outlives the three single keys.
        assertThat(paired.select(entries))
                .extracting(SizeBound.Unit::name)
                .containsExactly("test-cache/entry-2", "test-cache/entry-3", "test-cache/entry-4");

        // Through retention, on a store: last use is the later of the modification time and a recorded use.
        for (int i = 0; i < 5; i++) {
            store.put(cache.resolve("entry-" + i), new byte[100]);
        }
        Instant recent = later.instant();
        SizeBound bound = new SizeBound(
                cache, 250, k -> k.name().equals("entry-0") ? Optional.of(recent) : Optional.empty(), BlobKey::value);
        Retention.Report r =
                retention(new AccessTimes(store, later)).run(new Policy(Duration.ZERO, List.of(bound)), false, x -> {});
        assertThat(r.removals()).hasSize(3).extracting(Removal::what).containsOnly("blob");
        assertThat(store.list(cache)).hasSize(2).contains(cache.resolve("entry-0"));
        assertThat(store.exists(StorageLayout.info(OLD)))
                .as("a size bound touches only its prefix")
                .isTrue();
    }

    /** Records deletions in order. */
    private static final class RecordingStore implements BlobStore {
        private final BlobStore d;
        private final List<String> deletions;

        RecordingStore(BlobStore d, List<String> deletions) {
            this.d = d;
            this.deletions = deletions;
        }

        @Override
        public Optional<Blob> get(BlobKey key) throws IOException {
            return d.get(key);
        }

        @Override
        public Optional<BlobStat> stat(BlobKey key) throws IOException {
            return d.stat(key);
        }

        @Override
        public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
            return d.put(key, content, size, mode);
        }

        @Override
        public boolean delete(BlobKey key) throws IOException {
            deletions.add(key.value());
            return d.delete(key);
        }

        @Override
        public List<BlobKey> list(BlobKey prefix) throws IOException {
            return d.list(prefix);
        }

        @Override
        public String describe() {
            return "recording";
        }
    }
}
