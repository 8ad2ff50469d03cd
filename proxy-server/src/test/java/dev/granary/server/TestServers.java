package dev.granary.server;

import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Starts in-process servers for tests and speaks raw HTTP when a client library would normalize a path. */
final class TestServers {
    private TestServers() {}

    /** A started server on 127.0.0.1 with an ephemeral port. */
    record Running(GranaryServer server, InetSocketAddress address) implements AutoCloseable {
        String url() {
            return "http://127.0.0.1:" + address.getPort();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    static Running start(Path storage, String upstream, Map<ConfigKey, String> extra)
            throws IOException, InterruptedException {
        Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        flags.put(ConfigKey.LISTEN, "127.0.0.1:0");
        flags.put(ConfigKey.STORAGE, storage.toString());
        flags.put(ConfigKey.UPSTREAM, upstream);
        flags.put(ConfigKey.SHUTDOWN_GRACE, "5s");
        flags.put(ConfigKey.FETCH_RETRIES, "1");
        // Tests that need a checksum database start a real one and pass --sumdb; the public one is unreachable here.
        flags.put(ConfigKey.SUMDB, "off");
        // The release site is the internet too: tests that need one start a fake release site.
        flags.put(ConfigKey.DL_UPSTREAM, "off");
        // The GOCACHEPROG client is published in the background at start; tests that count modules
        // would race it. Tests of the client turn it on.
        flags.put(ConfigKey.GOCACHE_CLIENT_MODULE, "false");
        flags.putAll(extra);
        GranaryServer s = new GranaryServer(GranaryConfig.load(flags, Map.of(), Optional.empty()), Map.of());
        return new Running(s, s.start());
    }

    /** A client that trusts only {@code ca}, speaking {@code version} (HTTP/2 by ALPN over TLS). */
    static HttpClient httpsClient(X509Certificate ca, HttpClient.Version version)
            throws GeneralSecurityException, IOException {
        return HttpClient.newBuilder()
                .sslContext(TlsServerTest.sslContext(ca))
                .version(version)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** Sends one raw request line exactly as given and returns the status code. */
    static int rawStatus(InetSocketAddress addr, String method, String rawPath) throws IOException {
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + rawPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.append((char) c);
            }
            String[] parts = line.toString().split(" ");
            if (parts.length < 2) {
                throw new IOException("no status line: " + line);
            }
            return Integer.parseInt(parts[1]);
        }
    }

    /** Starts Granary as a separate JVM on the test classpath, so that it can be killed for real. */
    static Process startProcess(List<String> jvmArgs, Map<String, String> env, String... serveArgs) throws IOException {
        return startProcess(List.of(), jvmArgs, env, serveArgs);
    }

    /** Like {@link #startProcess(List, Map, String...)}, run through {@code prefix} (e.g. a shell that sets a ulimit and execs). */
    static Process startProcess(List<String> prefix, List<String> jvmArgs, Map<String, String> env, String... serveArgs)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve"));
        cmd.addAll(List.of(serveArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static final Pattern LISTENING = Pattern.compile("listening on [^:]+:(\\d+)");

    /** Reads the child's log until it reports its port; keeps draining (and optionally echoing) it afterwards. */
    static int awaitPort(Process p) throws IOException {
        return awaitPort(p, null);
    }

    /** Like {@link #awaitPort(Process)}, also keeping every line the child logs after its start in {@code sink}. */
    static int awaitPort(Process p, List<String> sink) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                int port = Integer.parseInt(m.group(1));
                Thread.ofVirtual().start(() -> {
                    try {
                        String l;
                        while ((l = r.readLine()) != null) {
                            if (sink != null) {
                                sink.add(l);
                            }
                            if (l.contains("ERROR") || l.contains("WARN") || l.contains("committed")) {
                                System.out.println("[granary " + p.pid() + "] " + l);
                            }
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                });
                return port;
            }
        }
        throw new AssertionError("granary exited before listening:\n" + seen);
    }
}
