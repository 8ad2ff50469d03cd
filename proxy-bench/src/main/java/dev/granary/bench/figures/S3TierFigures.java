package dev.granary.bench.figures;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import dev.granary.storage.s3.TestS3;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Granary with S3 (s3proxy on loopback) as the durable tier, against the disk tier:
 * <ul>
 *   <li>a 12 MB zip (over the hot tier's item limit) cold, then warm (best of 5), over disk and over S3;</li>
 *   <li>a 300 MB zip through a replica with {@code -Xmx128m}: cold time and the replica's heap peak;</li>
 *   <li>how long a replica waits for a dead replica's fetch lease (TTL 3 s) before taking the fetch over.</li>
 * </ul>
 */
public final class S3TierFigures {
    private S3TierFigures() {}

    public static void main(String[] args) throws Exception {
        try (Rig rig = new Rig("s3-tier")) {
            TestS3 s3 = rig.closeLater(TestS3.start());
            GoProxyTree tree = new GoProxyTree(rig.work.resolve("upstream"));
            Rig.bigModule(tree, "example.com/twelve", "v1.0.0", 12);
            Rig.bigModule(tree, "example.com/big", "v1.0.0", 300);
            tree.addSimple("example.com/orphan", "v1.0.0");
            TestUpstream upstream = rig.closeLater(TestUpstream.serve(tree.root()));

            twelveMegabytes(rig, s3, upstream);
            threeHundredMegabytes(rig, s3, upstream);
            leaseTakeover(rig, s3, upstream);
        }
    }

    private static void twelveMegabytes(Rig rig, TestS3 s3, TestUpstream upstream) throws Exception {
        String path = "/example.com/twelve/@v/v1.0.0.zip";
        Map<String, Map<ConfigKey, String>> tiers =
                new TreeMap<>(Map.of("disk", Map.of(), "s3", config(s3, s3.createBucket())));
        for (Map.Entry<String, Map<ConfigKey, String>> tier : tiers.entrySet()) {
            try (Rig.Server g = rig.start(
                    rig.work.resolve("local-" + tier.getKey()), upstream.uri().toString(), tier.getValue())) {
                long t0 = System.nanoTime();
                rig.ok(g.url() + path);
                long cold = System.nanoTime() - t0;
                long warmBest = Long.MAX_VALUE;
                for (int i = 0; i < 5; i++) {
                    long w0 = System.nanoTime();
                    rig.ok(g.url() + path);
                    warmBest = Math.min(warmBest, System.nanoTime() - w0);
                }
                System.out.printf(
                        "12 MB zip over %s: cold %.0f ms, warm %.1f ms (best of 5)%n",
                        tier.getKey(), Rig.millis(cold), Rig.millis(warmBest));
            }
        }
    }

    private static void threeHundredMegabytes(Rig rig, TestS3 s3, TestUpstream upstream) throws Exception {
        Rig.Child replica = rig.startProcess(
                List.of("-Xmx128m"), env(s3), args(s3, s3.createBucket(), upstream, rig.work.resolve("big"), "10m"));
        long start = System.nanoTime();
        HttpResponse<InputStream> r = rig.http.send(
                HttpRequest.newBuilder(URI.create(replica.url() + "/example.com/big/@v/v1.0.0.zip"))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long bytes;
        try (InputStream in = r.body()) {
            bytes = in.transferTo(OutputStream.nullOutputStream());
        }
        long cold = System.nanoTime() - start;
        double peak = rig.metric(replica.url(), "granary_jvm_heap_peak_bytes");
        System.out.printf(
                "300 MB zip through a -Xmx128m replica (HTTP %d, %d bytes): cold %.0f ms (%.0f MB/s); heap peak %.1f MiB%n",
                r.statusCode(), bytes, Rig.millis(cold), bytes / 1e6 / (cold / 1e9), peak / 1048576.0);
        replica.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    private static void leaseTakeover(Rig rig, TestS3 s3, TestUpstream upstream) throws Exception {
        String bucket = s3.createBucket();
        upstream.delay(2500);
        Rig.Child a =
                rig.startProcess(List.of("-Xmx256m"), env(s3), args(s3, bucket, upstream, rig.work.resolve("a"), "3s"));
        Rig.Child b =
                rig.startProcess(List.of("-Xmx256m"), env(s3), args(s3, bucket, upstream, rig.work.resolve("b"), "3s"));
        String path = "/example.com/orphan/@v/v1.0.0.zip";
        rig.http.sendAsync(
                HttpRequest.newBuilder(URI.create(a.url() + path)).build(), HttpResponse.BodyHandlers.discarding());
        while (upstream.totalHits() == 0) {
            Thread.sleep(10);
        }
        a.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        upstream.delay(0);
        long start = System.nanoTime();
        HttpResponse<byte[]> r = rig.get(b.url() + path);
        long waited = System.nanoTime() - start;
        System.out.printf(
                "replica b answered %d for the dead replica's fetch after %.0f ms (lease TTL 3 s)%n",
                r.statusCode(), Rig.millis(waited));
        b.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    private static Map<ConfigKey, String> config(TestS3 s3, String bucket) {
        Map<ConfigKey, String> c = new EnumMap<>(ConfigKey.class);
        c.put(ConfigKey.S3_ENDPOINT, s3.endpoint().toString());
        c.put(ConfigKey.S3_BUCKET, bucket);
        c.put(ConfigKey.S3_PREFIX, "granary");
        c.put(ConfigKey.S3_PATH_STYLE, "true");
        c.put(ConfigKey.S3_ACCESS_KEY_ID, s3.accessKey());
        c.put(ConfigKey.S3_SECRET_ACCESS_KEY, s3.secretKey());
        return c;
    }

    private static Map<String, String> env(TestS3 s3) {
        return Map.of(
                "AWS_ACCESS_KEY_ID",
                s3.accessKey(),
                "AWS_SECRET_ACCESS_KEY",
                s3.secretKey(),
                "GRANARY_HOT_MAX_BYTES",
                "16MiB");
    }

    private static String[] args(TestS3 s3, String bucket, TestUpstream upstream, Path local, String leaseTtl)
            throws Exception {
        Path config = Files.createDirectories(local).resolve("granary.yaml");
        Files.writeString(config, "s3:\n  lease-ttl: " + leaseTtl + "\n");
        return new String[] {
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
}
