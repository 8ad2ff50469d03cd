package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests whose framing cannot be trusted (RFC 9112 sections 6.1 and 6.3) are answered with a 4xx
 * and {@code Connection: close}, and the connection is then closed: whatever follows on it may be a
 * smuggled request and is never answered. A declared body that is too large is refused without
 * reading it, a body of unknown length (chunked) is refused with 411; a small body on a GET is read and
 * ignored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FramingTest {
    @TempDir
    static Path tmp;

    private TestServers.Running granary;

    @BeforeAll
    void start() throws Exception {
        granary = TestServers.start(tmp.resolve("storage"), "off", Map.of());
    }

    @AfterAll
    void stop() {
        granary.close();
    }

    static Stream<Arguments> untrustworthyFraming() {
        return Stream.of(
                Arguments.of(
                        "Content-Length and Transfer-Encoding",
                        request("GET", "/healthz", "Content-Length: 5", "Transfer-Encoding: chunked") + "0\r\n\r\n",
                        400),
                Arguments.of(
                        "differing Content-Length headers",
                        request("GET", "/healthz", "Content-Length: 5", "Content-Length: 6") + "hello",
                        400),
                Arguments.of(
                        "differing Content-Length list",
                        request("GET", "/healthz", "Content-Length: 5, 6") + "hello",
                        400),
                Arguments.of("non-numeric Content-Length", request("GET", "/healthz", "Content-Length: five"), 400),
                Arguments.of("unknown Transfer-Encoding", request("GET", "/healthz", "Transfer-Encoding: gzip"), 400),
                Arguments.of(
                        "oversize header section", request("GET", "/healthz", "X-Big: " + "b".repeat(20_000)), 431),
                Arguments.of(
                        "many headers",
                        request(
                                "GET",
                                "/healthz",
                                Stream.generate(() -> "X-Many: yes")
                                        .limit(2_000)
                                        .toArray(String[]::new)),
                        431),
                Arguments.of("oversize request line", request("GET", "/healthz?" + "q".repeat(10_000)), 414),
                Arguments.of(
                        "space in a header name", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
                Arguments.of(
                        "declared body far too large", request("GET", "/healthz", "Content-Length: 10737418240"), 413),
                Arguments.of(
                        "chunked body on a GET",
                        request("GET", "/healthz", "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\n\r\n",
                        411));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("untrustworthyFraming")
    void untrustworthyFramingIsRefusedAndTheConnectionClosed(String what, String raw, int status) throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address())) {
            // The second request would be answered if the connection were (wrongly) kept.
            c.send(raw + request("GET", "/healthz"));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).as(r.toString()).isEqualTo(status);
            assertThat(r.closes()).isTrue();
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            assertThat(r.text().strip()).isNotEmpty();
            assertThat(c.closedByServer()).as("closed after %s", what).isTrue();
        }
    }

    @Test
    void aSmallBodyOnAGetIsReadAndIgnored() throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("GET", "/healthz", "Content-Length: 5") + "hello" + request("GET", "/healthz"));
            RawHttp.Response first = c.read(false);
            assertThat(first.text()).isEqualTo("ok\n");
            assertThat(first.closes()).isFalse();
            assertThat(c.read(false).text()).isEqualTo("ok\n");
        }
    }
}
