package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import dev.granary.storage.s3.SharedS3;
import dev.granary.storage.s3.TestS3;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Granary with S3 as the durable tier, against a real S3-compatible server (s3proxy, shared by the
 * JVM's tests, a bucket per test) on loopback; replicas as child JVMs. (Its timings: proxy-bench,
 * bench/figures.sh.)
 */
@ExtendWith(SharedS3.class)
class S3TierIT {
    private final TestS3 s3;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    S3TierIT(TestS3 s3) {
        this.s3 = s3;
    }

    static Map<ConfigKey, String> s3Config(TestS3 s3, String bucket) {
        Map<ConfigKey, String> c = new EnumMap<>(ConfigKey.class);
        c.put(ConfigKey.S3_ENDPOINT, s3.endpoint().toString());
        c.put(ConfigKey.S3_BUCKET, bucket);
        c.put(ConfigKey.S3_PREFIX, "granary");
        c.put(ConfigKey.S3_PATH_STYLE, "true");
        c.put(ConfigKey.S3_ACCESS_KEY_ID, s3.accessKey());
        c.put(ConfigKey.S3_SECRET_ACCESS_KEY, s3.secretKey());
        return c;
    }

    private List<String> objectKeys(String bucket) {
        return s3
                .client()
                .listObjectsV2Paginator(
                        ListObjectsV2Request.builder().bucket(bucket).build())
                .contents()
                .stream()
                .map(S3Object::key)
                .toList();
    }

    @EachGoToolchain
    void goBuildsThroughAnS3BackedGranaryAndTheBucketIsAGoproxyTree(GoToolchain toolchain) throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        String bucket = s3.createBucket();
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(
                app.resolve("main.go"),
                "package main\n\nimport (\n\t\"fmt\"\n\n\t\"rsc.io/quote\"\n)\n\nfunc main() { fmt.Println(quote.Hello()) }\n");
        Files.writeString(
                app.resolve("go.mod"), "module example.com/hello\n\ngo 1.19\n\nrequire rsc.io/quote v1.5.2\n");
        try (TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary =
                        TestServers.start(tmp.resolve("local"), upstream.uri().toString(), s3Config(s3, bucket))) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go")).env("GOPROXY", granary.url());
            go.run(app, "mod", "download", "all").assertSuccess();
            go.run(app, "build", "-o", "hello", ".").assertSuccess();
            assertThat(TestModules.runBinary(app.resolve("hello"))).contains("Hello, world.");
            assertThat(objectKeys(bucket))
                    .contains(
                            "granary/rsc.io/quote/@v/v1.5.2.zip",
                            "granary/rsc.io/quote/@v/v1.5.2.info",
                            "granary/rsc.io/quote/@v/v1.5.2.mod",
                            "granary/rsc.io/quote/@v/list",
                            "granary/rsc.io/sampler/@v/v1.3.0.info");
            assertThat(objectKeys(bucket)).noneMatch(k -> k.startsWith("granary/leases/"));
            assertThat(get(granary.url() + "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(granary.url() + "/metrics").body())
                    .contains("granary_cache_lookups_total{kind=\"info\",result=\"hit\",tier=\"s3\"}")
                    .contains("granary_storage_operations_seconds_count{operation=\"put\",tier=\"s3\"}")
                    .contains("granary_storage_transferred_bytes_total{operation=\"put\",tier=\"s3\"}");
        }
        // A second replica with an empty hot tier and no upstream at all serves from the bucket.
        try (TestServers.Running replica = TestServers.start(tmp.resolve("local2"), "off", s3Config(s3, bucket))) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go2")).env("GOPROXY", replica.url());
            go.run(app, "build", "-o", "hello2", ".").assertSuccess();
            assertThat(TestModules.runBinary(app.resolve("hello2"))).contains("Hello, world.");
        }
    }

    @Test
    void redirectModeSendsZipDownloadsToPresignedUrls() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        String bucket = s3.createBucket();
        Map<ConfigKey, String> config = s3Config(s3, bucket);
        config.put(ConfigKey.S3_REDIRECT, "true");
        try (TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary =
                        TestServers.start(tmp.resolve("local"), upstream.uri().toString(), config)) {
            HttpResponse<byte[]> r = http.send(
                    HttpRequest.newBuilder(URI.create(granary.url() + "/rsc.io/quote/@v/v1.5.2.zip"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(307);
            String location = r.headers().firstValue("location").orElseThrow();
            assertThat(location).startsWith(s3.endpoint().toString()).contains("X-Amz-Signature");
            HttpResponse<byte[]> followed = http.send(
                    HttpRequest.newBuilder(URI.create(location)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(followed.body()).isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip")));
        }
    }

    @Test
    void twoReplicasOnOneBucketFetchAColdZipOnceAndAnswerIdentically() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/shared", "v1.0.0");
        String bucket = s3.createBucket();
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            upstream.delay(300);
            Process a = replica(bucket, upstream, tmp.resolve("a"), "30s");
            Process b = replica(bucket, upstream, tmp.resolve("b"), "30s");
            try {
                int pa = TestServers.awaitPort(a);
                int pb = TestServers.awaitPort(b);
                List<CompletableFuture<HttpResponse<byte[]>>> answers = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    int port = i % 2 == 0 ? pa : pb;
                    answers.add(http.sendAsync(
                            HttpRequest.newBuilder(URI.create(
                                            "http://127.0.0.1:" + port + "/example.com/shared/@v/v1.0.0.zip"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray()));
                }
                byte[] expected = Files.readAllBytes(tree.file("example.com/shared", "v1.0.0", ".zip"));
                for (CompletableFuture<HttpResponse<byte[]>> f : answers) {
                    HttpResponse<byte[]> r = f.get(120, TimeUnit.SECONDS);
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo(expected);
                }
                assertThat(upstream.hits("example.com/shared/@v/v1.0.0.zip")).isLessThanOrEqualTo(1);
                assertThat(upstream.hits("example.com/shared/@v/v1.0.0.info")).isLessThanOrEqualTo(1);
            } finally {
                a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                b.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void whenTheLeaseHolderDiesTheOtherReplicaTakesTheFetchOverAfterTheLeaseExpires() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/orphan", "v1.0.0");
        String bucket = s3.createBucket();
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            upstream.delay(2500);
            Process a = replica(bucket, upstream, tmp.resolve("a"), "3s");
            Process b = replica(bucket, upstream, tmp.resolve("b"), "3s");
            try {
                int pa = TestServers.awaitPort(a);
                int pb = TestServers.awaitPort(b);
                String path = "/example.com/orphan/@v/v1.0.0.zip";
                http.sendAsync(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pa + path))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                while (upstream.totalHits() == 0) {
                    Thread.sleep(10);
                }
                // A holds the lease and is mid-fetch: kill it.
                a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                assertThat(objectKeys(bucket)).anyMatch(k -> k.startsWith("granary/leases/example.com/orphan/"));
                upstream.delay(0);
                HttpResponse<byte[]> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pb + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(Files.readAllBytes(tree.file("example.com/orphan", "v1.0.0", ".zip")));
                assertThat(upstream.hits("example.com/orphan/@v/v1.0.0.info")).isEqualTo(2);
            } finally {
                a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                b.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aThreeHundredMegabyteZipThroughAReplicaWith128MegabytesOfHeap() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        Path zip = bigModule(tree, "example.com/big", "v1.0.0", 300);
        String bucket = s3.createBucket();
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            Process p = TestServers.startProcess(
                    List.of("-Xmx128m"), s3Env(), s3Args(bucket, upstream, tmp.resolve("local"), "10m"));
            try {
                int port = TestServers.awaitPort(p);
                HttpResponse<InputStream> r = http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + port + "/example.com/big/@v/v1.0.0.zip"))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                String served;
                try (InputStream in = r.body()) {
                    served = sha256(in);
                }
                assertThat(served).isEqualTo(sha256(Files.newInputStream(zip)));
                assertThat(objectKeys(bucket)).contains("granary/example.com/big/@v/v1.0.0.zip");
                assertThat(p.isAlive()).as("no OutOfMemoryError").isTrue();
            } finally {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aZipOverTheHotTierLimitIsServedWholeColdAndWarmFromS3AndFromDisk() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        bigModule(tree, "example.com/twelve", "v1.0.0", 12);
        byte[] expected = Files.readAllBytes(tree.file("example.com/twelve", "v1.0.0", ".zip"));
        String path = "/example.com/twelve/@v/v1.0.0.zip";
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            Map<String, Map<ConfigKey, String>> tiers =
                    new TreeMap<>(Map.of("disk", Map.of(), "s3", s3Config(s3, s3.createBucket())));
            for (Map.Entry<String, Map<ConfigKey, String>> tier : tiers.entrySet()) {
                try (TestServers.Running g = TestServers.start(
                        tmp.resolve("local-" + tier.getKey()), upstream.uri().toString(), tier.getValue())) {
                    for (String round : List.of("cold", "warm", "warm again")) {
                        HttpResponse<byte[]> r = http.send(
                                HttpRequest.newBuilder(URI.create(g.url() + path))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        assertThat(r.statusCode())
                                .as("%s, %s", tier.getKey(), round)
                                .isEqualTo(200);
                        assertThat(r.body()).as("%s, %s", tier.getKey(), round).isEqualTo(expected);
                    }
                }
            }
            assertThat(upstream.hits("example.com/twelve/@v/v1.0.0.zip"))
                    .as("once per tier")
                    .isEqualTo(2);
        }
    }

    private Process replica(String bucket, TestUpstream upstream, Path local, String leaseTtl) throws Exception {
        return TestServers.startProcess(List.of("-Xmx256m"), s3Env(), s3Args(bucket, upstream, local, leaseTtl));
    }

    private Map<String, String> s3Env() {
        return Map.of(
                "AWS_ACCESS_KEY_ID",
                s3.accessKey(),
                "AWS_SECRET_ACCESS_KEY",
                s3.secretKey(),
                "GRANARY_HOT_MAX_BYTES",
                "16MiB");
    }

    private String[] s3Args(String bucket, TestUpstream upstream, Path local, String leaseTtl) throws IOException {
        Path config = Files.createDirectories(local).resolve("granary.yaml");
        Files.writeString(config, "s3:\n  lease-ttl: " + leaseTtl + "\n");
        return new String[] {
            "--listen",
            "127.0.0.1:0",
            "--storage",
            local.toString(),
            "--upstream",
            upstream.uri().toString(),
            "--sumdb",
            "off",
            "--s3-endpoint",
            s3.endpoint().toString(),
            "--s3-bucket",
            bucket,
            "--s3-prefix",
            "granary",
            "--s3-region",
            TestS3.REGION,
            "--s3-path-style",
            "--config",
            config.toString()
        };
    }

    /** A module whose zip holds {@code megabytes} of incompressible data (stored, not deflated). */
    static Path bigModule(GoProxyTree tree, String module, String version, int megabytes) throws Exception {
        Path dir = tree.versionsDir(module);
        Files.createDirectories(dir);
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

    private static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) >= 0) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
