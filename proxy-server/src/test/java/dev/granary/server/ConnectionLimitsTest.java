package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and greedy clients over raw sockets: a request head must arrive within the header deadline,
 * quiet keep-alive connections end after the idle timeout, and connections beyond the total and
 * per-address caps are answered 503 at once instead of being left to hang.
 */
class ConnectionLimitsTest {
    @TempDir
    Path tmp;

    /** What happened to a client that sent its request one byte at a time. */
    record Trickle(int bytesSent, int requestBytes, int status) {
        boolean cutOff() {
            return bytesSent < requestBytes;
        }
    }

    /** Sends {@code raw} a byte at a time with a pause between bytes; stops as soon as the server answers or closes. */
    static Trickle trickle(InetSocketAddress server, InetAddress from, String raw, long pauseMillis)
            throws IOException, InterruptedException {
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        try (Socket s = new Socket(server.getAddress(), server.getPort(), from, 0)) {
            s.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            int sent = 0;
            try {
                while (sent < bytes.length && in.available() == 0) {
                    out.write(bytes[sent]);
                    out.flush();
                    sent++;
                    Thread.sleep(pauseMillis);
                }
            } catch (IOException e) {
                return new Trickle(sent, bytes.length, -1);
            }
            return new Trickle(sent, bytes.length, statusOf(in));
        }
    }

    /** The status of the answer on {@code in}, or -1 when the connection ended without one. */
    private static int statusOf(InputStream in) {
        try {
            byte[] line = new byte[12];
            int n = in.readNBytes(line, 0, line.length);
            String s = new String(line, 0, n, StandardCharsets.ISO_8859_1);
            return s.startsWith("HTTP/1.1 ") && n == 12 ? Integer.parseInt(s.substring(9, 12)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void tricklingHeadersAreCutOffAtTheHeaderDeadline() throws Exception {
        try (TestServers.Running granary =
                TestServers.start(tmp.resolve("storage"), "off", Map.of(ConfigKey.HTTP_HEADER_TIMEOUT, "1s"))) {
            // 200 bytes at one every 100 ms would take 20 s: far past a 1 s deadline.
            String raw = request("GET", "/healthz", "X-Pad: " + "a".repeat(160));
            InetAddress local = InetAddress.getLoopbackAddress();
            List<Future<Trickle>> clients = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 20; i++) {
                    clients.add(pool.submit(() -> trickle(granary.address(), local, raw, 100)));
                }
                for (Future<Trickle> f : clients) {
                    Trickle t = f.get();
                    assertThat(t.cutOff())
                            .as("closed before the request was complete: %s", t)
                            .isTrue();
                    assertThat(t.status())
                            .as("answered 408 or just closed: %s", t)
                            .isIn(408, -1);
                }
            }
            String metrics = scrape(granary.address());
            assertThat(metrics).contains("granary_http_connections_timeouts_total{phase=\"header\"}");
            assertThat(metrics).as("a timed-out head is not a request").doesNotContain("status=\"408\"");
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheHeaderDeadline() throws Exception {
        try (TestServers.Running granary =
                        TestServers.start(tmp.resolve("storage"), "off", Map.of(ConfigKey.HTTP_HEADER_TIMEOUT, "1s"));
                RawHttp c = RawHttp.connect(granary.address())) {
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void quietKeepAliveConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        try (TestServers.Running granary =
                        TestServers.start(tmp.resolve("storage"), "off", Map.of(ConfigKey.HTTP_IDLE_TIMEOUT, "1s"));
                RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("GET", "/healthz"));
            assertThat(c.read(false).closes()).isFalse();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void connectionsBeyondTheCapsAreAnswered503AndOtherClientsStillGetIn() throws Exception {
        InetAddress one = InetAddress.getByName("127.0.0.1");
        InetAddress two = InetAddress.getByName("127.0.0.2");
        InetAddress three = InetAddress.getByName("127.0.0.3");
        try (TestServers.Running granary = TestServers.start(
                tmp.resolve("storage"),
                "off",
                Map.of(ConfigKey.HTTP_MAX_CONNECTIONS_PER_CLIENT, "8", ConfigKey.HTTP_MAX_CONNECTIONS, "12"))) {
            List<RawHttp> held = new ArrayList<>();
            try {
                // Eight keep-alive clients from one address; each is answered before the next connects, so the
                // server has counted it (connections are set up on several event loops, in no fixed order).
                for (int i = 0; i < 8; i++) {
                    RawHttp c = RawHttp.connect(granary.address(), one);
                    held.add(c);
                    c.send(request("GET", "/healthz"));
                    assertThat(c.read(false).status()).isEqualTo(200);
                }
                try (RawHttp ninth = RawHttp.connect(granary.address(), one)) {
                    ninth.send(request("GET", "/healthz"));
                    RawHttp.Response r = ninth.read(false);
                    assertThat(r.status()).isEqualTo(503);
                    assertThat(r.text()).contains("too many connections from your address");
                    assertThat(r.closes()).isTrue();
                    assertThat(ninth.closedByServer()).isTrue();
                }
                // Another address still gets in, up to the total of 12 (one is the metrics scrape below).
                for (int i = 0; i < 3; i++) {
                    RawHttp c = RawHttp.connect(granary.address(), two);
                    held.add(c);
                    c.send(request("GET", "/healthz"));
                    assertThat(c.read(false).status()).isEqualTo(200);
                }
                try (RawHttp c = RawHttp.connect(granary.address(), two)) {
                    c.send(request("GET", "/metrics"));
                    String metrics = c.read(false).text();
                    assertThat(metrics)
                            .contains("granary_http_connections_rejected_total{reason=\"client-limit\"} 1.0");
                    assertThat(metrics).contains("granary_http_connections_open 12.0");
                    try (RawHttp over = RawHttp.connect(granary.address(), three)) {
                        over.send(request("GET", "/healthz"));
                        RawHttp.Response r = over.read(false);
                        assertThat(r.status()).isEqualTo(503);
                        assertThat(r.text()).contains("too many connections");
                        assertThat(over.closedByServer()).isTrue();
                    }
                }
                // A slot freed by a client that leaves is usable again (the server notices the close asynchronously).
                held.remove(0).close();
                int status = 0;
                for (int attempt = 0; attempt < 100 && status != 200; attempt++) {
                    try (RawHttp again = RawHttp.connect(granary.address(), one)) {
                        again.send(request("GET", "/healthz"));
                        status = again.read(false).status();
                    }
                    if (status != 200) {
                        Thread.sleep(20);
                    }
                }
                assertThat(status).isEqualTo(200);
            } finally {
                for (RawHttp c : held) {
                    c.close();
                }
            }
        }
    }

    /**
     * The failure this guards against: with a 256 open-file limit, a couple of hundred slow connections
     * used to exhaust the descriptors, and every new client then waited in the accept queue forever.
     */
    @Test
    void underAnOpenFileLimitOf256SlowClientsCannotLockOutNewOnes() throws Exception {
        Path storage = tmp.resolve("storage");
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Process p = TestServers.startProcess(
                List.of("bash", "-c", "ulimit -n 256 && exec \"$@\"", "granary"),
                List.of("-Xmx256m"),
                Map.of("GRANARY_HTTP_MAX_CONNECTIONS_PER_CLIENT", "64", "GRANARY_HTTP_HEADER_TIMEOUT", "3s"),
                "--listen",
                "127.0.0.1:0",
                "--storage",
                storage.toString(),
                "--upstream",
                "off",
                "--sumdb",
                "off");
        try {
            InetSocketAddress server =
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), TestServers.awaitPort(p, log));
            List<Socket> attackers = new ArrayList<>();
            try {
                // 4 addresses x 60 connections, each with a few bytes of a head that never completes.
                for (int a = 1; a <= 4; a++) {
                    InetAddress from = InetAddress.getByName("127.0.0." + a);
                    for (int i = 0; i < 60; i++) {
                        Socket s = new Socket(server.getAddress(), server.getPort(), from, 0);
                        s.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
                        s.getOutputStream().write("GET /he".getBytes(StandardCharsets.ISO_8859_1));
                        attackers.add(s);
                    }
                }
                // A new client is answered, not left waiting: served, or told the server is full.
                try (RawHttp c = RawHttp.connect(server, InetAddress.getByName("127.0.0.9"))) {
                    c.send(request("GET", "/healthz"));
                    assertThat(c.read(false).status()).isIn(200, 503);
                }
                // Once the slow heads hit their deadline, new clients are served.
                int status = 0;
                for (int attempt = 0; attempt < 200 && status != 200; attempt++) {
                    try (RawHttp c = RawHttp.connect(server, InetAddress.getByName("127.0.0.9"))) {
                        c.send(request("GET", "/healthz"));
                        status = c.read(false).status();
                    }
                    if (status != 200) {
                        Thread.sleep(50);
                    }
                }
                assertThat(status).isEqualTo(200);
            } finally {
                for (Socket s : attackers) {
                    s.close();
                }
            }
            assertThat(String.join("\n", log)).doesNotContain("Too many open files");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    static String scrape(InetSocketAddress server) throws IOException {
        try (RawHttp c = RawHttp.connect(server)) {
            c.send(request("GET", "/metrics"));
            return c.read(false).text();
        }
    }
}
