package dev.granary.storage.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: s3proxy (filesystem backend, real SigV4) in a child JVM on a
 * free loopback port. The build copies its jar to {@code target/s3proxy} of the modules whose tests use
 * it (the maven-dependency-plugin's {@code fetch-s3proxy} execution, phase
 * {@code generate-test-resources}); {@link #start()} finds it there or, walking up from the working
 * directory, under {@code proxy-storage/target/s3proxy}. The system property {@code granary.s3proxy.jar}
 * overrides the location. Its data lives under the build directory and is deleted by {@link #stop()}.
 *
 * <p>Tests share one server per JVM through {@link SharedS3} (it takes 1-4 s and about 150 MB) and give
 * every test its own {@link #createBucket() bucket}:
 *
 * <pre>{@code
 * @ExtendWith(SharedS3.class)
 * class MyIT {
 *     private final TestS3 s3;
 *     MyIT(TestS3 s3) { this.s3 = s3; }
 *     ... new S3BlobStore(s3.settings(s3.createBucket()))
 * }
 * }</pre>
 *
 * A test that takes the server down ({@link #stopForOutage()}, then {@link #restart()} on the same port
 * with the same data, for "S3 unreachable, then back") starts a private one with {@link #start()} and
 * stops it by PID with {@link #stop()}.
 */
public final class TestS3 implements AutoCloseable {

    /** The region the helper's settings use (s3proxy accepts any). */
    public static final String REGION = "us-east-1";

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static final long START_TIMEOUT_MS = 60_000;

    private final Path jar;
    private final Path home;
    private final Path config;
    private final Path log;
    private final int port;
    private final String accessKey = "granary-test-identity";
    private final String secretKey = "granary-test-credential-" + UUID.randomUUID();
    private Process process;
    private S3Client client;
    private final Thread reaper;
    private volatile boolean shared;

    private TestS3(Path jar, Path home, int port) {
        this.jar = jar;
        this.home = home;
        this.config = home.resolve("s3proxy.conf");
        this.log = home.resolve("s3proxy.log");
        this.port = port;
        this.reaper = new Thread(this::destroyProcess, "s3proxy-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * Starts s3proxy on a free loopback port with an empty data directory and waits until it accepts
     * connections.
     *
     * @throws IOException if the jar is missing or the server does not come up within 60 s
     */
    public static TestS3 start() throws IOException {
        Path jar = findJar();
        Path home = Files.createTempDirectory(Files.createDirectories(buildDir()), "s3proxy-");
        TestS3 s3 = new TestS3(jar, home, freePort());
        Files.createDirectories(s3.data());
        Files.writeString(
                s3.config,
                String.join(
                        "\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + s3.port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + s3.accessKey,
                        "s3proxy.credential=" + s3.secretKey,
                        "s3proxy.ignore-unknown-headers=true",
                        "jclouds.provider=filesystem",
                        "jclouds.filesystem.basedir=" + s3.data(),
                        ""),
                StandardCharsets.UTF_8);
        try {
            s3.launch();
        } catch (IOException | RuntimeException e) {
            s3.stop();
            throw e;
        }
        return s3;
    }

    /** The endpoint, {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The port, fixed for the life of this helper (also across {@link #restart()}). */
    public int port() {
        return port;
    }

    /** The access key id the server accepts. */
    public String accessKey() {
        return accessKey;
    }

    /** The secret key the server accepts. */
    public String secretKey() {
        return secretKey;
    }

    /** The PID of the server process (while running). */
    public long pid() {
        return process.pid();
    }

    /** Settings for {@code bucket} on this server: path-style, static credentials, no prefix. */
    public S3Settings settings(String bucket) {
        return S3Settings.of(endpoint(), REGION, bucket, "", true, accessKey, secretKey);
    }

    /** Creates a fresh, empty bucket with a unique name and returns the name. */
    public String createBucket() {
        String name = "granary-" + BUCKETS.incrementAndGet() + "-"
                + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
        client().createBucket(b -> b.bucket(name));
        return name;
    }

    /** A plain SDK client signed in to this server, for assertions that go around the store under test. */
    public synchronized S3Client client() {
        if (client == null) {
            client = S3Client.builder()
                    .endpointOverride(endpoint())
                    .region(Region.of(REGION))
                    .forcePathStyle(true)
                    .credentialsProvider(
                            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                    .httpClientBuilder(Apache5HttpClient.builder())
                    .build();
        }
        return client;
    }

    /** Kills the server (destroy, then destroyForcibly) but keeps its port and data for {@link #restart()}. */
    public synchronized void stopForOutage() {
        refuseIfShared("stopped for an outage");
        destroyProcess();
    }

    /** Starts the server again on the same port with the same data, after {@link #stopForOutage()}. */
    public synchronized void restart() throws IOException {
        refuseIfShared("restarted");
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("s3proxy is running");
        }
        launch();
    }

    /** Kills the server by PID and deletes its data. Idempotent. */
    public synchronized void stop() {
        refuseIfShared("stopped by one test");
        stopNow();
    }

    /** Marks the server as shared by the JVM's tests ({@link SharedS3}): only {@link #stopShared()} stops it. */
    void share() {
        shared = true;
    }

    /** Stops a shared server at the end of the test run. */
    synchronized void stopShared() {
        shared = false;
        stopNow();
    }

    private void refuseIfShared(String what) {
        if (shared) {
            throw new IllegalStateException(
                    "the shared s3proxy (SharedS3) cannot be " + what + ": start a private one with TestS3.start()");
        }
    }

    private void stopNow() {
        destroyProcess();
        if (client != null) {
            client.close();
            client = null;
        }
        deleteTree(home);
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // shutting down already
        }
    }

    @Override
    public void close() {
        stop();
    }

    private Path data() {
        return home.resolve("data");
    }

    private void launch() throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED",
                "-jar",
                jar.toString(),
                "--properties",
                config.toString()));
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue() + " at start:\n" + logTail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                if (System.currentTimeMillis() > deadline) {
                    destroyProcess();
                    throw new IOException("s3proxy did not listen on port " + port + " within 60 s:\n" + logTail());
                }
                sleep(50);
            }
        }
    }

    private synchronized void destroyProcess() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** The module's build directory (Maven passes it as {@code granary.test.builddir}): no test data in /tmp. */
    private static Path buildDir() {
        String dir = System.getProperty("granary.test.builddir");
        return (dir == null || dir.isBlank() ? Paths.get("target") : Paths.get(dir)).toAbsolutePath();
    }

    /**
     * Finds {@code target/s3proxy/*.jar} of the working directory's module, else
     * {@code proxy-storage/target/s3proxy/*.jar} from the working directory or one of its parents.
     */
    static Path findJar() throws IOException {
        String override = System.getProperty("granary.s3proxy.jar");
        if (override != null && !override.isBlank()) {
            return Paths.get(override);
        }
        Path dir = Paths.get("").toAbsolutePath();
        // This module's copy, a sibling module's (cwd proxy-bench: ../proxy-storage), or the root's.
        for (Path d = dir; d != null; d = d.getParent()) {
            List<Path> candidates = new ArrayList<>();
            if (d.equals(dir)) {
                candidates.add(buildDir().resolve("s3proxy"));
                candidates.add(d.resolve("target/s3proxy"));
            }
            candidates.add(d.resolve("proxy-storage/target/s3proxy"));
            for (Path candidate : candidates) {
                Path jar = jarIn(candidate);
                if (jar != null) {
                    return jar;
                }
            }
        }
        throw new IOException(
                "no s3proxy jar in target/s3proxy of " + dir + " nor in proxy-storage/target/s3proxy above it"
                        + "; run the build through the generate-test-resources phase first");
    }

    private static Path jarIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "s3proxy-*.jar")) {
            for (Path p : s) {
                return p;
            }
        }
        return null;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
