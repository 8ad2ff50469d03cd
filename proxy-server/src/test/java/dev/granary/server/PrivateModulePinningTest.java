package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private modules (GONOSUMDB patterns) are never looked up: pinned on first fetch, and a moved tag is refused. */
class PrivateModulePinningTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aPrivateModuleIsPinnedAndARetaggedVersionRefused() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("git.corp.example/team/lib", "v1.0.0");
        Path storage = tmp.resolve("storage");
        try (TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        storage,
                        upstream.uri().toString(),
                        Map.of(ConfigKey.SUMDB, "sum.golang.org", ConfigKey.NOSUMDB, "git.corp.example"))) {
            // Never looked up in sum.golang.org (unreachable here): pinned on first fetch.
            assertThat(get(granary.url() + "/git.corp.example/team/lib/@v/v1.0.0.zip")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(storage.resolve("pins/git.corp.example/team/lib/@v/v1.0.0.sum"))
                    .exists();

            // The version is lost from the cache and the tag is moved upstream.
            for (String ext : new String[] {".info", ".mod", ".zip", ".sum"}) {
                Files.delete(storage.resolve("git.corp.example/team/lib/@v/v1.0.0" + ext));
            }
            String zipPath = "git.corp.example/team/lib/@v/v1.0.0.zip";
            upstream.override(
                    zipPath, TestModules.tamper(Files.readAllBytes(tree.root().resolve(zipPath))));
            HttpResponse<String> again = get(granary.url() + "/git.corp.example/team/lib/@v/v1.0.0.zip");
            assertThat(again.statusCode()).isEqualTo(502);
            assertThat(again.body()).contains("changed since it was first fetched");
            assertThat(storage.resolve("git.corp.example/team/lib/@v/v1.0.0.info"))
                    .doesNotExist();
            assertThat(get(granary.url() + "/metrics").body())
                    .contains("granary_verification_failures_total{reason=\"pin-mismatch\"}");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
