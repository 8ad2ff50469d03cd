package dev.granary.core.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A real git server on loopback for tests: {@code git http-backend} (smart HTTP) behind a small CGI-capable
 * HTTP server, plus the {@code go-import} meta tags the go command asks for with {@code ?go-get=1}.
 *
 * <p>It listens on port 80 of a random 127.x.y.z address, because the go command fetches meta tags from
 * {@code http(s)://<module path>} and a module path cannot carry a port: the host part of the test module
 * paths is that address ({@link #host()}). Binding port 80 needs root or CAP_NET_BIND_SERVICE, which CI has.
 *
 * <p>Layout: repositories are work trees under {@code root}; {@code /git/<name>} serves {@code root/<name>},
 * and {@code /git/private/...} requires basic auth with the given user and password.
 */
public final class GitTestServer implements AutoCloseable {
    private final Path root;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final String host;
    private final String user;
    private final String password;
    private final AtomicInteger gitRequests = new AtomicInteger();
    private volatile BiFunction<String, Boolean, String> meta;

    /**
     * @param meta maps a request path ({@code group/repo/pkg}, without host) and whether the request carried
     *             the right credentials to the go-import content ({@code prefix vcs url}), or null for "no tag"
     */
    public GitTestServer(Path root, String user, String password, BiFunction<String, Boolean, String> meta)
            throws IOException {
        this.root = root;
        this.user = user;
        this.password = password;
        this.meta = meta;
        HttpServer s = null;
        String h = null;
        for (int attempt = 0; s == null; attempt++) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            h = "127." + r.nextInt(100, 250) + "." + r.nextInt(1, 250) + "." + r.nextInt(1, 250);
            try {
                s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(h), 80), 64);
            } catch (BindException e) {
                if (attempt > 20) {
                    throw new IOException(
                            "cannot bind port 80 on a 127.x.y.z address (the git tests need root or "
                                    + "CAP_NET_BIND_SERVICE, because module paths cannot carry a port): "
                                    + e.getMessage(),
                            e);
                }
            }
        }
        this.host = h;
        this.server = s;
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The host of module paths served here, such as {@code 127.113.4.9}. */
    public String host() {
        return host;
    }

    /** The repository URL of {@code name} ({@code private/x} for one behind basic auth). */
    public String repoUrl(String name) {
        return "http://" + host + "/git/" + name;
    }

    public void setMeta(BiFunction<String, Boolean, String> meta) {
        this.meta = meta;
    }

    /** How many git (not meta) requests arrived. */
    public int gitRequests() {
        return gitRequests.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            if (path.startsWith("/git/")) {
                gitRequests.incrementAndGet();
                cgi(ex, path.substring("/git".length()), query == null ? "" : query);
                return;
            }
            String content = "go-get=1".equals(query) ? meta.apply(path.substring(1), authorized(ex)) : null;
            byte[] body = (content == null
                            ? "<html><head></head><body>not found</body></html>"
                            : "<!DOCTYPE html>\n<html><head>\n<meta name=\"go-import\" content=\"" + content
                                    + "\">\n</head><body>go get</body></html>")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(content == null ? 404 : 200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private boolean authorized(HttpExchange ex) {
        String want =
                "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return want.equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    private void cgi(HttpExchange ex, String pathInfo, String query) throws IOException {
        if (pathInfo.startsWith("/private/")) {
            if (!authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"git\"");
                ex.sendResponseHeaders(401, -1);
                return;
            }
        }
        ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", root.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_PROJECT_ROOT", root.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("PATH_INFO", pathInfo);
        env.put("QUERY_STRING", query);
        env.put("REQUEST_METHOD", ex.getRequestMethod());
        env.put("REMOTE_ADDR", "127.0.0.1");
        env.put("REMOTE_USER", pathInfo.startsWith("/private/") ? user : "");
        putHeader(ex, env, "Content-Type", "CONTENT_TYPE");
        putHeader(ex, env, "Content-Length", "CONTENT_LENGTH");
        putHeader(ex, env, "Content-Encoding", "HTTP_CONTENT_ENCODING");
        putHeader(ex, env, "Git-Protocol", "GIT_PROTOCOL");
        Process p = pb.start();
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (OutputStream in = p.getOutputStream();
                    InputStream body = ex.getRequestBody()) {
                body.transferTo(in);
            } catch (IOException ignored) {
                // The backend may close its input early on an error; its answer says why.
            }
        });
        Thread.ofVirtual().start(() -> {
            try (InputStream err = p.getErrorStream()) {
                err.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // Nothing to report.
            }
        });
        InputStream out = p.getInputStream();
        int status = 200;
        List<String[]> headers = new ArrayList<>();
        while (true) {
            String line = readLine(out);
            if (line == null || line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (name.equalsIgnoreCase("Status")) {
                status = Integer.parseInt(value.split(" ")[0]);
            } else {
                headers.add(new String[] {name, value});
            }
        }
        headers.forEach(h -> ex.getResponseHeaders().add(h[0], h[1]));
        ex.sendResponseHeaders(status, 0);
        try (OutputStream body = ex.getResponseBody()) {
            out.transferTo(body);
        }
        try {
            feeder.join(10_000);
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.destroy();
    }

    private static void putHeader(HttpExchange ex, Map<String, String> env, String header, String var) {
        String v = ex.getRequestHeaders().getFirst(header);
        if (v != null) {
            env.put(var, v);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c < 0 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Stops serving: the repositories "disappear" for clients. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
