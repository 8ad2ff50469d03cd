package dev.granary.core.sumdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.note.NoteSigner;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.Tree;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SumdbClient} against real checksum databases (golang.org/x/mod/sumdb, via {@link TestSumdb}, a child process). */
class SumdbClientIT {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    /** An HTTP fetcher that records paths and lets a test tamper with bodies. */
    static final class Fetcher implements SumdbFetcher {
        final String base;
        final List<String> paths = Collections.synchronizedList(new ArrayList<>());
        volatile UnaryOperator<byte[]> tamper = b -> b;
        volatile String tamperPrefix = "";

        Fetcher(TestSumdb db) {
            this.base = db.url() + "/";
        }

        @Override
        public byte[] fetch(String path) throws IOException {
            paths.add(path);
            HttpResponse<byte[]> r;
            try {
                r = HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (r.statusCode() == 404 || r.statusCode() == 410) {
                throw new FileNotFoundException(path);
            }
            if (r.statusCode() != 200) {
                throw new IOException(path + ": HTTP " + r.statusCode());
            }
            return path.startsWith(tamperPrefix) ? tamper.apply(r.body()) : r.body();
        }
    }

    Path proxyWithThreeModules() throws IOException {
        Path proxy = tmp.resolve("proxy");
        TestSumdb.writeModule(proxy, "example.com/hello", "v1.0.0", Map.of("hello.go", "package hello\n"));
        TestSumdb.writeModule(proxy, "example.com/hello", "v1.1.0", Map.of("hello.go", "package hello // 1.1\n"));
        TestSumdb.writeModule(proxy, "github.com/Azure/thing", "v0.3.0-rc.1", Map.of("a.go", "package thing\n"));
        return proxy;
    }

    @Test
    void lookupVerifiesPersistsTheHeadAndCachesTiles() throws Exception {
        Path proxy = proxyWithThreeModules();
        try (TestSumdb db = TestSumdb.start(proxy)) {
            TreeHeadStore store = TreeHeadStore.inMemory();
            TileCache cache = TileCache.inMemory();
            Fetcher f = new Fetcher(db);
            SumdbClient c = new SumdbClient(db.verifierKey(), f, store, cache);
            assertThat(c.name()).isEqualTo(db.name());

            List<String> lines = lines(c.lookup(mv("github.com/!azure/thing", "v0.3.0-rc.1")));
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).startsWith("github.com/Azure/thing v0.3.0-rc.1 h1:");
            assertThat(lines.get(1)).startsWith("github.com/Azure/thing v0.3.0-rc.1/go.mod h1:");
            assertThat(c.latest().n()).isEqualTo(3);
            assertThat(new String(store.load().orElseThrow(), StandardCharsets.UTF_8))
                    .startsWith("go.sum database tree\n3\n");
            assertThat(cache.get("tile/8/0/000.p/3")).isPresent();
            assertThat(f.paths).containsExactly("lookup/github.com/!azure/thing@v0.3.0-rc.1", "tile/8/0/000.p/3");

            // A fresh client over the same store and cache needs no tiles from the network.
            Fetcher f2 = new Fetcher(db);
            SumdbClient c2 = new SumdbClient(db.verifierKey(), f2, store, cache);
            assertThat(lines(c2.lookup(mv("example.com/hello", "v1.0.0")))).hasSize(2);
            assertThat(f2.paths).containsExactly("lookup/example.com/hello@v1.0.0");

            // The log grows: the new head is proven consistent with the stored one, then saved.
            TestSumdb.writeModule(proxy, "example.com/later", "v0.0.1", Map.of("l.go", "package later\n"));
            assertThat(lines(c2.lookup(mv("example.com/later", "v0.0.1")))).hasSize(2);
            assertThat(c2.latest().n()).isEqualTo(4);
            assertThat(new String(store.load().orElseThrow(), StandardCharsets.UTF_8))
                    .startsWith("go.sum database tree\n4\n");
            // The first client, still at 3 in memory, accepts the larger head too (stored head merged).
            assertThat(lines(c.lookup(mv("example.com/hello", "v1.1.0")))).hasSize(2);
            assertThat(c.latest().n()).isEqualTo(4);
            assertThat(c.refresh().n()).isEqualTo(4);

            // Unknown module version: not found, and no state change.
            assertThatThrownBy(() -> lines(c.lookup(mv("example.com/nope", "v1.0.0"))))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        }
    }

    @Test
    void forkIsDetectedAndTheTrustedHeadKept() throws Exception {
        Path proxy = proxyWithThreeModules();
        TreeHeadStore store = TreeHeadStore.inMemory();
        String skey;
        try (TestSumdb honest = TestSumdb.start(proxy)) {
            skey = honest.signerKey();
            new SumdbClient(honest.verifierKey(), new Fetcher(honest), store, TileCache.none())
                    .lookup(mv("example.com/hello", "v1.0.0"));
            String vkey = honest.verifierKey();
            byte[] trusted = store.load().orElseThrow();
            try (TestSumdb fork = TestSumdb.startFork(proxy, skey)) {
                assertThat(fork.verifierKey()).isEqualTo(vkey);
                SumdbClient c = new SumdbClient(vkey, new Fetcher(fork), store, TileCache.inMemory());
                assertThatThrownBy(() -> lines(c.lookup(mv("example.com/hello", "v1.0.0"))))
                        .isInstanceOfSatisfying(SumdbForkException.class, e -> {
                            assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
                            assertThat(e.getMessage()).contains("SECURITY ERROR", "tree#3", "tree#4");
                            assertThat(new String(e.olderNote(), StandardCharsets.UTF_8))
                                    .startsWith("go.sum database tree\n3\n");
                            assertThat(new String(e.newerNote(), StandardCharsets.UTF_8))
                                    .startsWith("go.sum database tree\n4\n");
                            assertThat(e.evidence()).contains("old database:", "new database:");
                        });
                assertThat(store.load().orElseThrow()).isEqualTo(trusted);
                assertThat(c.latest().n()).isEqualTo(3);
                // /latest from the fork is refused too.
                assertThatThrownBy(c::refresh).isInstanceOf(SumdbForkException.class);

                // A client that trusted the fork first refuses the honest log (a smaller, inconsistent
                // head). Proving that needs the larger tree's tiles, which it cached while trusting it.
                TreeHeadStore forkStore = TreeHeadStore.inMemory();
                TileCache forkTiles = TileCache.inMemory();
                new SumdbClient(vkey, new Fetcher(fork), forkStore, forkTiles)
                        .lookup(mv("example.com/hello", "v1.0.0"));
                SumdbClient c2 = new SumdbClient(vkey, new Fetcher(honest), forkStore, forkTiles);
                assertThatThrownBy(() -> lines(c2.lookup(mv("example.com/hello", "v1.1.0"))))
                        .isInstanceOf(SumdbForkException.class);
                // Without those tiles the honest server cannot serve the fork's tiles: still refused.
                TreeHeadStore forkStore2 = TreeHeadStore.inMemory();
                new SumdbClient(vkey, new Fetcher(fork), forkStore2, TileCache.none()).refresh();
                SumdbClient c3 = new SumdbClient(vkey, new Fetcher(honest), forkStore2, TileCache.none());
                assertThatThrownBy(() -> lines(c3.lookup(mv("example.com/hello", "v1.1.0"))))
                        .isInstanceOf(ProxyException.class);
                assertThat(c3.latest().n()).isEqualTo(4);
            }
        }
    }

    @Test
    void tamperedResponsesAreRefused() throws Exception {
        Path proxy = proxyWithThreeModules();
        try (TestSumdb db = TestSumdb.start(proxy)) {
            // Record text changed (the h1 of the zip line).
            Fetcher f = new Fetcher(db);
            f.tamperPrefix = "lookup/";
            f.tamper = b -> new String(b, StandardCharsets.UTF_8)
                    .replaceFirst("h1:.", "h1:A")
                    .getBytes(StandardCharsets.UTF_8);
            SumdbClient c = new SumdbClient(db.verifierKey(), f, TreeHeadStore.inMemory(), TileCache.none());
            assertThatThrownBy(() -> lines(c.lookup(mv("example.com/hello", "v1.0.0"))))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
                        assertThat(e.getMessage()).contains("cannot authenticate record data");
                    });

            // Signed tree head altered (size).
            f.tamper = b -> new String(b, StandardCharsets.UTF_8)
                    .replace("go.sum database tree\n3\n", "go.sum database tree\n2\n")
                    .getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> lines(c.lookup(mv("example.com/hello", "v1.0.0"))))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
                        assertThat(e.getMessage()).contains("invalid signature");
                    });

            // A tile with a flipped bit.
            Fetcher ft = new Fetcher(db);
            ft.tamperPrefix = "tile/";
            ft.tamper = b -> {
                byte[] x = b.clone();
                x[40] ^= 1;
                return x;
            };
            TileCache cache = TileCache.inMemory();
            SumdbClient ct = new SumdbClient(db.verifierKey(), ft, TreeHeadStore.inMemory(), cache);
            assertThatThrownBy(() -> lines(ct.lookup(mv("example.com/hello", "v1.0.0"))))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
                        assertThat(e.getMessage()).contains("inconsistent tile");
                    });
            assertThat(cache.get("tile/8/0/000.p/3"))
                    .as("unauthenticated tiles are not cached")
                    .isEmpty();

            // Someone else's key.
            String otherKey = Notes.generateKey(db.name()).verifierKey();
            SumdbClient co = new SumdbClient(otherKey, new Fetcher(db), TreeHeadStore.inMemory(), TileCache.none());
            assertThatThrownBy(() -> lines(co.lookup(mv("example.com/hello", "v1.0.0"))))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
                        assertThat(e.getMessage()).contains("no verifiable signatures");
                    });

            // A stored head from another key cannot be loaded.
            TreeHeadStore bad = TreeHeadStore.inMemory();
            bad.save(Notes.sign(
                    new Tree(1, Hash.ZERO).formatTree(),
                    NoteSigner.parse(Notes.generateKey(db.name()).signerKey())));
            SumdbClient cb = new SumdbClient(db.verifierKey(), new Fetcher(db), bad, TileCache.none());
            assertThatThrownBy(cb::latest)
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED));
        }
    }

    @Test
    void unreachableDatabaseIsAnUpstreamFailure() {
        SumdbClient c = new SumdbClient(
                "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                path -> {
                    throw new IOException("connection refused");
                },
                TreeHeadStore.inMemory(),
                TileCache.none());
        assertThat(c.name()).isEqualTo("sum.golang.org");
        assertThatThrownBy(() -> lines(c.lookup(mv("golang.org/x/mod", "v0.7.0"))))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThatThrownBy(
                        () -> new SumdbClient("garbage", p -> new byte[0], TreeHeadStore.inMemory(), TileCache.none()))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID));
        assertThatThrownBy(() -> lines(c.lookup(mv("github.com/Azure/x", "v1.0.0"))))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID));
    }

    private static ModuleVersion mv(String escapedPath, String escapedVersion) {
        return ModuleVersion.of(
                ModuleEscaping.unescapePath(escapedPath), ModuleEscaping.unescapeVersion(escapedVersion));
    }

    private static List<String> lines(SumdbClient.Lookup l) {
        return List.of(l.sums().text().split("\n"));
    }
}
