package dev.granary.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Go release site on loopback, shaped like the real one: {@code /dl/?mode=json[&include=all]}
 * answers the listing, {@code /dl/<file>} (and {@code .sha256}, {@code .asc}) redirect (302) to a
 * second server standing in for the download CDN ({@code /go/<file>}), which serves the bytes, as
 * go.dev/dl redirects to dl.google.com. The signing key can be published too
 * ({@code /linux/linux_signing_key.pub}).
 *
 * <p>Files live in a directory; a release's listing entry (SHA-256, size) is computed from the file
 * unless a test overrides it. Faults are injectable per CDN path: replaced bytes, a status, or
 * absence; {@link #close()} takes both servers down (connections refused).
 */
public final class FakeReleaseSite implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file of a release as the listing describes it. */
    public record Entry(String filename, String os, String arch, String kind) {}

    private record Release(String version, boolean stable, List<Entry> files) {}

    private final Path dir;
    private final HttpServer site;
    private final HttpServer cdn;
    private final List<Release> releases = new ArrayList<>();
    private final Map<String, String> shaOverrides = new ConcurrentHashMap<>();
    private final Map<String, byte[]> bodyOverrides = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private volatile byte[] publishedKey;

    private FakeReleaseSite(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        cdn.createContext("/", this::cdn);
        cdn.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        cdn.start();
        this.site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        site.createContext("/", this::site);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.start();
    }

    /** A site serving files from {@code dir} (created). */
    public static FakeReleaseSite start(Path dir) throws IOException {
        return new FakeReleaseSite(dir);
    }

    /** The base URL to configure as {@code dl.upstream}: {@code http://127.0.0.1:PORT/dl/}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + site.getAddress().getPort() + "/dl/");
    }

    /** Where the signing key is published, once {@link #publishKey} was called. */
    public URI keyUrl() {
        return URI.create("http://127.0.0.1:" + site.getAddress().getPort() + "/linux/linux_signing_key.pub");
    }

    /** The directory holding the files. */
    public Path dir() {
        return dir;
    }

    /** Adds a release ({@code go1.26.3}) with files already written to {@link #dir()}. */
    public synchronized FakeReleaseSite release(String version, boolean stable, Entry... files) {
        releases.add(0, new Release(version, stable, List.of(files)));
        return this;
    }

    /** Makes the listing give {@code sha256} for {@code filename} instead of the file's real one. */
    public void listSha256(String filename, String sha256) {
        shaOverrides.put(filename, sha256);
    }

    /** The CDN answers {@code body} for {@code name} (a file, or its {@code .asc}/{@code .sha256}). */
    public void override(String name, byte[] body) {
        bodyOverrides.put(name, body);
    }

    /** The CDN answers {@code status} for {@code name}. */
    public void status(String name, int status) {
        statuses.put(name, status);
    }

    public void clearFaults() {
        shaOverrides.clear();
        bodyOverrides.clear();
        statuses.clear();
    }

    /** Publishes key material at {@link #keyUrl()}. */
    public void publishKey(byte[] key) {
        this.publishedKey = key;
    }

    /** Requests for a CDN file name (such as {@code go1.26.3.linux-amd64.tar.gz.asc}) or {@code listing}. */
    public int hits(String name) {
        AtomicInteger n = hits.get(name);
        return n == null ? 0 : n.get();
    }

    /** The SHA-256 (hex) of a file in {@link #dir()}. */
    public static String sha256(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The listing as the release site answers it; {@code all} with include=all, else stable releases only. */
    public synchronized byte[] listing(boolean all) throws IOException {
        ArrayNode out = JSON.createArrayNode();
        for (Release r : releases) {
            if (!all && !r.stable()) {
                continue;
            }
            ObjectNode rel = out.addObject();
            rel.put("version", r.version());
            rel.put("stable", r.stable());
            ArrayNode files = rel.putArray("files");
            for (Entry e : r.files()) {
                Path f = dir.resolve(e.filename());
                ObjectNode o = files.addObject();
                o.put("filename", e.filename());
                o.put("os", e.os());
                o.put("arch", e.arch());
                o.put("version", r.version());
                o.put("sha256", shaOverrides.getOrDefault(e.filename(), sha256(f)));
                o.put("size", Files.size(f));
                o.put("kind", e.kind());
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(out);
    }

    private void site(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            if (path.equals("/dl/") && query != null && query.contains("mode=json")) {
                count("listing");
                Integer st = statuses.get("listing");
                if (st != null) {
                    send(ex, st, ("injected " + st + "\n").getBytes(StandardCharsets.UTF_8));
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "application/json");
                send(ex, 200, listing(query.contains("include=all")));
                return;
            }
            if (path.equals("/linux/linux_signing_key.pub") && publishedKey != null) {
                count("key");
                send(ex, 200, publishedKey);
                return;
            }
            if (path.startsWith("/dl/") && path.length() > 4) {
                // go.dev/dl/<file> redirects to the download host.
                ex.getResponseHeaders()
                        .set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/go/" + path.substring(4));
                send(ex, 302, new byte[0]);
                return;
            }
            send(ex, 404, "not found\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void cdn(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            if (!path.startsWith("/go/") || path.substring(4).contains("/") || path.contains("..")) {
                send(ex, 404, "not found\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String name = path.substring(4);
            count(name);
            Integer st = statuses.get(name);
            if (st != null) {
                send(ex, st, ("injected " + st + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            byte[] body = bodyOverrides.get(name);
            if (body != null) {
                send(ex, 200, body);
                return;
            }
            Path f = dir.resolve(name);
            if (name.endsWith(".sha256") && !Files.exists(f)) {
                Path archive = dir.resolve(name.substring(0, name.length() - ".sha256".length()));
                if (Files.isRegularFile(archive)) {
                    send(ex, 200, sha256(archive).getBytes(StandardCharsets.US_ASCII));
                    return;
                }
            }
            if (!Files.isRegularFile(f)) {
                send(ex, 404, "not found\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            ex.sendResponseHeaders(200, Files.size(f));
            Files.copy(f, ex.getResponseBody());
        }
    }

    private void count(String name) {
        hits.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    /** Both servers stop: connections are refused from now on. */
    @Override
    public void close() {
        site.stop(0);
        cdn.stop(0);
    }

    /** Writes {@code size} bytes of seeded pseudo-random data to {@code dir/name}. */
    public static Path writeRandom(Path dir, String name, long size, long seed) {
        Path f = dir.resolve(name);
        Random r = new Random(seed);
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(f)) {
            long left = size;
            while (left > 0) {
                r.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                out.write(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }
}
