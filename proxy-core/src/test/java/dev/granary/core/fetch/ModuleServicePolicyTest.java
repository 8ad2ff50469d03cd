package dev.granary.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.policy.ModulePolicy;
import dev.granary.core.policy.PolicyException;
import dev.granary.core.policy.PolicyRule;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.storage.BlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The version policy where the module service applies it: before anything is fetched (deny and
 * allow rules), once the upstream's .info is known and before the downloads (the minimum age), and
 * before a stored version is served; @v/list is never filtered.
 */
class ModuleServicePolicyTest {
    private static final HttpUpstream.Settings FAST =
            new HttpUpstream.Settings(Duration.ofSeconds(5), Duration.ofSeconds(30), 1, Duration.ofMillis(10));
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    @TempDir
    Path tmp;

    private TestUpstream upstream;
    private final BlobStore store = new MemoryBlobStore();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private final ModuleVersion old = ModuleVersion.of("example.com/lib", "v1.0.0");
    private final ModuleVersion fresh = ModuleVersion.of("example.com/lib", "v1.1.0");

    @BeforeEach
    void setUp() throws IOException {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        add(tree, old, "2026-01-01T00:00:00Z");
        add(tree, fresh, "2026-11-27T10:00:00Z");
        upstream = TestUpstream.serve(tree.root());
    }

    private static void add(GoProxyTree tree, ModuleVersion mv, String time) throws IOException {
        String info = "{\"Version\":\"" + mv.version() + "\",\"Time\":\"" + time + "\"}";
        byte[] mod = ("module " + mv.path().value() + "\n").getBytes(StandardCharsets.UTF_8);
        tree.add(
                mv.path().value(),
                mv.version(),
                info.getBytes(StandardCharsets.UTF_8),
                mod,
                Map.of("go.mod", mod, "lib.go", "package lib\n".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterEach
    void tearDown() {
        upstream.close();
        executor.shutdownNow();
    }

    private ModuleService service(String deny, Duration minAge) {
        ModulePolicy policy =
                new ModulePolicy(PolicyRule.parseList(deny), List.of(), minAge, "", Clock.fixed(NOW, ZoneOffset.UTC));
        FetchSettings s = FetchSettings.defaults(tmp.resolve("fetch-tmp")).withFetchWait(Duration.ofMinutes(1));
        return new ModuleService(
                store,
                UpstreamChain.parse(upstream.uri().toString(), HttpUpstream.newClient(FAST), FAST),
                s,
                ChecksumVerifier.NONE,
                new SimpleMeterRegistry(),
                executor,
                null,
                policy);
    }

    private static String text(Artifact a) throws IOException {
        try (a) {
            return new String(a.blob().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aQuarantinedVersionIsRefusedForEveryArtifactAndNeverDownloaded() throws IOException {
        ModuleService service = service("", Duration.ofHours(72));

        assertThatThrownBy(() -> service.info(fresh))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("example.com/lib@v1.1.0 is quarantined until 2026-11-30T10:00:00Z")
                .satisfies(e -> assertThat(((PolicyException) e).kind()).isEqualTo(Kind.FORBIDDEN));
        assertThatThrownBy(() -> service.mod(fresh)).isInstanceOf(PolicyException.class);
        assertThatThrownBy(() -> service.zip(fresh)).isInstanceOf(PolicyException.class);

        // Only the .info was asked for, once (the refusal is remembered briefly); nothing was stored.
        assertThat(upstream.hits("example.com/lib/@v/v1.1.0.info")).isEqualTo(1);
        assertThat(upstream.hits("example.com/lib/@v/v1.1.0.zip")).isZero();
        assertThat(upstream.hits("example.com/lib/@v/v1.1.0.mod")).isZero();
        assertThat(store.exists(StorageLayout.info(fresh))).isFalse();
        assertThat(store.exists(StorageLayout.zip(fresh))).isFalse();

        // An old enough version of the same module is served; the list names both.
        assertThat(text(service.zip(old))).isNotEmpty();
        assertThat(text(service.list(old.path()))).isEqualTo("v1.0.0\nv1.1.0\n");
    }

    @Test
    void aDenyRuleRefusesBeforeAnyUpstreamRequest() {
        ModuleService service = service("example.com/lib <v1.1.0 # broken build", Duration.ZERO);
        assertThatThrownBy(() -> service.info(old))
                .isInstanceOf(PolicyException.class)
                .hasMessage("policy: example.com/lib@v1.0.0 is denied (rule 'example.com/lib <v1.1.0': broken build)");
        assertThatThrownBy(() -> service.zip(old)).isInstanceOf(PolicyException.class);
        assertThat(upstream.totalHits()).isZero();
    }

    @Test
    void aStoredVersionIsRefusedOnceARuleOrAQuarantineCoversIt() throws IOException {
        // Committed while no policy was configured...
        ModuleService open = service("", Duration.ZERO);
        assertThat(text(open.zip(fresh))).isNotEmpty();
        assertThat(store.exists(StorageLayout.info(fresh))).isTrue();
        upstream.close();

        // ...and refused from storage, without the upstream, once a quarantine or a rule applies.
        ModuleService quarantined = service("", Duration.ofHours(72));
        assertThatThrownBy(() -> quarantined.info(fresh))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("quarantined");
        assertThatThrownBy(() -> quarantined.mod(fresh)).isInstanceOf(PolicyException.class);
        assertThatThrownBy(() -> quarantined.zip(fresh)).isInstanceOf(PolicyException.class);
        ModuleService denied = service("example.com/*", Duration.ZERO);
        assertThatThrownBy(() -> denied.zip(fresh))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("denied");
        // The list stays as it was.
        assertThat(text(denied.list(fresh.path()))).isEqualTo("v1.1.0\n");
    }

    @Test
    void latestNamingAQuarantinedVersionIsRefusedWithTheReason() throws IOException {
        upstream.override(
                "example.com/lib/@latest",
                "{\"Version\":\"v1.1.0\",\"Time\":\"2026-11-27T10:00:00Z\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> service("", Duration.ofHours(72)).latest(fresh.path()))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("example.com/lib@v1.1.0 is quarantined");
        assertThat(text(service("", Duration.ofHours(1)).latest(fresh.path()))).contains("v1.1.0");
    }
}
