package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.storage.s3.TestS3;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

/**
 * S3 goes away and comes back: /readyz follows it, requests fail cleanly, nothing half-committed, no
 * restart needed. Takes its s3proxy down, so it starts a private one rather than {@code SharedS3}'s.
 */
class S3OutageServerIT {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anS3OutageFailsCleanlyAndServiceResumesWithoutARestart() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        try (TestS3 s3 = TestS3.start();
                TestUpstream upstream = TestUpstream.serve(tree.root())) {
            String bucket = s3.createBucket();
            try (TestServers.Running g =
                    TestServers.start(tmp.resolve("local"), upstream.uri().toString(), S3TierIT.s3Config(s3, bucket))) {
                assertThat(get(g.url() + "/readyz").statusCode()).isEqualTo(200);
                // A .zip answer means the version is committed (an .info may be answered before the commit).
                assertThat(get(g.url() + "/rsc.io/quote/@v/v1.5.2.zip").statusCode())
                        .isEqualTo(200);
                assertThat(get(g.url() + "/rsc.io/quote/@v/v1.5.2.info").statusCode())
                        .isEqualTo(200);

                s3.stopForOutage();
                HttpResponse<String> ready = get(g.url() + "/readyz");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("s3://" + bucket);
                HttpResponse<String> cold = get(g.url() + "/rsc.io/sampler/@v/v1.3.0.zip");
                assertThat(cold.statusCode()).isBetween(500, 599);
                assertThat(cold.headers().firstValue("cache-control")).hasValue("no-store");
                // Already in the hot tier: still served.
                assertThat(get(g.url() + "/rsc.io/quote/@v/v1.5.2.info").statusCode())
                        .isEqualTo(200);

                s3.restart();
                assertThat(get(g.url() + "/readyz").statusCode()).isEqualTo(200);
                assertThat(s3
                                .client()
                                .listObjectsV2(ListObjectsV2Request.builder()
                                        .bucket(bucket)
                                        .prefix("granary/rsc.io/sampler/")
                                        .build())
                                .contents()
                                .stream()
                                .map(o -> o.key())
                                .filter(k -> k.endsWith(".info"))
                                .toList())
                        .as("no version committed during the outage")
                        .isEmpty();
                HttpResponse<String> after = get(g.url() + "/rsc.io/sampler/@v/v1.3.0.zip");
                assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
                assertThat(after.body().length()).isPositive();
                assertThat(Files.exists(tree.file("rsc.io/sampler", "v1.3.0", ".zip")))
                        .isTrue();
            }
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
