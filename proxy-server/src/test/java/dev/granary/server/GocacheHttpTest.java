package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleWriter;
import dev.granary.core.gocache.CacheIds;
import dev.granary.core.gocache.KeyInputs;
import dev.granary.core.gocache.Progress;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.http.TokenCacheAccess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build cache endpoints over real HTTP: the gocached protocol (lookups with and without
 * {@code Want-Object}, puts checked against their output ID), the write right (401 without a token,
 * 403 with a read-only one, decided before the body is read), body limits and framing, bundles
 * checked before they are published, and nothing left behind by refused or abandoned uploads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GocacheHttpTest {
    private static final String WRITE = "gct_write-token-for-tests";
    private static final String READ = "gct_read-token-for-tests";
    private static final long MAX_ENTRY = 8 << 20;

    @TempDir
    static Path tmp;
    private Path storage;
    private TestServers.Running granary;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        storage = tmp.resolve("storage");
        Path writers = Files.writeString(tmp.resolve("write.tokens"), "# CI on main\n" + TokenCacheAccess.line(WRITE) + "  # main\n");
        Path readers = Files.writeString(tmp.resolve("read.tokens"), TokenCacheAccess.line(READ) + "\n");
        granary = TestServers.start(storage, "off", Map.of(
                ConfigKey.GOCACHE_WRITE_TOKEN_FILE, writers.toString(),
                ConfigKey.GOCACHE_READ_TOKEN_FILE, readers.toString(),
                ConfigKey.GOCACHE_MAX_ENTRY_BYTES, Long.toString(MAX_ENTRY),
                ConfigKey.GOCACHE_CLIENT_MODULE, "false"));
    }

    @AfterAll
    void stop() {
        granary.close();
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String token, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(granary.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String action(String seed) {
        return CacheIds.sha256(seed.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void whatIsPutIsFoundByItsActionWithItsOutputId() throws Exception {
        byte[] body = bytes(300_000, 1);
        String output = CacheIds.sha256(body);
        String action = action("compile rsc.io/quote");
        assertThat(send("PUT", "/gocache/cache/" + action + "/" + output, body, WRITE).statusCode()).isEqualTo(204);

        HttpResponse<byte[]> hit = send("GET", "/gocache/cache/action/" + action, null, READ, "Want-Object", "1");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("Go-Output-Id")).contains(output);
        assertThat(hit.headers().firstValue("Content-Type")).contains("application/octet-stream");
        assertThat(hit.body()).isEqualTo(body);

        // The older two-request form of the protocol.
        HttpResponse<byte[]> json = send("GET", "/gocache/cache/action/" + action, null, READ);
        assertThat(new String(json.body(), StandardCharsets.UTF_8)).contains("\"outputID\":\"" + output + "\"").contains("\"size\":300000");
        assertThat(send("GET", "/gocache/cache/output/" + output, null, WRITE).body()).isEqualTo(body);

        assertThat(send("GET", "/gocache/cache/action/" + action("never built"), null, READ, "Want-Object", "1").statusCode()).isEqualTo(404);
        assertThat(granary.server().metrics().scrape()).contains("granary_gocache_lookups_total{result=\"hit\"}");
    }

    @Test
    void aBodyThatIsNotItsOutputIdIsRefusedAndNothingIsStored() throws Exception {
        byte[] body = "a poisoned object file".getBytes(StandardCharsets.UTF_8);
        String claimed = CacheIds.sha256("what the compiler produced".getBytes(StandardCharsets.UTF_8));
        String action = action("poison");
        HttpResponse<byte[]> r = send("PUT", "/gocache/cache/" + action + "/" + claimed, body, WRITE);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("SHA-256").contains(claimed);
        assertThat(send("GET", "/gocache/cache/action/" + action, null, READ, "Want-Object", "1").statusCode()).isEqualTo(404);
        assertThat(storage.resolve("gocache/outputs/" + claimed.substring(0, 2) + "/" + claimed)).doesNotExist();
    }

    @Test
    void writingNeedsTheWriteRightDecidedBeforeTheBodyIsRead() throws Exception {
        byte[] body = bytes(1000, 2);
        String path = "/gocache/cache/" + action("unauthorized") + "/" + CacheIds.sha256(body);
        HttpResponse<byte[]> none = send("PUT", path, body, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().allValues("WWW-Authenticate")).anySatisfy(v -> assertThat(v).startsWith("Bearer"));
        assertThat(send("PUT", path, body, READ).statusCode()).as("a read-only token cannot write").isEqualTo(403);
        assertThat(send("PUT", path, body, "gct_made-up").statusCode()).isEqualTo(403);
        assertThat(send("GET", "/gocache/cache/action/" + action("x"), null, null).statusCode()).as("reads need a token here").isEqualTo(401);
        // A large body from someone without the right is not read: the answer comes, and the connection ends.
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("PUT", path, "Content-Length: 100000000", "Authorization: Bearer " + READ));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.closes()).isTrue();
        }
        assertThat(granary.server().metrics().scrape()).doesNotContain(WRITE).doesNotContain(READ);
    }

    @Test
    void bodiesAreBoundedAndNeedALength() throws Exception {
        String path = "/gocache/cache/" + action("big") + "/" + action("big output");
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("PUT", path, "Content-Length: " + (MAX_ENTRY + 1), "Authorization: Bearer " + WRITE));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.closes()).isTrue();
        }
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("PUT", path, "Transfer-Encoding: chunked", "Authorization: Bearer " + WRITE) + "5\r\nhello\r\n0\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(411);
        }
        // PUT elsewhere is still a 405 that names GET and HEAD.
        HttpResponse<byte[]> r = send("PUT", "/rsc.io/quote/@v/list", "x".getBytes(StandardCharsets.UTF_8), WRITE);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("GET, HEAD");
    }

    @Test
    void aLargeBodyStreamsToDiskInPiecesAndAnExpectContinueIsAnswered() throws Exception {
        byte[] body = bytes((int) MAX_ENTRY - 10, 3);
        String output = CacheIds.sha256(body);
        String action = action("large");
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("PUT", "/gocache/cache/" + action + "/" + output, "Content-Length: " + body.length,
                    "Authorization: Bearer " + WRITE, "Expect: 100-continue"));
            assertThat(c.read(true).status()).isEqualTo(100);
            for (int off = 0; off < body.length; off += 1 << 20) {
                c.send(java.util.Arrays.copyOfRange(body, off, Math.min(body.length, off + (1 << 20))));
            }
            assertThat(c.read(false).status()).isEqualTo(204);
            // The connection goes on.
            c.send(request("GET", "/gocache/cache/action/" + action, "Authorization: Bearer " + READ, "Want-Object: 1"));
            RawHttp.Response hit = c.read(false);
            assertThat(hit.status()).isEqualTo(200);
            assertThat(CacheIds.sha256(hit.body())).isEqualTo(output);
        }
    }

    @Test
    void anAbandonedUploadLeavesNothingBehind() throws Exception {
        String path = "/gocache/cache/" + action("abandoned") + "/" + action("abandoned output");
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("PUT", path, "Content-Length: 1000000", "Authorization: Bearer " + WRITE));
            c.send(bytes(300_000, 4));
        }
        for (int i = 0; i < 100 && !uploadFiles().isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertThat(uploadFiles()).as("temporary upload files").isEmpty();
        assertThat(send("GET", "/gocache/cache/action/" + action("abandoned"), null, READ).statusCode()).isEqualTo(404);
    }

    private List<Path> uploadFiles() throws IOException {
        try (Stream<Path> s = Files.list(storage)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".tmp-") && p.getFileName().toString().contains("-upload-")).toList();
        }
    }

    @Test
    void bundlesAreCheckedBeforeTheyArePublishedAndListed() throws Exception {
        byte[] bundle = bundle();
        String id;
        try (var r = dev.granary.core.gocache.BundleReader.open(new java.io.ByteArrayInputStream(bundle))) {
            id = r.manifest().id();
        }
        String path = "/gocache/bundles/" + id + ".tar.zst";
        byte[] damaged = bundle.clone();
        damaged[damaged.length - 30] ^= 0x20;
        HttpResponse<byte[]> refused = send("PUT", path, damaged, WRITE);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("nothing was stored");
        assertThat(send("GET", path, null, READ).statusCode()).isEqualTo(404);
        assertThat(send("PUT", "/gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst", bundle, WRITE).statusCode())
                .as("a bundle under another identity").isEqualTo(400);
        assertThat(send("PUT", path + ".asc", "-----BEGIN PGP SIGNATURE-----\n".getBytes(StandardCharsets.UTF_8), WRITE).statusCode())
                .as("a signature before its bundle").isEqualTo(404);

        assertThat(send("PUT", path, bundle, WRITE).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> got = send("GET", path, null, READ);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.headers().firstValue("Content-Type")).contains("application/zstd");
        assertThat(got.body()).isEqualTo(bundle);
        String index = new String(send("GET", "/gocache/bundles/index.json", null, READ).body(), StandardCharsets.UTF_8);
        assertThat(index).contains("\"id\" : \"" + id + "\"").contains("\"goVersion\" : \"go1.26.8\"");
        assertThat(send("PUT", path + ".asc", "-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n"
                .getBytes(StandardCharsets.UTF_8), WRITE).statusCode()).isEqualTo(201);
        assertThat(new String(send("GET", "/gocache/bundles/index.json", null, READ).body(), StandardCharsets.UTF_8))
                .contains("\"signed\" : true");
    }

    private static byte[] bundle() throws IOException {
        Path cache = tmp.resolve("producer");
        for (int i = 0; i < 4; i++) {
            byte[] content = bytes(5000 + i, 10 + i);
            String out = CacheIds.sha256(content);
            Files.write(Files.createDirectories(cache.resolve(out.substring(0, 2))).resolve(out + "-d"), content);
            String a = action("bundle " + i);
            Files.write(Files.createDirectories(cache.resolve(a.substring(0, 2))).resolve(a + "-a"),
                    new dev.granary.core.gocache.ActionEntry(a, out, content.length, 1).format());
        }
        KeyInputs inputs = new KeyInputs("go1.26.8", "linux", "amd64", "GOAMD64=v1", false, new TreeMap<>(), "", "", true, false,
                List.of(), "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<BundleManifest.FileEntry> files = BundleWriter.scan(cache, Progress.NONE);
        BundleWriter.write(cache, files, new BundleWriter.Draft("example.com/app", inputs, action("go.sum"), List.of(), 4, "test"),
                out, Progress.NONE);
        return out.toByteArray();
    }
}
