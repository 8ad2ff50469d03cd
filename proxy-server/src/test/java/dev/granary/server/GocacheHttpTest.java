package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.gocache.ActionEntry;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleReader;
import dev.granary.core.gocache.BundleWriter;
import dev.granary.core.gocache.CacheIds;
import dev.granary.core.gocache.KeyInputs;
import dev.granary.core.gocache.Progress;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build cache endpoints over real HTTP: the gocached protocol (lookups with and without
 * {@code Want-Object}, puts checked against their output ID), the client tokens' rights (writes need
 * {@code cache-write}: 401 without a token or with an unknown one, 403 with a read-only one, decided
 * before the body is read; reads need {@code cache-read} once {@code auth.required} is set), body
 * limits and framing, bundles checked before they are published, and nothing left behind by refused
 * or abandoned uploads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GocacheHttpTest {
    /** CI on the main branch. */
    private static final String WRITE = Tokens.generate();
    /** Pull requests. */
    private static final String READ = Tokens.generate();
    /** A token for modules only. */
    private static final String MODULES = Tokens.generate();

    private static final String TOKENS = "ci-main " + Tokens.hash(WRITE) + " cache-write; pull-requests "
            + Tokens.hash(READ) + " cache-read; builds " + Tokens.hash(MODULES) + " read";
    private static final long MAX_ENTRY = 8 << 20;

    @TempDir
    static Path tmp;

    private Path storage;
    private TestServers.Running granary;
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        storage = tmp.resolve("storage");
        granary = TestServers.start(
                storage,
                "off",
                Map.of(
                        ConfigKey.AUTH_TOKENS,
                        TOKENS,
                        // Some modules are private: reading the build cache then needs cache-read too.
                        ConfigKey.AUTH_REQUIRED,
                        "corp.example.com",
                        ConfigKey.GOCACHE_MAX_ENTRY_BYTES,
                        Long.toString(MAX_ENTRY),
                        ConfigKey.GOCACHE_CLIENT_MODULE,
                        "false"));
    }

    @AfterAll
    void stop() {
        granary.close();
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String token, String... headers)
            throws Exception {
        return send(granary, method, path, body, token, headers);
    }

    private HttpResponse<byte[]> send(
            TestServers.Running to, String method, String path, byte[] body, String token, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.url() + path))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
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
        assertThat(send("PUT", "/gocache/cache/" + action + "/" + output, body, WRITE)
                        .statusCode())
                .isEqualTo(204);

        HttpResponse<byte[]> hit = send("GET", "/gocache/cache/action/" + action, null, READ, "Want-Object", "1");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("Go-Output-Id")).contains(output);
        assertThat(hit.headers().firstValue("Content-Type")).contains("application/octet-stream");
        assertThat(hit.body()).isEqualTo(body);
        assertThat(hit.headers().firstValue("Cache-Control"))
                .as("an action's entry may change")
                .contains("no-store");

        // The older two-request form of the protocol.
        HttpResponse<byte[]> json = send("GET", "/gocache/cache/action/" + action, null, READ);
        assertThat(new String(json.body(), StandardCharsets.UTF_8))
                .contains("\"outputID\":\"" + output + "\"")
                .contains("\"size\":300000");
        HttpResponse<byte[]> out = send("GET", "/gocache/cache/output/" + output, null, WRITE);
        assertThat(out.body()).isEqualTo(body);
        assertThat(out.headers().firstValue("Cache-Control"))
                .as("reads need a token here")
                .contains("private, max-age=31536000, immutable");

        assertThat(send("GET", "/gocache/cache/action/" + action("never built"), null, READ, "Want-Object", "1")
                        .statusCode())
                .isEqualTo(404);
        assertThat(granary.server().metrics().scrape()).contains("granary_gocache_lookups_total{result=\"hit\"}");
    }

    @Test
    void aBodyThatIsNotItsOutputIdIsRefusedAndNothingIsStored() throws Exception {
        byte[] body = "a poisoned object file".getBytes(StandardCharsets.UTF_8);
        String claimed = CacheIds.sha256("what the compiler produced".getBytes(StandardCharsets.UTF_8));
        String action = action("poison");
        HttpResponse<byte[]> r = send("PUT", "/gocache/cache/" + action + "/" + claimed, body, WRITE);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(new String(r.body(), StandardCharsets.UTF_8))
                .contains("SHA-256")
                .contains(claimed);
        assertThat(send("GET", "/gocache/cache/action/" + action, null, READ, "Want-Object", "1")
                        .statusCode())
                .isEqualTo(404);
        assertThat(storage.resolve("gocache/outputs/" + claimed.substring(0, 2) + "/" + claimed))
                .doesNotExist();
    }

    @Test
    void writingNeedsTheCacheWriteRightDecidedBeforeTheBodyIsRead() throws Exception {
        Map<String, Double> before = refusals(granary);
        byte[] body = bytes(1000, 2);
        String path = "/gocache/cache/" + action("unauthorized") + "/" + CacheIds.sha256(body);
        HttpResponse<byte[]> none = send("PUT", path, body, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().allValues("WWW-Authenticate"))
                .containsExactly("Basic realm=\"granary\", charset=\"UTF-8\"", "Bearer realm=\"granary\"");
        assertThat(text(none)).startsWith("authentication required: the build cache needs a token");
        HttpResponse<byte[]> readOnly = send("PUT", path, body, READ);
        assertThat(readOnly.statusCode()).as("a read-only token cannot write").isEqualTo(403);
        assertThat(text(readOnly)).isEqualTo("token 'pull-requests' may not write to the build cache\n");
        assertThat(send("PUT", path, body, MODULES).statusCode())
                .as("a token for modules only")
                .isEqualTo(403);
        HttpResponse<byte[]> unknown = send("PUT", path, body, Tokens.generate());
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.headers().allValues("WWW-Authenticate"))
                .contains("Bearer realm=\"granary\", error=\"invalid_token\"");
        assertThat(send("GET", "/gocache/cache/action/" + action("unauthorized"), null, WRITE)
                        .statusCode())
                .as("nothing was stored")
                .isEqualTo(404);

        // A large body from someone without the right is not read: the answer comes on the head alone, and the
        // connection ends.
        assertRefusedOnTheHead(granary, path, 401, null);
        assertRefusedOnTheHead(granary, path, 403, READ);
        assertRefusedOnTheHead(granary, path, 401, Tokens.generate());
        assertThat(uploadFiles()).as("temporary upload files").isEmpty();

        // Counted as every other route's refusals are.
        Map<String, Double> after = refusals(granary);
        assertThat(after.get("missing") - before.getOrDefault("missing", 0.0)).isEqualTo(2.0);
        assertThat(after.get("forbidden") - before.getOrDefault("forbidden", 0.0))
                .isEqualTo(3.0);
        assertThat(after.get("invalid") - before.getOrDefault("invalid", 0.0)).isEqualTo(2.0);
        String metrics = granary.server().metrics().scrape();
        assertThat(metrics)
                .contains("kind=\"gocache-put\",status=\"401\"")
                .contains("kind=\"gocache-put\",status=\"403\"");
        assertThat(metrics).doesNotContain(WRITE).doesNotContain(READ).doesNotContain(MODULES);
    }

    @Test
    void withAuthRequiredSetReadingTheBuildCacheNeedsCacheRead() throws Exception {
        String lookup = "/gocache/cache/action/" + action("read right");
        HttpResponse<byte[]> none = send("GET", lookup, null, null, "Want-Object", "1");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(text(none)).startsWith("authentication required: the build cache needs a token");
        assertThat(none.headers().allValues("WWW-Authenticate")).hasSize(2);
        assertThat(send("GET", lookup, null, READ, "Want-Object", "1").statusCode())
                .isEqualTo(404);
        assertThat(send("GET", lookup, null, WRITE, "Want-Object", "1").statusCode())
                .as("cache-write reads too")
                .isEqualTo(404);
        HttpResponse<byte[]> modulesOnly = send("GET", lookup, null, MODULES, "Want-Object", "1");
        assertThat(modulesOnly.statusCode())
                .as("reading modules is another right")
                .isEqualTo(403);
        assertThat(text(modulesOnly)).isEqualTo("token 'builds' may not read the build cache\n");
        assertThat(send("HEAD", "/gocache/cache/output/" + action("read right"), null, null)
                        .statusCode())
                .isEqualTo(401);
        assertThat(send("GET", "/gocache/bundles/index.json", null, null).statusCode())
                .isEqualTo(401);
        assertThat(send("GET", "/gocache/bundles/index.json", null, READ).statusCode())
                .isEqualTo(200);
        assertThat(send("GET", "/gocache/no-such-thing", null, null).statusCode())
                .as("nothing under /gocache/ for anonymous clients")
                .isEqualTo(401);
        assertThat(send("GET", "/gocache/no-such-thing", null, READ).statusCode())
                .isEqualTo(404);
    }

    @Test
    void withoutAuthRequiredReadsAreOpenAndOutputsPublic() throws Exception {
        try (TestServers.Running open =
                TestServers.start(tmp.resolve("open"), "off", Map.of(ConfigKey.AUTH_TOKENS, TOKENS))) {
            byte[] body = bytes(2000, 5);
            String output = CacheIds.sha256(body);
            String path = "/gocache/cache/" + action("open reads") + "/" + output;
            assertThat(send(open, "PUT", path, body, null).statusCode()).isEqualTo(401);
            assertThat(send(open, "PUT", path, body, READ).statusCode()).isEqualTo(403);
            assertThat(send(open, "PUT", path, body, WRITE).statusCode()).isEqualTo(204);
            HttpResponse<byte[]> hit =
                    send(open, "GET", "/gocache/cache/action/" + action("open reads"), null, null, "Want-Object", "1");
            assertThat(hit.statusCode()).isEqualTo(200);
            assertThat(hit.body()).isEqualTo(body);
            HttpResponse<byte[]> out = send(open, "GET", "/gocache/cache/output/" + output, null, null);
            assertThat(out.statusCode()).isEqualTo(200);
            assertThat(out.headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");
            // Credentials that are sent must still be valid, as everywhere once tokens exist.
            assertThat(send(open, "GET", "/gocache/cache/output/" + output, null, Tokens.generate())
                            .statusCode())
                    .isEqualTo(401);
        }
    }

    @Test
    void withNoTokensConfiguredEveryWriteIsRefused() throws Exception {
        try (TestServers.Running bare = TestServers.start(tmp.resolve("bare"), "off", Map.of())) {
            byte[] body = bytes(500, 6);
            String path = "/gocache/cache/" + action("no tokens") + "/" + CacheIds.sha256(body);
            assertThat(send(bare, "PUT", path, body, null).statusCode()).isEqualTo(401);
            assertThat(send(bare, "PUT", path, body, WRITE).statusCode())
                    .as("no token is known here")
                    .isEqualTo(401);
            assertThat(send(bare, "PUT", "/gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst", body, WRITE)
                            .statusCode())
                    .isEqualTo(401);
            assertRefusedOnTheHead(bare, path, 401, WRITE);
            assertThat(send(bare, "GET", "/gocache/cache/action/" + action("no tokens"), null, null)
                            .statusCode())
                    .as("reads are open")
                    .isEqualTo(404);
        }
    }

    @Test
    void buildCacheRequestsAreRateLimitedPerTokenLikeAnyOther() throws Exception {
        try (TestServers.Running limited = TestServers.start(
                tmp.resolve("limited"),
                "off",
                Map.of(
                        ConfigKey.AUTH_TOKENS,
                        TOKENS,
                        ConfigKey.LIMITS_TOKEN_RATE,
                        "1",
                        ConfigKey.LIMITS_TOKEN_BURST,
                        "2"))) {
            String lookup = "/gocache/cache/action/" + action("rate");
            HttpResponse<byte[]> r = null;
            int served = 0;
            for (int i = 0; i < 100; i++) {
                r = send(limited, "GET", lookup, null, READ);
                if (r.statusCode() == 429) {
                    break;
                }
                assertThat(r.statusCode()).isEqualTo(404);
                served++;
            }
            assertThat(r.statusCode()).as("limited within 100 requests").isEqualTo(429);
            assertThat(served).isGreaterThanOrEqualTo(2);
            assertThat(text(r)).startsWith("too many requests with token 'pull-requests'");
            // Another token has its own budget, writes included.
            byte[] body = bytes(100, 7);
            assertThat(send(
                                    limited,
                                    "PUT",
                                    "/gocache/cache/" + action("rate") + "/" + CacheIds.sha256(body),
                                    body,
                                    WRITE)
                            .statusCode())
                    .isEqualTo(204);
        }
    }

    /** A PUT head declaring 100 MB, and no body: the refusal comes anyway, and the connection closes. */
    private static void assertRefusedOnTheHead(TestServers.Running to, String path, int status, String token)
            throws Exception {
        try (RawHttp c = RawHttp.connect(to.address())) {
            c.send(
                    token == null
                            ? request("PUT", path, "Content-Length: 100000000")
                            : request("PUT", path, "Content-Length: 100000000", "Authorization: Bearer " + token));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.closes()).isTrue();
        }
    }

    private static final Pattern REFUSALS =
            Pattern.compile("granary_auth_refusals_total\\{reason=\"(\\w+)\"} ([0-9.E]+)");

    /** granary_auth_refusals_total by reason. */
    private static Map<String, Double> refusals(TestServers.Running on) {
        Map<String, Double> counts = new TreeMap<>();
        Matcher m = REFUSALS.matcher(on.server().metrics().scrape());
        while (m.find()) {
            counts.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return counts;
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
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
            c.send(request("PUT", path, "Transfer-Encoding: chunked", "Authorization: Bearer " + WRITE)
                    + "5\r\nhello\r\n0\r\n\r\n");
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
            c.send(request(
                    "PUT",
                    "/gocache/cache/" + action + "/" + output,
                    "Content-Length: " + body.length,
                    "Authorization: Bearer " + WRITE,
                    "Expect: 100-continue"));
            assertThat(c.read(true).status()).isEqualTo(100);
            for (int off = 0; off < body.length; off += 1 << 20) {
                c.send(Arrays.copyOfRange(body, off, Math.min(body.length, off + (1 << 20))));
            }
            assertThat(c.read(false).status()).isEqualTo(204);
            // The connection goes on.
            c.send(request(
                    "GET", "/gocache/cache/action/" + action, "Authorization: Bearer " + READ, "Want-Object: 1"));
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
        assertThat(send("GET", "/gocache/cache/action/" + action("abandoned"), null, READ)
                        .statusCode())
                .isEqualTo(404);
    }

    private List<Path> uploadFiles() throws IOException {
        try (Stream<Path> s = Files.list(storage)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")
                            && p.getFileName().toString().contains("-upload-"))
                    .toList();
        }
    }

    @Test
    void bundlesAreCheckedBeforeTheyArePublishedAndListed() throws Exception {
        byte[] bundle = bundle();
        String id;
        try (var r = BundleReader.open(new ByteArrayInputStream(bundle))) {
            id = r.manifest().id();
        }
        String path = "/gocache/bundles/" + id + ".tar.zst";
        byte[] damaged = bundle.clone();
        damaged[damaged.length - 30] ^= 0x20;
        HttpResponse<byte[]> refused = send("PUT", path, damaged, WRITE);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("nothing was stored");
        assertThat(send("GET", path, null, READ).statusCode()).isEqualTo(404);
        assertThat(send("PUT", "/gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst", bundle, WRITE)
                        .statusCode())
                .as("a bundle under another identity")
                .isEqualTo(400);
        assertThat(send("PUT", path + ".asc", "-----BEGIN PGP SIGNATURE-----\n".getBytes(StandardCharsets.UTF_8), WRITE)
                        .statusCode())
                .as("a signature before its bundle")
                .isEqualTo(404);

        assertThat(send("PUT", path, bundle, WRITE).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> got = send("GET", path, null, READ);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.headers().firstValue("Content-Type")).contains("application/zstd");
        assertThat(got.body()).isEqualTo(bundle);
        assertThat(got.headers().firstValue("Cache-Control")).contains("no-cache");
        String index = new String(
                send("GET", "/gocache/bundles/index.json", null, READ).body(), StandardCharsets.UTF_8);
        assertThat(index).contains("\"id\" : \"" + id + "\"").contains("\"goVersion\" : \"go1.26.8\"");
        assertThat(send(
                                "PUT",
                                path + ".asc",
                                "-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n"
                                        .getBytes(StandardCharsets.UTF_8),
                                WRITE)
                        .statusCode())
                .isEqualTo(201);
        assertThat(new String(
                        send("GET", "/gocache/bundles/index.json", null, READ).body(), StandardCharsets.UTF_8))
                .contains("\"signed\" : true");
    }

    private static byte[] bundle() throws IOException {
        Path cache = tmp.resolve("producer");
        for (int i = 0; i < 4; i++) {
            byte[] content = bytes(5000 + i, 10 + i);
            String out = CacheIds.sha256(content);
            Files.write(
                    Files.createDirectories(cache.resolve(out.substring(0, 2))).resolve(out + "-d"), content);
            String a = action("bundle " + i);
            Files.write(
                    Files.createDirectories(cache.resolve(a.substring(0, 2))).resolve(a + "-a"),
                    new ActionEntry(a, out, content.length, 1).format());
        }
        KeyInputs inputs = new KeyInputs(
                "go1.26.8", "linux", "amd64", "GOAMD64=v1", false, new TreeMap<>(), "", "", true, false, List.of(), "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<BundleManifest.FileEntry> files = BundleWriter.scan(cache, Progress.NONE);
        BundleWriter.write(
                cache,
                files,
                new BundleWriter.Draft("example.com/app", inputs, action("go.sum"), List.of(), 4, "test"),
                out,
                Progress.NONE);
        return out.toByteArray();
    }
}
