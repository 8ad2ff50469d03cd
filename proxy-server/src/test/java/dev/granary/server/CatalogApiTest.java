package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.Eventually;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The catalog's page and JSON on a real server that fetched a few versions (one of them a private,
 * pinned module), and the access log of the same requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CatalogApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private TestUpstream upstream;
    private TestServers.Running granary;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("granary.access");
    private final ListAppender<ILoggingEvent> access = new ListAppender<>();

    @BeforeAll
    void start() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/quote", "v1.5.2");
        tree.addSimple("example.com/quote", "v1.5.1");
        tree.addSimple("example.com/sampler", "v1.3.0");
        tree.addSimple("git.corp.example/Team/lib", "v0.2.0");
        upstream = TestUpstream.serve(tree.root());
        access.setContext(accessLogger.getLoggerContext());
        access.start();
        accessLogger.addAppender(access);
        granary = TestServers.start(
                tmp.resolve("storage"),
                upstream.uri().toString(),
                Map.of(ConfigKey.NOSUMDB, "git.corp.example", ConfigKey.LOG_ACCESS, "true"));
        for (String v : List.of(
                "example.com/quote/@v/v1.5.2",
                "example.com/quote/@v/v1.5.1",
                "example.com/sampler/@v/v1.3.0",
                "git.corp.example/!team/lib/@v/v0.2.0")) {
            assertThat(get("/" + v + ".zip").statusCode()).isEqualTo(200);
        }
    }

    @AfterAll
    void stop() {
        granary.close();
        upstream.close();
        accessLogger.detachAppender(access);
    }

    private HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(granary.url() + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String path, int status) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).contains("application/json; charset=utf-8");
        assertThat(r.headers().firstValue("x-content-type-options")).contains("nosniff");
        return JSON.readTree(r.body());
    }

    @Test
    void thePageIsStaticHtmlThatRunsOnlyItsOwnScriptAndRevalidates() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow())
                .contains("script-src 'self'")
                .contains("frame-ancestors 'none'");
        assertThat(page.headers().firstValue("cache-control")).contains("no-cache");
        assertThat(page.body())
                .contains("<script src=\"/-/catalog.js\"></script>")
                .doesNotContain("<script>")
                .doesNotContain("style=");
        String etag = page.headers().firstValue("etag").orElseThrow();
        assertThat(get("/", "If-None-Match", etag).statusCode()).isEqualTo(304);

        HttpResponse<String> js = get("/-/catalog.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("content-type")).contains("text/javascript; charset=utf-8");
        // Text only: the script never turns server data into markup.
        assertThat(js.body())
                .doesNotContain("innerHTML")
                .doesNotContain("insertAdjacentHTML")
                .doesNotContain("document.write");
        assertThat(get("/-/catalog.css").statusCode()).isEqualTo(200);
        assertThat(get("/-/nothing").statusCode()).isEqualTo(404);
    }

    @Test
    void searchFindsStoredModulesByAnyPartOfTheirPath() throws Exception {
        JsonNode all = json("/-/api/modules", 200);
        assertThat(all.get("total").asInt()).isEqualTo(3);
        JsonNode found = json("/-/api/modules?q=quote", 200);
        assertThat(found.get("modules")).hasSize(1);
        assertThat(found.get("modules").get(0).get("path").asText()).isEqualTo("example.com/quote");
        assertThat(found.get("modules").get(0).get("versions").asInt()).isEqualTo(2);
        assertThat(found.get("modules").get(0).get("latest").asText()).isEqualTo("v1.5.2");
        assertThat(json("/-/api/modules?q=TEAM", 200)
                        .get("modules")
                        .get(0)
                        .get("path")
                        .asText())
                .isEqualTo("git.corp.example/Team/lib");
        assertThat(json("/-/api/modules?q=example+sampler&limit=1", 200).get("modules"))
                .hasSize(1);
    }

    @Test
    void aModulesVersionsCarryTimeSizeHashesAndHowTheyWereVerified() throws Exception {
        JsonNode m = json("/-/api/modules/example.com/quote", 200);
        assertThat(m.get("versionCount").asInt()).isEqualTo(2);
        JsonNode v = m.get("versions").get(0);
        assertThat(v.get("version").asText()).isEqualTo("v1.5.2");
        GoSum stored = GoSum.find(
                Files.readString(tmp.resolve("storage")
                        .resolve(StorageLayout.sum(ModuleVersion.of("example.com/quote", "v1.5.2"))
                                .value())),
                ModuleVersion.of("example.com/quote", "v1.5.2"));
        assertThat(v.get("h1").asText()).isEqualTo(stored.zipH1());
        assertThat(v.get("goModH1").asText()).isEqualTo(stored.modH1());
        assertThat(v.get("zipBytes").asLong())
                .isEqualTo(Files.size(tmp.resolve("storage/example.com/quote/@v/v1.5.2.zip")));
        assertThat(v.get("fetched").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        // Checksum verification is off in this server: stored, but nothing vouches for it.
        assertThat(v.get("state").asText()).isEqualTo("unverified");

        // Private modules are pinned; the path may be given plain or case-escaped.
        for (String p : List.of("git.corp.example/Team/lib", "git.corp.example/!team/lib")) {
            JsonNode priv = json("/-/api/modules/" + p, 200);
            assertThat(priv.get("path").asText()).isEqualTo("git.corp.example/Team/lib");
            assertThat(priv.get("escapedPath").asText()).isEqualTo("git.corp.example/!team/lib");
            assertThat(priv.get("versions").get(0).get("state").asText()).isEqualTo("pinned");
        }
        assertThat(json("/-/api/modules/example.com/quote?limit=1", 200)
                        .get("truncated")
                        .asBoolean())
                .isTrue();
    }

    @Test
    void hostileInputIsAnsweredAsDataNeverAsMarkup() throws Exception {
        String xss = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
        JsonNode q = json("/-/api/modules?q=" + xss, 200);
        assertThat(q.get("query").asText()).isEqualTo("<script>alert(1)</script>");
        assertThat(q.get("modules")).isEmpty();
        JsonNode bad = json("/-/api/modules/" + xss, 404);
        assertThat(bad.get("error").asText()).contains("malformed module path");
        assertThat(json("/-/api/modules/example.com/unknown", 404).get("error").asText())
                .contains("no version");
        assertThat(json("/-/api/modules/..%2F..%2Fetc", 404).has("error")).isTrue();
    }

    @Test
    void statsShowTiersAndCounts() throws Exception {
        JsonNode s = json("/-/api/stats", 200);
        assertThat(s.get("modules").asInt()).isEqualTo(3);
        assertThat(s.get("versions").asInt()).isEqualTo(4);
        assertThat(s.get("indexReady").asBoolean()).isTrue();
        assertThat(s.get("tiers").findValuesAsText("tier")).contains("hot", "disk");
        JsonNode hot = s.get("tiers").get(0);
        assertThat(hot.get("capacityBytes").asLong()).isPositive();
        assertThat(s.get("verification").get("committed").asInt()).isEqualTo(4);
        assertThat(s.get("upstream").get("fetches").asInt()).isPositive();
        assertThat(s.toString()).doesNotContain(tmp.toString());
    }

    @Test
    void theAccessLogHasOneLinePerRequestWithItsTierAndNoQueryString() throws Exception {
        int before;
        synchronized (access) {
            before = access.list.size();
        }
        // Stored and in the memory tier by now, after the fetch above.
        assertThat(get("/example.com/sampler/@v/v1.3.0.info?token=s3cr3t").statusCode())
                .isEqualTo(200);
        assertThat(get("/example.com/nothing/@v/v1.0.0.info").statusCode()).isEqualTo(404);
        // A line is written once its answer is sent, which the client may see first.
        Eventually.eventually(() -> assertThat(accessLines(before)).hasSize(2));
        List<String> lines = accessLines(before);
        assertThat(lines.get(0))
                .startsWith("method=GET path=/example.com/sampler/@v/v1.3.0.info status=200 bytes=")
                .containsPattern("tier=(hot|disk) client=127\\.0\\.0\\.1 kind=info")
                .doesNotContain("s3cr3t")
                .doesNotContain("token");
        assertThat(lines.get(1)).contains("status=404").contains("tier=upstream");
        // The fetches at the start came from the upstream.
        assertThat(accessLines(0).subList(0, 4))
                .allSatisfy(l -> assertThat(l)
                        .contains("kind=zip")
                        .contains("tier=upstream")
                        .contains("status=200"));
    }

    private List<String> accessLines(int from) {
        synchronized (access) {
            return access.list.subList(from, access.list.size()).stream()
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        }
    }
}
