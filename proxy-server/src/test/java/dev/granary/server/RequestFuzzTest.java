package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.server.config.ConfigKey;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of what a client controls: request targets (module paths, versions, escapes, checksum
 * database paths, query strings, absolute form), header values, and the framing itself (methods,
 * versions, header syntax, Content-Length and Transfer-Encoding, line endings). Bounded by a count of
 * cases, not by time. For every case: no 5xx (505 excepted: it is the answer to an unsupported HTTP
 * version), answers parse and come back one per request; afterwards no warning or error with a stack
 * trace was logged, nothing was written outside the storage root, and the server still serves.
 *
 * <p>Well-framed cases are pipelined 100 to a connection; framing cases get a connection each, followed
 * by a known request whose exact answer proves the connection was not left out of step.
 */
class RequestFuzzTest {
    private static final long SEED = 0x6772616e617279L;
    private static final int PATH_CASES = 94_000;
    private static final int FRAMING_CASES = 6_000;
    private static final int BATCH = 100;
    private static final int WORKERS = 8;
    private static final String SENTINEL = "/rsc.io/quote/@v/v1.5.2.mod";

    @TempDir
    Path tmp;

    @Test
    void fuzzedRequestsNeverGet5xxOrStackTracesAndTheServerStaysWell() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path storage = tmp.resolve("storage");
        byte[] sentinel = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod"));
        Set<Path> before = filesOutside(storage);

        // file:// upstream: fast, and it turns names no file system can hold into I/O errors if they get through.
        try (LogCapture logs = new LogCapture();
                TestServers.Running granary = TestServers.start(
                        storage, tree.root().toUri().toString(), Map.of(ConfigKey.HTTP_HEADER_TIMEOUT, "2s"))) {
            Random seeds = new Random(SEED);
            List<Future<String>> work = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(WORKERS)) {
                for (int w = 0; w < WORKERS; w++) {
                    long seed = seeds.nextLong();
                    int worker = w;
                    work.add(pool.submit(() -> {
                        Random r = new Random(seed);
                        pathCases(granary.address(), r, PATH_CASES / WORKERS);
                        framingCases(
                                granary.address(),
                                InetAddress.getByName("127.0.1." + (worker + 1)),
                                r,
                                FRAMING_CASES / WORKERS,
                                sentinel);
                        return "ok";
                    }));
                }
                for (Future<String> f : work) {
                    assertThat(f.get()).isEqualTo("ok");
                }
            }

            // Still well: health, readiness, a real download, and nothing answered 5xx along the way but 505.
            try (RawHttp c = RawHttp.connect(granary.address())) {
                c.send(request("GET", "/healthz")
                        + request("GET", "/readyz")
                        + request("GET", "/rsc.io/quote/@v/v1.5.1.zip")
                        + request("GET", "/metrics"));
                assertThat(c.read(false).status()).isEqualTo(200);
                assertThat(c.read(false).status()).isEqualTo(200);
                assertThat(c.read(false).body())
                        .isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.1", ".zip")));
                String metrics = c.read(false).text();
                assertThat(metrics)
                        .doesNotContainPattern(
                                "granary_http_requests_seconds_count\\{[^}]*status=\"5(0[0-46-9]|[1-9])");
            }
            assertThat(logs.noisy()).as("warnings or errors with a stack trace").isEmpty();
        }
        assertThat(filesOutside(storage))
                .as("files written outside the storage root")
                .isEqualTo(before);
    }

    // ---- well-framed requests, fuzzed targets and header values, pipelined ------------------------------

    private record Case(String method, String raw) {
        boolean head() {
            return method.equals("HEAD");
        }
    }

    private static void pathCases(InetSocketAddress server, Random r, int count) throws IOException {
        Deque<Case> pending = new ArrayDeque<>();
        for (int i = 0; i < count; i++) {
            String method = r.nextInt(4) == 0 ? "HEAD" : "GET";
            pending.add(new Case(method, request(method, target(r), headers(r))));
        }
        while (!pending.isEmpty()) {
            List<Case> batch = new ArrayList<>();
            StringBuilder wire = new StringBuilder();
            while (batch.size() < BATCH && !pending.isEmpty()) {
                Case c = pending.poll();
                batch.add(c);
                wire.append(c.raw());
            }
            try (RawHttp c = RawHttp.connect(server)) {
                c.send(wire.toString());
                for (int i = 0; i < batch.size(); i++) {
                    RawHttp.Response rsp = c.read(batch.get(i).head());
                    check(batch.get(i).raw(), rsp);
                    if (rsp.closes()) {
                        // Nothing after a closing answer is answered: send the rest again. (A HEAD refused as
                        // unreadable was answered as the GET the decoder made of it: its body may follow.)
                        for (int j = batch.size() - 1; j > i; j--) {
                            pending.addFirst(batch.get(j));
                        }
                        long rest = c.remaining();
                        assertThat(rest)
                                .as(
                                        "nothing after the closing answer to %s",
                                        batch.get(i).raw())
                                .isIn(0L, batch.get(i).head() ? rsp.contentLength() : 0L);
                        break;
                    }
                }
            }
        }
    }

    private static void check(String request, RawHttp.Response rsp) {
        String what = request.length() > 300 ? request.substring(0, 300) + "..." : request;
        assertThat(rsp.status()).as("%s -> %s", what, rsp).isLessThan(500);
        if (rsp.status() != 304) {
            assertThat(rsp.header("content-length")).as(what).isNotNull();
        }
        assertThat(rsp.header("cache-control")).as(what).isNotNull();
    }

    private static final String[] HOSTS = {
        "example.com",
        "rsc.io",
        "golang.org",
        "gopkg.in",
        "github.com",
        "x",
        "a.b",
        "EXAMPLE.com",
        "-bad.com",
        "exa_mple.com",
        "127.0.0.1",
        "sumdb"
    };
    private static final String[] VERSIONS = {
        "v1.5.2",
        "v1.5.1",
        "v1.0.0",
        "v1.2.3-pre",
        "v1.2.3-PRE",
        "v1.2.3-!p!r!e",
        "v0.0.0-20170915032832-14c0d48ead0c",
        "v2.0.0+incompatible",
        "v14.2.0+incompatible",
        "v1.2",
        "v1",
        "1.2.3",
        "master",
        "latest",
        "upgrade",
        "v1.2.3+build",
        "v01.2.3",
        "v1.2.3-",
        "!",
        "!!",
        "%21v1.0.0",
        "v1.0.0%00",
        "v3.0.0",
        "v1.99.99",
        ".",
        "..",
        "v1.0.0\\x"
    };
    private static final String[] EXTS = {
        ".info", ".mod", ".zip", ".sum", ".txt", "", ".zip/extra", ".info.info", ".INFO"
    };
    private static final String[] SUMDB = {
        "supported",
        "latest",
        "lookup/rsc.io/quote@v1.5.2",
        "lookup/rsc.io/quote",
        "tile/8/0/000",
        "tile/8/0/x001/x234/067.p/5",
        "tile/8/data/000",
        "tile/8/0/000.p/0",
        "tile/99/0/000",
        "tile/8/-1/000",
        "lookup/@",
        "lookup/x@y",
        "../latest",
        "tile/8/0/" + "9".repeat(40)
    };
    private static final String[] MUTATIONS = {
        "%2e%2e",
        "%2E%2e/",
        "//",
        "/./",
        "/../",
        "%00",
        "%zz",
        "%",
        "%2F",
        "%5C",
        "\\",
        "%C0%AF",
        "%E2%80%AE",
        "%ff",
        "!",
        "!!",
        "%21",
        "@v",
        "/@v/",
        "@latest",
        "~",
        "..",
        ";",
        "'",
        "\"",
        "<",
        ">",
        "{",
        "}",
        "|",
        "^",
        "`",
        "*",
        "$",
        "&",
        "=",
        "+",
        ",",
        ":",
        "[",
        "]"
    };

    static String target(Random r) {
        String path = switch (r.nextInt(8)) {
            case 0, 1 -> "/" + module(r) + "/@v/" + pick(r, VERSIONS) + pick(r, EXTS);
            case 2 -> "/" + module(r) + "/@v/list";
            case 3 -> "/" + module(r) + "/@latest";
            case 4 ->
                "/sumdb/" + pick(r, new String[] {"sum.golang.org", "SUM.golang.org", "a:1", "x".repeat(300), ".."})
                        + "/" + pick(r, SUMDB);
            case 5 -> "/" + junk(r, 1 + r.nextInt(80));
            case 6 ->
                pick(r, new String[] {
                    "/healthz",
                    "/readyz",
                    "/",
                    "/index.html",
                    "/favicon.ico",
                    "/rsc.io/quote/@v/list",
                    "/rsc.io/quote/@v/v1.5.2.zip",
                    "/rsc.io/quote/v3/@v/v3.0.0.info",
                    "/rsc.io/!q!u!o!t!e/@latest"
                });
            default ->
                "/" + module(r) + "/@v/"
                        + (r.nextBoolean() ? junk(r, 1 + r.nextInt(300)) : "v1.0.0-" + "a".repeat(r.nextInt(400)))
                        + pick(r, EXTS);
        };
        int mutations = r.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            int at = r.nextInt(path.length() + 1);
            path = path.substring(0, at) + pick(r, MUTATIONS) + path.substring(at);
        }
        if (r.nextInt(10) == 0) {
            path += "?" + junk(r, r.nextInt(r.nextInt(10) == 0 ? 2500 : 40));
        }
        if (r.nextInt(20) == 0) {
            path += "#" + junk(r, 5);
        }
        if (r.nextInt(15) == 0) {
            path = pick(r, new String[] {"http://h", "https://proxy.example:443", "HTTP://x", "ftp://x", "http:/", ""})
                    + path;
        }
        return path;
    }

    private static String module(Random r) {
        StringBuilder b = new StringBuilder(pick(r, HOSTS));
        int elems = r.nextInt(20) == 0 ? 100 + r.nextInt(500) : r.nextInt(5);
        for (int i = 0; i < elems; i++) {
            b.append('/');
            int len = r.nextInt(25) == 0 ? 240 + r.nextInt(40) : 1 + r.nextInt(12);
            for (int j = 0; j < len; j++) {
                b.append("abcdefghijklmnopqrstuvwxyz0123456789.-_~!ABCZ".charAt(r.nextInt(45)));
            }
        }
        return b.toString();
    }

    /** Visible ASCII only: a request target must stay one token on the request line. */
    private static String junk(Random r, int len) {
        StringBuilder b = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            b.append((char) (0x21 + r.nextInt(0x7e - 0x21 + 1)));
        }
        return b.toString();
    }

    private static String[] headers(Random r) {
        List<String> h = new ArrayList<>();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            h.add(
                    switch (r.nextInt(8)) {
                        case 0 ->
                            "Range: "
                                    + pick(r, new String[] {
                                        "bytes=0-0",
                                        "bytes=-1",
                                        "bytes=5-",
                                        "bytes=99999999-",
                                        "bytes=0-1,3-4",
                                        "bytes=a-b",
                                        "bytes=-0",
                                        "bytes=9-1",
                                        "items=0-1",
                                        "bytes=" + "9".repeat(30) + "-",
                                        "bytes=--1",
                                        "bytes"
                                    });
                        case 1 ->
                            "If-None-Match: "
                                    + pick(r, new String[] {
                                        "*", "\"x\"", "W/\"x\"", "\"a\", \"b\"", "", ",,,", junk(r, 20)
                                    });
                        case 2 ->
                            "If-Range: "
                                    + pick(r, new String[] {"\"x\"", "Wed, 21 Oct 2015 07:28:00 GMT", junk(r, 10)});
                        case 3 -> "Accept-Encoding: gzip, br";
                        case 4 -> "X-Fuzz-" + i + ": " + junk(r, r.nextInt(200));
                        case 5 ->
                            "Connection: "
                                    + pick(r, new String[] {"keep-alive", "Keep-Alive", "upgrade", "te", "close"});
                        case 6 -> "Expect: 100-continue";
                        default -> "Content-Length: 0";
                    });
        }
        return h.toArray(String[]::new);
    }

    // ---- framing: a connection each, then a known request ------------------------------------------------

    private static void framingCases(InetSocketAddress server, InetAddress from, Random r, int count, byte[] sentinel)
            throws IOException {
        for (int i = 0; i < count; i++) {
            Framing f = framing(r);
            try (Socket s = new Socket(server.getAddress(), server.getPort(), from, 0)) {
                s.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
                s.getOutputStream().write(f.bytes());
                s.getOutputStream().write(request("GET", SENTINEL).getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                InputStream in = new BufferedInputStream(s.getInputStream());
                String what = new String(f.bytes(), 0, Math.min(300, f.bytes().length), StandardCharsets.ISO_8859_1);
                Head head = readHead(in);
                assertThat(head).as("an answer to %s", what).isNotNull();
                assertThat(head.status())
                        .as("%s -> %s", what, head)
                        .satisfiesAnyOf(
                                st -> assertThat(st).isLessThan(500),
                                st -> assertThat(st).isEqualTo(505));
                if (head.closes()) {
                    // Whatever body the answer has, then the end: nothing more is answered.
                    long rest = readAll(in).length;
                    assertThat(rest)
                            .as("%s -> %s: nothing after the closing answer", what, head)
                            .isIn(0L, Math.max(0, head.length()));
                    continue;
                }
                in.readNBytes((int) (f.head() ? 0 : Math.max(0, head.length())));
                if (!f.consistent()) {
                    continue; // its body bytes and the next request may run together: nothing more to expect
                }
                Head next = readHead(in);
                assertThat(next).as("the known request after %s", what).isNotNull();
                assertThat(next.status()).as("the known request after %s", what).isEqualTo(200);
                assertThat(in.readNBytes((int) next.length())).isEqualTo(sentinel);
            } catch (SocketException e) {
                // A reset after the server closed on a refused request is fine; the answer was checked first.
            }
        }
    }

    /** A framing case: its bytes, whether it is a HEAD the server may take as one, whether its framing holds together. */
    private record Framing(byte[] bytes, boolean head, boolean consistent) {}

    private static Framing framing(Random r) {
        String eol = r.nextInt(30) == 0 ? "\n" : "\r\n";
        String method = pick(r, new String[] {
            "GET",
            "GET",
            "GET",
            "HEAD",
            "POST",
            "PUT",
            "OPTIONS",
            "get",
            "G/ET",
            "GET\u00ff",
            "CONNECT",
            "PRI",
            "X".repeat(100)
        });
        String target = pick(r, new String[] {
            "/healthz",
            "/rsc.io/quote/@v/list",
            "*",
            "http://h/healthz",
            "/a b",
            "//",
            "/" + "q".repeat(5000),
            "/%",
            "h:1",
            target(r)
        });
        String version = pick(r, new String[] {
            "HTTP/1.1",
            "HTTP/1.1",
            "HTTP/1.1",
            "HTTP/1.0",
            "HTTP/2.0",
            "HTTP/9.9",
            "HTTP/1.2",
            "http/1.1",
            "HTTP/1",
            "HTTP/1.1.1",
            "HTTP/x.y",
            "FOO/1.1",
            "HTTP/01.1",
            "HTTP/1.1 extra"
        });
        StringBuilder b = new StringBuilder(method + " " + target + " " + version + eol);
        boolean consistent = true;
        String body = "";
        int hosts = r.nextInt(10) == 0 ? r.nextInt(3) : 1;
        for (int i = 0; i < hosts; i++) {
            b.append("Host: ")
                    .append(pick(r, new String[] {"x", "127.0.0.1:1", "", "a b", "h\u00e9"}))
                    .append(eol);
        }
        int extra = r.nextInt(5);
        for (int i = 0; i < extra; i++) {
            switch (r.nextInt(14)) {
                case 0 -> {
                    int n = r.nextInt(20);
                    b.append("Content-Length: ").append(n).append(eol);
                    body = "b".repeat(n);
                }
                case 1 ->
                    b.append("Content-Length: ")
                            .append(pick(r, new String[] {
                                "-1",
                                "abc",
                                "1e3",
                                "99999999999999999999",
                                "10737418240",
                                "5, 6",
                                "5, 5",
                                " 5",
                                "+5",
                                "0x5"
                            }))
                            .append(eol);
                case 2 -> {
                    b.append("Transfer-Encoding: ")
                            .append(pick(r, new String[] {
                                "chunked", "gzip", "chunked, gzip", "gzip, chunked", "", "identity", "CHUNKED"
                            }))
                            .append(eol);
                    body = pick(r, new String[] {"0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", "zz\r\n", ""});
                }
                case 3 ->
                    b.append("X-Folded: a").append(eol).append(" continued").append(eol);
                case 4 -> b.append("NoColon").append(eol);
                case 5 -> b.append("Bad Name: 1").append(eol);
                case 6 -> b.append("Name : 1").append(eol);
                case 7 -> b.append("X-Ctl: a\u0001b").append(eol);
                case 8 -> b.append("X-Latin: caf\u00e9").append(eol);
                case 9 ->
                    b.append("X-Big: ").append("z".repeat(r.nextInt(20_000))).append(eol);
                case 10 -> b.append("X-Cr: a\rb").append(eol);
                case 11 -> b.append(": empty-name").append(eol);
                case 12 ->
                    b.append("Connection: ")
                            .append(pick(r, new String[] {"close", "keep-alive", "Upgrade", ""}))
                            .append(eol);
                default -> b.append("Range: bytes=0-").append(r.nextInt(100)).append(eol);
            }
        }
        b.append(eol).append(body);
        // Whether the bytes can be read as exactly one request, so that the known request after them stands alone.
        String s = b.toString();
        if (s.contains("Content-Length: ") && !s.matches("(?s).*Content-Length: \\d{1,2}" + eol + ".*")
                || s.contains("Transfer-Encoding")
                || s.contains("\rb")
                || s.contains("\n ")
                || eol.equals("\n")
                || s.indexOf("Content-Length") != s.lastIndexOf("Content-Length")) {
            consistent = false;
        }
        return new Framing(s.getBytes(StandardCharsets.ISO_8859_1), method.equals("HEAD"), consistent);
    }

    private record Head(int status, long length, boolean closes) {}

    /** The status line and headers of the next answer, or null at the end of the stream. */
    private static Head readHead(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            return null;
        }
        long length = -1;
        boolean closes = false;
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            String lower = l.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(l.substring(15).strip());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = true;
            }
        }
        return new Head(Integer.parseInt(status.split(" ")[1]), length, closes);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return c < 0 && b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (SocketException e) {
            return new byte[0];
        }
    }

    private static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }

    private Set<Path> filesOutside(Path storage) throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            return Collections.unmodifiableSet(
                    new TreeSet<>(s.filter(p -> !p.startsWith(storage)).toList()));
        }
    }
}
