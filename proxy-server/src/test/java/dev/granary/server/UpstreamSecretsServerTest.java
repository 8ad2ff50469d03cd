package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.LogCapture;
import dev.granary.core.testing.ScriptedUpstream;
import dev.granary.server.config.ConfigKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream URL with a password in it, through the whole server: the password is sent (as HTTP
 * Basic) and shown nowhere: not in answers to clients, not in the log from start-up on. Clients get
 * the upstream's reason without its internal address.
 */
class UpstreamSecretsServerTest {
    private static final String TOKEN = "tok-91be7a0d55";

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anUpstreamPasswordIsSentButNeverShown() throws Exception {
        // The upstream echoes what it received, as some error pages do.
        try (ScriptedUpstream upstream = ScriptedUpstream.start((req, reply) -> {
                    String echo = "refused " + req.header("authorization") + " for user:" + TOKEN + " at http://"
                            + req.header("host") + req.path();
                    reply.send(req.path().endsWith("/v1.0.0.info") ? 500 : 404, echo);
                });
                LogCapture logs = new LogCapture();
                TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"),
                        "http://user:" + TOKEN + "@" + upstream.uri().getAuthority(),
                        Map.of(ConfigKey.FETCH_RETRIES, "0"))) {
            HttpResponse<String> failed = get(granary, "/example.com/m/@v/v1.0.0.info");
            HttpResponse<String> missing = get(granary, "/example.com/m/@v/v1.9.9.info");

            String basic = Base64.getEncoder().encodeToString(("user:" + TOKEN).getBytes(StandardCharsets.UTF_8));
            assertThat(upstream.requests())
                    .isNotEmpty()
                    .extracting(r -> r.header("authorization"))
                    .containsOnly("Basic " + basic);
            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(failed.body())
                    .isEqualTo(
                            "upstream answered 500 for example.com/m/@v/v1.0.0.info: refused Basic *** for user:*** at <upstream>/example.com/m/@v/v1.0.0.info\n");
            for (String shown : List.of(failed.body(), missing.body(), logs.text())) {
                assertThat(shown).doesNotContain(TOKEN).doesNotContain(basic);
            }
            assertThat(failed.body() + missing.body())
                    .doesNotContain(upstream.uri().getAuthority());
            assertThat(missing.body()).contains("refused Basic *** for user:***");
            assertThat(logs.text())
                    .contains("upstream http://user:***@" + upstream.uri().getAuthority() + "/")
                    .contains(
                            "http://user:***@" + upstream.uri().getAuthority() + "/example.com/m/@v/v1.9.9.info: 404");
        }
    }

    private HttpResponse<String> get(TestServers.Running granary, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(granary.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
