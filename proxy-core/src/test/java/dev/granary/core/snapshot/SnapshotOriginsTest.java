package dev.granary.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.memory.MemoryBlobStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The catalog's answer to "which snapshot brought this version in", from the importer's records. */
class SnapshotOriginsTest {
    private static final ModuleVersion QUOTE = ModuleVersion.of("rsc.io/quote", "v1.5.2");
    private static final ModuleVersion SAMPLER = ModuleVersion.of("rsc.io/sampler", "v1.3.0");
    private static final ModuleVersion TOOLCHAIN =
            ModuleVersion.of("golang.org/toolchain", "v0.0.1-go1.26.3.linux-amd64");

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-01T00:00:00Z"));
    private final MemoryBlobStore store = new MemoryBlobStore(new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    });

    @Test
    void aVersionIsAttributedToTheFirstImportedSnapshotThatHoldsIt() throws Exception {
        String later = record("b", List.of(QUOTE, SAMPLER), Instant.parse("2026-11-03T00:00:00Z"));
        String first = record("a", List.of(QUOTE, TOOLCHAIN), Instant.parse("2026-11-02T00:00:00Z"));
        // An import in progress has a journal and no manifest yet: not an origin.
        store.put(StorageLayout.snapshotJournal("c".repeat(64)), "{}".getBytes(StandardCharsets.UTF_8));
        SnapshotOrigins origins = new SnapshotOrigins(store, Duration.ofHours(1));
        origins.refresh();
        assertThat(origins.snapshotOf(QUOTE)).contains(first);
        assertThat(origins.snapshotOf(TOOLCHAIN)).contains(first);
        assertThat(origins.snapshotOf(SAMPLER)).contains(later);
        assertThat(origins.snapshotOf(ModuleVersion.of("rsc.io/quote", "v1.5.1")))
                .isEmpty();
    }

    @Test
    void snapshotsImportedLaterAreFoundOnceTheRefreshIntervalPassed() throws Exception {
        SnapshotOrigins origins = new SnapshotOrigins(store, Duration.ZERO);
        assertThat(origins.snapshotOf(QUOTE)).isEmpty();
        String id = record("a", List.of(QUOTE), Instant.parse("2026-11-02T00:00:00Z"));
        assertThat(origins.snapshotOf(QUOTE)).contains(id);

        SnapshotOrigins slow = new SnapshotOrigins(store, Duration.ofHours(1));
        assertThat(slow.snapshotOf(SAMPLER)).isEmpty();
        record("b", List.of(SAMPLER), Instant.parse("2026-11-03T00:00:00Z"));
        assertThat(slow.snapshotOf(SAMPLER))
                .as("not looked for again within the interval")
                .isEmpty();
        slow.refresh();
        assertThat(slow.snapshotOf(SAMPLER)).isPresent();
    }

    @Test
    void theNewestSnapshotIsTheOneExportedLastWhateverTheImportOrder() throws Exception {
        SnapshotOrigins origins = new SnapshotOrigins(store, Duration.ZERO);
        assertThat(origins.newest()).isEmpty();
        record("b", List.of(SAMPLER), Instant.parse("2026-11-03T00:00:00Z"));
        record("a", List.of(QUOTE), Instant.parse("2026-11-02T00:00:00Z"));
        assertThat(origins.newest())
                .map(SnapshotOrigins.Recorded::created)
                .contains(Instant.parse("2026-11-03T00:00:00Z"));
    }

    /** Records a snapshot as the importer does (its manifest, last), at {@code when}; returns its id. */
    private String record(String selection, List<ModuleVersion> versions, Instant when) throws Exception {
        SnapshotManifest m = new SnapshotManifest(
                1,
                when.toString(),
                "test",
                List.of(selection),
                null,
                List.of(),
                new SnapshotManifest.Counts(versions.size(), versions.size(), 0, 0, 0, 0),
                versions.stream()
                        .map(v -> new SnapshotManifest.Entry(v.path().value(), v.version(), true, true))
                        .toList());
        byte[] json = m.toJson();
        String id = SnapshotManifest.idOf(json);
        now.set(when);
        store.put(StorageLayout.snapshotFile(id, SnapshotFormat.SUMS), "sums\n".getBytes(StandardCharsets.UTF_8));
        store.put(StorageLayout.snapshotFile(id, SnapshotFormat.MANIFEST), json);
        return id;
    }
}
