package dev.granary.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.ProxyException;
import dev.granary.core.protocol.RequestParser;
import dev.granary.server.Metrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What error texts may tell clients: no storage paths, no temporary files, no storage or internal details. */
class RedactionTest {
    @TempDir
    Path tmp;

    private final Metrics metrics = new Metrics();

    @Test
    void storageRootsAndTemporaryFilesAreRedacted() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("storage"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), root);
        Redaction r = Redaction.of(link);
        String text =
                "cannot store x under " + link + ": " + root + "/a/@v/.tmp-fetch-123.zip: No space left on device;"
                        + " also " + link.toAbsolutePath() + "/.tmp-9 and 'x.tmp-y'";
        assertThat(r.apply(text))
                .isEqualTo("cannot store x under <storage>: <storage>/a/@v/<temporary file>: No space left on device;"
                        + " also <storage>/<temporary file> and 'x<temporary file>'")
                .doesNotContain(tmp.toString());
        assertThat(r.apply("rsc.io/quote@v1.5.2: not found")).isEqualTo("rsc.io/quote@v1.5.2: not found");
        assertThat(r.apply(null)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(ProxyException.Kind.class)
    void errorTextsKeepTheReasonButNotStorageOrInternalDetails(ProxyException.Kind kind) {
        Path root = tmp.resolve("storage");
        ResponsePolicy policy = new ResponsePolicy(Redaction.of(root));
        EmbeddedChannel ch = new EmbeddedChannel();
        Exchange ex = new Exchange(
                edge(),
                (e, goOn) -> {},
                ch,
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/rsc.io/quote/@v/v1.5.2.zip"));
        String message = "verifying rsc.io/quote@v1.5.2: reading " + root + "/.tmp-fetch-1.zip: I/O error";
        Response rsp = policy.decide(ex, new Answer.Failure(new ProxyException(kind, message)));
        Response.Body.Bytes body = (Response.Body.Bytes) rsp.body();
        String text = new String(body.bytes(), body.offset(), body.length(), StandardCharsets.UTF_8);
        assertThat(rsp.status()).isEqualTo(ResponsePolicy.status(kind));
        assertThat(rsp.headers().get("cache-control")).isEqualTo(ResponsePolicy.NO_STORE);
        assertThat(text).doesNotContain(root.toString()).doesNotContain(".tmp-").endsWith("\n");
        switch (kind) {
            case STORAGE_UNAVAILABLE ->
                assertThat(text).startsWith("storage unavailable").doesNotContain("rsc.io");
            case INTERNAL -> assertThat(text).isEqualTo("internal error\n");
            default -> assertThat(text).startsWith("verifying rsc.io/quote@v1.5.2: reading <storage>/<temporary file>");
        }
        ex.abandon();
        ch.finishAndReleaseAll();
    }

    private HttpEdge edge() {
        return new HttpEdge(
                new HttpEdge.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 10, 0),
                target ->
                        Router.Route.now("x", new Answer.Failure(ProxyException.notFound(RequestParser.path(target)))),
                Runnable::run,
                metrics,
                new ResponsePolicy(Redaction.none()));
    }

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }
}
