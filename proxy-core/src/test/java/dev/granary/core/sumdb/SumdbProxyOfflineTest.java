package dev.granary.core.sumdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.sumdb.note.TestNotes;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.Tree;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The /sumdb/ proxy of an offline Granary (no upstream: fed by snapshots) answers from storage alone
 * and never asks the database: the stored head, stored lookups and tiles; a tile beyond the stored
 * tree is a 404 naming both sizes, counted as a client ahead of every imported snapshot.
 */
class SumdbProxyOfflineTest {
    private static final String NAME = "sum.example.org";

    @Test
    void offlineEverythingComesFromStorageAndATileBeyondTheTreeNamesBothSizes() throws Exception {
        Notes.KeyPairStrings keys = Notes.generateKey(NAME);
        MemoryBlobStore store = new MemoryBlobStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int[] asked = {0};
        SumdbFetcher database = path -> {
            asked[0]++;
            throw new IOException("no route to the database");
        };
        SumdbStorage storage = new SumdbStorage(store);
        SumdbClient client = new SumdbClient(keys.verifierKey(), database, storage.treeHead(NAME), storage.tiles(NAME));
        SumdbDatabases dbs = new SumdbDatabases(
                List.of(new SumdbDatabases.Database(SumdbSpec.parse(keys.verifierKey()), client, database)),
                storage,
                registry);
        SumdbProxy proxy = new SumdbProxy(dbs, registry, Duration.ofMinutes(1), true);

        assertThatThrownBy(() -> proxy.serve(NAME, "latest"))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("import a snapshot")
                .matches(e -> ((ProxyException) e).isNotFound());

        byte[] head = TestNotes.sign(new Tree(300, Hash.ZERO).formatTree(), keys.signerKey());
        store.put(StorageLayout.sumdb(NAME, "latest"), head);
        store.put(StorageLayout.sumdb(NAME, "tile/8/0/000"), new byte[8192]);
        store.put(StorageLayout.sumdb(NAME, "tile/8/0/001.p/44"), new byte[44 * 32]);
        store.put(StorageLayout.sumdb(NAME, "lookup/example.com/a@v1.0.0"), "1\nrecord\n\n".getBytes());

        try (Artifact latest = proxy.serve(NAME, "latest")) {
            assertThat(latest.blob().readAllBytes()).isEqualTo(head);
        }
        try (Artifact lookup = proxy.serve(NAME, "lookup/example.com/a@v1.0.0")) {
            assertThat(lookup.blob().readAllBytes()).startsWith("1\n".getBytes());
        }
        try (Artifact partial = proxy.serve(NAME, "tile/8/0/000.p/7")) {
            assertThat(partial.blob().size()).as("cut from the full tile").isEqualTo(7 * 32);
        }
        try (Artifact stored = proxy.serve(NAME, "tile/8/0/001.p/44")) {
            assertThat(stored.blob().size()).isEqualTo(44 * 32);
        }
        assertThatThrownBy(() -> proxy.serve(NAME, "lookup/example.com/b@v1.0.0"))
                .hasMessageContaining("not in any snapshot imported here");
        try (Artifact narrower = proxy.serve(NAME, "tile/8/0/001.p/43")) {
            assertThat(narrower.blob().size())
                    .as("cut from a wider partial tile")
                    .isEqualTo(43 * 32);
        }
        assertThatThrownBy(() -> proxy.serve(NAME, "tile/8/1/000.p/1"))
                .as("within the tree, but not stored")
                .hasMessageContaining("not stored here (tree#300)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("newer"));
        assertThatThrownBy(() -> proxy.serve(NAME, "tile/8/0/001.p/50"))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("at least 306 records")
                .hasMessageContaining("tree#300")
                .hasMessageContaining("newer tree head")
                .matches(e -> ((ProxyException) e).isNotFound());
        assertThatThrownBy(() -> proxy.serve(NAME, "tile/8/1/000.p/2")).hasMessageContaining("at least 512 records");
        assertThat(registry.counter(Meters.SUMDB_CLIENT_AHEAD, "db", NAME).count())
                .isEqualTo(2);
        assertThat(asked[0]).as("requests to the database").isZero();
        assertThat(Optional.of(client.latest().n())).contains(300L);
    }
}
