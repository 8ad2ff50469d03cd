package dev.granary.bench.figures;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.server.GranaryServer;
import dev.granary.server.Main;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * What the figures programs share: Granary in this JVM or as a child JVM on loopback, plain HTTP
 * requests, Prometheus metrics read back, and a work directory under the build directory that is
 * deleted at the end. Figures are measurements to read, never pass/fail: the tests assert behaviour.
 */
final class Rig implements AutoCloseable {
    final HttpClient http = HttpClient.newHttpClient();
    final Path work;
    private final List<AutoCloseable> open = new ArrayList<>();

    Rig(String name) throws IOException {
        Path build =
                Path.of(System.getProperty("granary.test.builddir", "target")).toAbsolutePath();
        this.work = Files.createTempDirectory(Files.createDirectories(build), "figures-" + name + "-");
    }

    /** A running Granary in this JVM. */
    record Server(GranaryServer server, String url) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
        }
    }

    /** Starts Granary in this JVM on an ephemeral loopback port, verification off unless {@code extra} sets it. */
    Server start(Path storage, String upstream, Map<ConfigKey, String> extra) throws InterruptedException {
        Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        flags.put(ConfigKey.LISTEN, "127.0.0.1:0");
        flags.put(ConfigKey.STORAGE, storage.toString());
        flags.put(ConfigKey.UPSTREAM, upstream);
        flags.put(ConfigKey.SHUTDOWN_GRACE, "5s");
        flags.put(ConfigKey.SUMDB, "off");
        flags.putAll(extra);
        try {
            GranaryServer s = new GranaryServer(GranaryConfig.load(flags, Map.of(), Optional.empty()), Map.of());
            InetSocketAddress addr = s.start();
            return new Server(s, "http://127.0.0.1:" + addr.getPort());
        } catch (IOException e) {
            throw new IllegalStateException("granary did not start", e);
        }
    }

    /** A Granary child JVM and the port it listens on; destroyed with the rig at the latest. */
    record Child(Process process, int port) {
        String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    /**
     * Starts {@code granary serve} as a child JVM on a free loopback port with the given JVM flags and
     * environment, and waits until {@code /healthz} answers.
     */
    Child startProcess(List<String> jvmArgs, Map<String, String> env, String... serveArgs)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--listen",
                "127.0.0.1:" + port));
        cmd.addAll(Arrays.asList(serveArgs));
        Path log = Files.createTempFile(work, "granary-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        open.add(() -> p.destroyForcibly().waitFor());
        Child child = new Child(p, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                if (get(child.url() + "/healthz").statusCode() == 200) {
                    return child;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IOException("granary did not answer /healthz on port " + port + ":\n" + Files.readString(log));
    }

    /** Closes {@code c} with the rig, in reverse order of registration. */
    <T extends AutoCloseable> T closeLater(T c) {
        open.add(c);
        return c;
    }

    HttpResponse<byte[]> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** GET that must answer 200; returns the body. */
    byte[] ok(String url) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = get(url);
        if (r.statusCode() != 200) {
            throw new IllegalStateException(
                    url + ": HTTP " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body();
    }

    /** The sum of every series of a metric whose line contains all of {@code labels}. */
    double metric(String baseUrl, String name, String... labels) throws IOException, InterruptedException {
        String text = new String(ok(baseUrl + "/metrics"), StandardCharsets.UTF_8);
        return text.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** A module whose zip holds {@code megabytes} of incompressible data (stored, not deflated); returns the zip. */
    static Path bigModule(GoProxyTree tree, String module, String version, int megabytes) throws IOException {
        Path dir = Files.createDirectories(tree.versionsDir(module));
        String mod = "module " + module + "\n";
        Files.writeString(dir.resolve(version + ".info"), "{\"Version\":\"" + version + "\"}");
        Files.writeString(dir.resolve(version + ".mod"), mod);
        Files.writeString(dir.resolve("list"), version + "\n");
        Path zip = dir.resolve(version + ".zip");
        Random random = new Random(7);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.setLevel(0);
            z.putNextEntry(new ZipEntry(module + "@" + version + "/go.mod"));
            z.write(mod.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
            z.putNextEntry(new ZipEntry(module + "@" + version + "/data.bin"));
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < megabytes; i++) {
                random.nextBytes(chunk);
                z.write(chunk);
            }
            z.closeEntry();
        }
        return zip;
    }

    static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** The median of some timings, in milliseconds. */
    static double medianMillis(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? millis(sorted.get(n / 2)) : millis(sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Stops what was started (children, servers) and deletes the work directory. */
    @Override
    public void close() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                System.err.println("closing: " + e);
            }
        }
        try (Stream<Path> s = Files.walk(work)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + work + ": " + e);
        }
    }
}
