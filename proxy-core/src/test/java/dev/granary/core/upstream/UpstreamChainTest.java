package dev.granary.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.testing.TestUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamChainTest {
    private static final HttpUpstream.Settings FAST =
            new HttpUpstream.Settings(Duration.ofSeconds(2), Duration.ofSeconds(10), 1, Duration.ofMillis(10));

    @TempDir
    Path tmp;

    private TestUpstream a;
    private TestUpstream b;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(tmp.resolve("a/m/@v"));
        Files.createDirectories(tmp.resolve("b/m/@v"));
        Files.writeString(tmp.resolve("b/m/@v/list"), "v1.0.0\n");
        a = TestUpstream.serve(tmp.resolve("a"));
        b = TestUpstream.serve(tmp.resolve("b"));
    }

    @AfterEach
    void tearDown() {
        a.close();
        b.close();
    }

    private UpstreamChain chain(String list) {
        return UpstreamChain.parse(list, HttpUpstream.newClient(FAST), FAST);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void commaFallsThroughOnNotFound() {
        assertThat(text(chain(a.uri() + "," + b.uri()).fetch("m/@v/list", 1024)))
                .isEqualTo("v1.0.0\n");
    }

    @Test
    void commaFallsThroughOnGone() {
        a.status("m/@v/list", 410);
        assertThat(text(chain(a.uri() + "," + b.uri()).fetch("m/@v/list", 1024)))
                .isEqualTo("v1.0.0\n");
    }

    @Test
    void commaStopsOnServerError() {
        a.status("m/@v/list", 500);
        assertThatThrownBy(() -> chain(a.uri() + "," + b.uri()).fetch("m/@v/list", 1024))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThat(b.hits("m/@v/list")).isZero();
    }

    @Test
    void pipeFallsThroughOnAnyError() {
        a.status("m/@v/list", 500);
        assertThat(text(chain(a.uri() + "|" + b.uri()).fetch("m/@v/list", 1024)))
                .isEqualTo("v1.0.0\n");
    }

    @Test
    void pipeFallsThroughWhenTheFirstIsDown() {
        a.close();
        assertThat(text(chain(a.uri() + "|" + b.uri()).fetch("m/@v/list", 1024)))
                .isEqualTo("v1.0.0\n");
    }

    @Test
    void serverErrorsAreRetriedThenReported() {
        a.status("m/@v/list", 503);
        assertThatThrownBy(() -> chain(a.uri().toString()).fetch("m/@v/list", 1024))
                .isInstanceOf(ProxyException.class);
        assertThat(a.hits("m/@v/list")).isEqualTo(1 + FAST.retries());
    }

    @Test
    void notFoundIsNeverRetried() {
        assertThatThrownBy(() -> chain(a.uri().toString()).fetch("m/@v/list", 1024))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        assertThat(a.hits("m/@v/list")).isEqualTo(1);
    }

    @Test
    void fileUpstreamsWork() {
        assertThat(text(chain(tmp.resolve("a").toUri() + "," + tmp.resolve("b").toUri())
                        .fetch("m/@v/list", 1024)))
                .isEqualTo("v1.0.0\n");
    }

    @Test
    void offEndsTheListAndAnEmptyChainFindsNothing() {
        UpstreamChain c = chain("off," + b.uri());
        assertThat(c.isEmpty()).isTrue();
        assertThatThrownBy(() -> c.fetch("m/@v/list", 1024))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        assertThat(b.totalHits()).isZero();
    }

    @Test
    void directIsRecordedNotAnEntryAndUnknownSchemesAreRefusedAtParseTime() {
        UpstreamChain withDirect = chain(a.uri() + ",direct");
        assertThat(withDirect.includesDirect()).isTrue();
        assertThat(withDirect.entries()).hasSize(1);
        assertThat(chain("direct").isEmpty()).isTrue();
        assertThat(chain(a.uri().toString()).includesDirect()).isFalse();
        assertThatThrownBy(() -> chain("https://proxy.golang.org,noproxy"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("noproxy");
        assertThatThrownBy(() -> chain("ftp://x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ftp://x");
    }

    @Test
    void oversizedBodiesAreRefused() {
        assertThatThrownBy(() -> chain(b.uri().toString()).fetch("m/@v/list", 3))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
    }

    @Test
    void describeShowsTheSeparators() {
        assertThat(chain(a.uri() + "," + b.uri() + "|" + tmp.toUri()).describe())
                .contains(",")
                .contains("|");
    }
}
