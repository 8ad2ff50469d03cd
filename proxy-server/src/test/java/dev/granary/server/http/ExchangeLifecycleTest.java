package dev.granary.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.ProxyRequest;
import dev.granary.core.protocol.RequestParser;
import dev.granary.server.LogCapture;
import dev.granary.server.Metrics;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.disk.DiskBlobStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The request lifecycle on an {@link EmbeddedChannel} with the real pipeline (decoder, encoder,
 * handler) and real artifacts: conditional and range answers, HEAD, keep-alive and close, pipelining
 * order, and that every exchange ends exactly once and every buffer is released (leak detection is
 * paranoid in tests; inbound buffers are checked by reference count).
 */
class ExchangeLifecycleTest {
    /** How the blob behind an answer is held: the three ways the writer sends a body. */
    enum Kind {
        HEAP,
        FILE,
        STREAM
    }

    private static final ProxyRequest ZIP = RequestParser.parse("/example.com/m/@v/v1.0.0.zip");
    private static final ProxyRequest LIST = RequestParser.parse("/example.com/m/@v/list");

    @TempDir
    Path tmp;

    private byte[] content;
    private DiskBlobStore disk;
    private Metrics metrics;
    private HttpEdge edge;
    /** Blocking work waits here until the test runs it: answers complete when the test says so. */
    private final ArrayDeque<Runnable> deferred = new ArrayDeque<>();

    private boolean runInline = true;
    private final AtomicInteger blobsOpen = new AtomicInteger();
    private final List<ByteBuf> sent = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        content = new byte[100_000];
        new Random(7).nextBytes(content);
        disk = new DiskBlobStore(tmp.resolve("disk"));
        disk.put(BlobKey.of("zip"), content);
        metrics = new Metrics();
        Executor blocking = r -> {
            if (runInline) {
                r.run();
            } else {
                deferred.add(r);
            }
        };
        edge = new HttpEdge(
                new HttpEdge.Settings(Duration.ofSeconds(20), Duration.ofMinutes(2), 100, 0),
                this::route,
                blocking,
                metrics,
                new ResponsePolicy(Redaction.none()));
    }

    /**
     * Netty reports a leaked buffer (paranoid level in tests) once it is collected and another buffer
     * is tracked: collect, allocate, and look for the report.
     */
    @AfterAll
    static void noBufferLeaked() throws InterruptedException {
        try (LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(20);
                for (int j = 0; j < 100; j++) {
                    ByteBufAllocator.DEFAULT.buffer(16).release();
                    Unpooled.copiedBuffer(new byte[16]).release();
                }
            }
            assertThat(logs.atLeast(Level.WARN).stream()
                            .map(ILoggingEvent::getFormattedMessage)
                            .filter(m -> m.contains("LEAK"))
                            .toList())
                    .isEmpty();
        }
    }

    @AfterEach
    void tearDown() {
        for (ByteBuf b : sent) {
            assertThat(b.refCnt()).as("an inbound buffer was not released").isEqualTo(1);
            b.release();
        }
        assertThat(blobsOpen.get()).as("blobs left open").isZero();
        assertThat(edge.inFlight()).as("exchanges not ended").isZero();
        metrics.close();
    }

    private Router.Route route(String target) {
        return switch (target) {
            case "/healthz" -> Router.Route.now("health", Answer.Text.plain(HttpResponseStatus.OK, "ok\n"));
            case "/list" ->
                Router.Route.blocking(
                        "list",
                        () -> new Answer.Content(LIST, Artifact.mutable("v1.0.0\n".getBytes(StandardCharsets.UTF_8))));
            default -> {
                Kind kind = Kind.valueOf(target.substring(1).toUpperCase(Locale.ROOT));
                yield Router.Route.blocking("zip", () -> new Answer.Content(ZIP, artifact(kind)));
            }
        };
    }

    private Artifact artifact(Kind kind) {
        Blob blob = switch (kind) {
            case HEAP -> Blob.ofBytes(content);
            case FILE -> {
                try {
                    yield disk.get(BlobKey.of("zip")).orElseThrow();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            case STREAM ->
                new Blob() {
                    @Override
                    public long size() {
                        return content.length;
                    }

                    @Override
                    public InputStream openStream() {
                        return new ByteArrayInputStream(content);
                    }
                };
        };
        blobsOpen.incrementAndGet();
        Blob counted = new Blob() {
            private boolean closed;

            @Override
            public long size() {
                return blob.size();
            }

            @Override
            public InputStream openStream() throws IOException {
                return blob.openStream();
            }

            @Override
            public InputStream openStream(long offset, long length) throws IOException {
                return blob.openStream(offset, length);
            }

            @Override
            public Optional<FileChannel> fileChannel() {
                return blob.fileChannel();
            }

            @Override
            public Optional<byte[]> heapBytes() {
                return blob.heapBytes();
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    blobsOpen.decrementAndGet();
                }
                blob.close();
            }
        };
        return new Artifact(counted, "\"etag-" + kind + "\"", true);
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel ch =
                new EmbeddedChannel(edge.initializer(new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)));
        // Like a socket, take a file region's bytes when it is written (its file closes once the write is done).
        ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
                if (msg instanceof FileRegion r) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    WritableByteChannel sink = Channels.newChannel(out);
                    while (r.transferred() < r.count()) {
                        r.transferTo(sink, r.transferred());
                    }
                    r.release();
                    ctx.write(Unpooled.wrappedBuffer(out.toByteArray()), promise);
                } else {
                    ctx.write(msg, promise);
                }
            }
        });
        return ch;
    }

    /** Writes raw request bytes in one read, keeping a reference to check that the pipeline released them. */
    private void send(EmbeddedChannel ch, String raw) {
        ByteBuf b = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
        sent.add(b.retain());
        ch.writeInbound(b);
        ch.runPendingTasks();
    }

    private static String get(String target, String... headers) {
        return request("GET", target, headers);
    }

    private static String request(String method, String target, String... headers) {
        StringBuilder b = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: test\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    /** One parsed response off the wire. */
    record Wire(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Everything the channel wrote (buffers and file regions), released, as bytes. */
    private static byte[] written(EmbeddedChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WritableByteChannel sink = Channels.newChannel(out);
        for (Object o; (o = ch.readOutbound()) != null; ) {
            if (o instanceof ByteBuf b) {
                b.readBytes(out, b.readableBytes());
                b.release();
            } else if (o instanceof FileRegion r) {
                while (r.transferred() < r.count()) {
                    r.transferTo(sink, r.transferred());
                }
                r.release();
            } else {
                throw new AssertionError("unexpected outbound " + o);
            }
        }
        return out.toByteArray();
    }

    /** Parses consecutive responses; {@code heads[i]} says whether the i-th answers a HEAD. */
    private static List<Wire> parse(byte[] wire, boolean... heads) {
        List<Wire> out = new ArrayList<>();
        int pos = 0;
        for (boolean head : heads) {
            int end = indexOf(wire, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
            assertThat(end).as("a complete response head at %d", pos).isGreaterThanOrEqualTo(0);
            String[] lines = new String(wire, pos, end - pos, StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                headers.put(
                        lines[i].substring(0, c).toLowerCase(Locale.ROOT),
                        lines[i].substring(c + 1).strip());
            }
            pos = end + 4;
            int length = head || status == 304 || headers.get("content-length") == null
                    ? 0
                    : Integer.parseInt(headers.get("content-length"));
            out.add(new Wire(status, headers, Arrays.copyOfRange(wire, pos, pos + length)));
            pos += length;
        }
        assertThat(pos).as("no stray bytes after the responses").isEqualTo(wire.length);
        return out;
    }

    private static int indexOf(byte[] a, byte[] b, int from) {
        outer:
        for (int i = from; i <= a.length - b.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aMatchingIfNoneMatchIs304WithNoBody(Kind kind) throws IOException {
        EmbeddedChannel ch = channel();
        send(
                ch,
                get("/" + kind, "If-None-Match: \"other\", \"etag-" + kind + "\"")
                        + get("/" + kind, "If-None-Match: \"other\""));
        List<Wire> r = parse(written(ch), false, false);
        assertThat(r.get(0).status()).isEqualTo(304);
        assertThat(r.get(0).header("etag")).isEqualTo("\"etag-" + kind + "\"");
        assertThat(r.get(0).header("cache-control")).isEqualTo(ResponsePolicy.IMMUTABLE);
        assertThat(r.get(0).header("content-length")).isNull();
        assertThat(r.get(0).body()).isEmpty();
        assertThat(r.get(1).status()).isEqualTo(200);
        assertThat(r.get(1).body()).isEqualTo(content);
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRangeIs206WithTheSliceAndItsContentRange(Kind kind) throws IOException {
        EmbeddedChannel ch = channel();
        send(
                ch,
                get("/" + kind, "Range: bytes=1000-1999")
                        + get("/" + kind, "Range: bytes=-10")
                        + get("/" + kind, "Range: bytes=1000-1999", "If-Range: \"etag-" + kind + "\"")
                        + get("/" + kind, "Range: bytes=1000-1999", "If-Range: \"stale\""));
        List<Wire> r = parse(written(ch), false, false, false, false);
        assertThat(r.get(0).status()).isEqualTo(206);
        assertThat(r.get(0).header("content-range")).isEqualTo("bytes 1000-1999/" + content.length);
        assertThat(r.get(0).body()).isEqualTo(Arrays.copyOfRange(content, 1000, 2000));
        assertThat(r.get(1).body()).isEqualTo(Arrays.copyOfRange(content, content.length - 10, content.length));
        assertThat(r.get(2).status()).isEqualTo(206);
        // If-Range names another version: the whole content.
        assertThat(r.get(3).status()).isEqualTo(200);
        assertThat(r.get(3).body()).isEqualTo(content);
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anUnsatisfiableRangeIs416AndTheConnectionGoesOn(Kind kind) throws IOException {
        EmbeddedChannel ch = channel();
        send(ch, get("/" + kind, "Range: bytes=" + content.length + "-") + get("/healthz"));
        List<Wire> r = parse(written(ch), false, false);
        assertThat(r.get(0).status()).isEqualTo(416);
        assertThat(r.get(0).header("content-range")).isEqualTo("bytes */" + content.length);
        assertThat(r.get(0).header("cache-control")).isEqualTo(ResponsePolicy.NO_STORE);
        assertThat(new String(r.get(1).body(), StandardCharsets.UTF_8)).isEqualTo("ok\n");
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void headHasTheGetsContentLengthAndNoBody(Kind kind) throws IOException {
        EmbeddedChannel ch = channel();
        // A Range on a HEAD is ignored (ranges are defined for GET only).
        send(
                ch,
                request("HEAD", "/" + kind)
                        + request("HEAD", "/" + kind, "Range: bytes=0-9")
                        + request("HEAD", "/healthz")
                        + get("/" + kind));
        List<Wire> r = parse(written(ch), true, true, true, false);
        assertThat(r.get(0).status()).isEqualTo(200);
        assertThat(r.get(0).header("content-length")).isEqualTo(Integer.toString(content.length));
        assertThat(r.get(1).status()).isEqualTo(200);
        assertThat(r.get(1).header("content-length")).isEqualTo(Integer.toString(content.length));
        assertThat(r.get(2).header("content-length")).isEqualTo("3");
        assertThat(r.get(3).body()).isEqualTo(content);
        ch.finishAndReleaseAll();
    }

    @Test
    void http11KeepsTheConnectionUnlessToldToClose() throws IOException {
        EmbeddedChannel ch = channel();
        send(ch, get("/healthz"));
        Wire first = parse(written(ch), false).get(0);
        assertThat(first.header("connection")).isNull();
        assertThat(ch.isOpen()).isTrue();
        send(ch, get("/list", "Connection: close") + get("/healthz"));
        List<Wire> r = parse(written(ch), false);
        assertThat(r.get(0).header("connection")).isEqualTo("close");
        assertThat(new String(r.get(0).body(), StandardCharsets.UTF_8)).isEqualTo("v1.0.0\n");
        assertThat(ch.isOpen())
                .as("closed after the Connection: close answer; the next request is not answered")
                .isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void http10ClosesUnlessKeepAliveIsAsked() throws IOException {
        EmbeddedChannel ch = channel();
        send(ch, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertThat(parse(written(ch), false).get(0).header("connection")).isEqualTo("keep-alive");
        assertThat(ch.isOpen()).isTrue();
        send(ch, "GET /healthz HTTP/1.0\r\n\r\n");
        assertThat(parse(written(ch), false).get(0).header("connection")).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void pipelinedRequestsAreAnsweredOneAtATimeInOrder() throws IOException {
        runInline = false;
        EmbeddedChannel ch = channel();
        send(
                ch,
                get("/stream")
                        + request("HEAD", "/healthz")
                        + get("/list")
                        + get("/healthz")
                        + request("HEAD", "/file"));
        // One answer at a time: only the first request's work has been started.
        assertThat(deferred).hasSize(1);
        assertThat(written(ch)).isEmpty();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        while (!deferred.isEmpty()) {
            deferred.poll().run();
            ch.runPendingTasks();
            assertThat(deferred.size()).isLessThanOrEqualTo(1);
            wire.writeBytes(written(ch));
        }
        List<Wire> r = parse(wire.toByteArray(), false, true, false, false, true);
        assertThat(r.get(0).body()).isEqualTo(content);
        assertThat(r.get(1).header("content-length")).isEqualTo("3");
        assertThat(new String(r.get(2).body(), StandardCharsets.UTF_8)).isEqualTo("v1.0.0\n");
        assertThat(new String(r.get(3).body(), StandardCharsets.UTF_8)).isEqualTo("ok\n");
        assertThat(r.get(4).header("content-length")).isEqualTo(Integer.toString(content.length));
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void malformedFramingIs400AndCloses() throws IOException {
        EmbeddedChannel ch = channel();
        send(ch, get("/healthz") + get("/healthz", "Content-Length: 1", "Content-Length: 2") + "x" + get("/healthz"));
        List<Wire> r = parse(written(ch), false, false);
        assertThat(r.get(0).status()).isEqualTo(200);
        assertThat(r.get(1).status()).isEqualTo(400);
        assertThat(r.get(1).header("connection")).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void otherMethodsAre405WithAllowAndKeepTheConnection() throws IOException {
        EmbeddedChannel ch = channel();
        send(ch, request("POST", "/list", "Content-Length: 4") + "body" + request("DELETE", "/list") + get("/healthz"));
        List<Wire> r = parse(written(ch), false, false, false);
        assertThat(r.get(0).status()).isEqualTo(405);
        assertThat(r.get(0).header("allow")).isEqualTo("GET, HEAD");
        assertThat(r.get(1).status()).isEqualTo(405);
        assertThat(r.get(2).status()).isEqualTo(200);
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aClientThatLeavesBeforeItsAnswerEndsTheExchangeAndReleasesTheBlob(Kind kind) throws IOException {
        runInline = false;
        EmbeddedChannel ch = channel();
        send(ch, get("/" + kind) + get("/healthz"));
        assertThat(deferred).hasSize(1);
        ch.close();
        while (!deferred.isEmpty()) {
            deferred.poll().run();
            ch.runPendingTasks();
        }
        written(ch);
        assertThat(metrics.scrape()).contains("granary_http_connections_aborted_total 1.0");
        ch.finishAndReleaseAll();
    }

    @Test
    void everyAnswerIsCountedOnceByKindAndStatus() throws IOException {
        EmbeddedChannel ch = channel();
        send(ch, get("/heap") + get("/heap", "Range: bytes=0-0") + request("PUT", "/heap") + get("/healthz"));
        written(ch);
        String text = metrics.scrape();
        assertThat(text)
                .containsPattern("granary_http_requests_seconds_count\\{kind=\"zip\",status=\"200\"} 1(\\.0)?\n")
                .containsPattern("granary_http_requests_seconds_count\\{kind=\"zip\",status=\"206\"} 1(\\.0)?\n")
                .containsPattern("granary_http_requests_seconds_count\\{kind=\"http\",status=\"405\"} 1(\\.0)?\n")
                .containsPattern("granary_http_requests_seconds_count\\{kind=\"health\",status=\"200\"} 1(\\.0)?\n")
                .contains("granary_served_bytes_total{kind=\"zip\"} " + (content.length + 1) + ".0");
        ch.finishAndReleaseAll();
    }
}
