package dev.granary.core.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP GOPROXY on loopback serving a directory tree, counting requests per path. Faults the
 * real proxies cannot be made to produce on demand are injectable per path: a delay, a fixed status,
 * replaced bytes, or a body cut short of its announced Content-Length.
 */
public final class TestUpstream implements AutoCloseable {
    private final Path root;
    private final HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, byte[]> overrides = new ConcurrentHashMap<>();
    private final Map<String, Integer> truncations = new ConcurrentHashMap<>();
    private volatile long delayMillis;

    private TestUpstream(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public static TestUpstream serve(Path root) throws IOException {
        return new TestUpstream(root);
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Number of requests for a path such as {@code rsc.io/quote/@v/v1.5.2.zip}. */
    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    /** Every path requested since the start (or the last {@link #resetHits()}). */
    public Set<String> paths() {
        return new TreeSet<>(hits.keySet());
    }

    public int totalHits() {
        return hits.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    public void resetHits() {
        hits.clear();
    }

    /** Every response waits this long before its headers. */
    public void delay(long millis) {
        this.delayMillis = millis;
    }

    public void status(String path, int status) {
        statuses.put(path, status);
    }

    public void override(String path, byte[] body) {
        overrides.put(path, body);
    }

    /** Announce the full length but send only {@code sendBytes} bytes, then close the connection. */
    public void truncate(String path, int sendBytes) {
        truncations.put(path, sendBytes);
    }

    public void clearFaults() {
        statuses.clear();
        overrides.clear();
        truncations.clear();
        delayMillis = 0;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String raw = ex.getRequestURI().getRawPath();
            String path = URLDecoder.decode(raw.substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
            hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            Integer status = statuses.get(path);
            if (status != null) {
                byte[] msg = ("injected " + status + "\n").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, msg.length);
                ex.getResponseBody().write(msg);
                return;
            }
            byte[] body = overrides.get(path);
            Integer cut = truncations.get(path);
            if (body == null) {
                Path file = root.resolve(path).normalize();
                if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                    byte[] msg = ("not found: " + path + "\n").getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(404, msg.length);
                    ex.getResponseBody().write(msg);
                    return;
                }
                if (cut == null) {
                    // Streamed, so large test zips never sit in this JVM's heap.
                    ex.sendResponseHeaders(200, Files.size(file));
                    Files.copy(file, ex.getResponseBody());
                    return;
                }
                body = Files.readAllBytes(file);
            }
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            if (cut != null) {
                out.write(body, 0, Math.min(cut, body.length));
                out.flush();
                // Abort the exchange: the client sees the connection end before Content-Length bytes.
                throw new IOException("truncated on purpose");
            }
            out.write(body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops answering: connections are refused from now on. */
    @Override
    public void close() {
        server.stop(0);
    }
}
