package dev.granary.core.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.testing.GitFixtures;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The git upstream's bounds and failure behaviour against a real git server on loopback. */
class GitUpstreamTest {
    @TempDir
    Path tmp;

    private GitFixtures fixtures;
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws IOException {
        fixtures = GitFixtures.start(tmp.resolve("repos"));
    }

    @AfterEach
    void stop() {
        fixtures.close();
    }

    private GitUpstream upstream(String routes, Duration timeout, long maxBytes, Duration freshness) {
        return new GitUpstream(
                GitRoutes.parse(routes, Map.of()),
                new GitUpstream.Settings(tmp.resolve("mirrors"), timeout, maxBytes, freshness),
                HttpClient.newHttpClient(),
                registry);
    }

    private GitUpstream upstream() {
        return upstream(fixtures.host() + " go-get insecure", Duration.ofMinutes(1), 1L << 30, Duration.ofSeconds(30));
    }

    private static String list(GitUpstream git, String module) {
        return new String(git.fetch(ModuleEscaping.escapePath(module) + "/@v/list", 1 << 20), StandardCharsets.UTF_8);
    }

    private double fetches() {
        return registry.find("granary.git.fetch").timers().stream()
                .mapToLong(t -> t.count())
                .sum();
    }

    @Test
    void aGitLabSubgroupProjectIsFoundWhenTheMetaRequestCarriesCredentials() throws IOException {
        Path netrc = tmp.resolve("netrc");
        Files.writeString(
                netrc,
                "machine " + fixtures.host() + " login " + GitFixtures.USER + " password " + GitFixtures.PASSWORD
                        + "\n");
        try (GitUpstream withCredentials = upstream(
                fixtures.host() + " go-get insecure netrc=" + netrc,
                Duration.ofMinutes(1),
                1L << 30,
                Duration.ofSeconds(30))) {
            assertThat(list(withCredentials, fixtures.module("group/sub/proj"))).isEqualTo("v1.0.0\n");
        }
        try (GitUpstream anonymous = upstream()) {
            // Told that group/sub is the repository, like the go command without .netrc: there is no such repository.
            assertThatThrownBy(() -> list(anonymous, fixtures.module("group/sub/proj")))
                    .isInstanceOfSatisfying(
                            ProxyException.class,
                            e -> assertThat(e.isNotFound()).isTrue());
        }
    }

    @Test
    void parallelRequestsShareOneFetchAndAFreshMirrorIsNotFetchedAgain() throws Exception {
        try (GitUpstream git = upstream()) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(pool.submit(() -> list(git, fixtures.module("plain"))));
            }
            for (Future<String> a : answers) {
                assertThat(a.get()).isEqualTo("v1.0.0\nv1.1.0\nv1.2.0-rc.1\n");
            }
            pool.shutdown();
            list(git, fixtures.module("plain"));
            git.fetch(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/dev.info", 1 << 20);
            assertThat(fetches()).isEqualTo(1);
        }
    }

    @Test
    void aRepositoryThatDisappearsKeepsServingItsMirror() throws IOException {
        try (GitUpstream git = upstream(
                fixtures.host() + " go-get insecure", Duration.ofSeconds(20), 1L << 30, Duration.ofMillis(1))) {
            String before = list(git, fixtures.module("plain"));
            byte[] info = git.fetch(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/dev.info", 1 << 20);
            fixtures.close();
            // The meta tag is cached and the mirror holds the refs: the answers stay, fetches fail quietly.
            assertThat(list(git, fixtures.module("plain"))).isEqualTo(before);
            assertThat(git.fetch(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/dev.info", 1 << 20))
                    .isEqualTo(info);
            Path zip = tmp.resolve("v.zip");
            git.download(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/v1.0.0.zip", zip, 1L << 30);
            assertThat(Files.size(zip)).isPositive();
            assertThat(registry.find("granary.git.fetch").tag("result", "error").timer())
                    .isNotNull();
        }
    }

    @Test
    void aRepositoryLargerThanTheBoundIsRefusedAndItsMirrorRemoved() throws IOException {
        try (GitUpstream git =
                upstream(fixtures.host() + " go-get insecure", Duration.ofMinutes(1), 2048, Duration.ofSeconds(30))) {
            assertThatThrownBy(() -> list(git, fixtures.module("plain")))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
                        assertThat(e.getMessage()).contains("git.max-repo-bytes");
                    });
            try (var s = Files.list(tmp.resolve("mirrors"))) {
                assertThat(s.toList()).isEmpty();
            }
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        // A fault the real server cannot produce: accept the connection, then say nothing.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = new CopyOnWriteArrayList<>();
        try {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // The test is over.
                }
            });
            String route = "slow.example/* http://127.0.0.1:" + silent.getLocalPort() + "/{1} insecure";
            try (GitUpstream git = upstream(route, Duration.ofSeconds(1), 1L << 30, Duration.ofSeconds(30))) {
                assertThatThrownBy(() -> list(git, "slow.example/repo"))
                        .isInstanceOfSatisfying(
                                ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_TIMEOUT));
            }
        } finally {
            silent.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void anEmptyRepositoryHasNoVersionsAndNoLatest() {
        try (GitUpstream git = upstream()) {
            String empty = ModuleEscaping.escapePath(fixtures.module("empty"));
            assertThat(git.fetch(empty + "/@v/list", 1024)).isEmpty();
            assertThatThrownBy(() -> git.fetch(empty + "/@latest", 1024))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
            assertThatThrownBy(() -> git.fetch(empty + "/@v/main.info", 1024))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        }
    }

    @Test
    void pathsOutsideTheRoutesAndUnknownVersionsAreNotFound() {
        try (GitUpstream git = upstream()) {
            assertThatThrownBy(() -> git.fetch("github.com/x/y/@v/list", 1024))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
            String plain = ModuleEscaping.escapePath(fixtures.module("plain"));
            for (String v : List.of("v9.9.9", "v2.0.0", "nosuchbranch", "v1.1.1-0.20231115021320-000000000000")) {
                assertThatThrownBy(() -> git.fetch(plain + "/@v/" + v + ".info", 1024))
                        .as(v)
                        .isInstanceOfSatisfying(
                                ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
            }
            // A version of a subdirectory module that is tagged only at the root is no version of it.
            assertThatThrownBy(() ->
                            git.fetch(ModuleEscaping.escapePath(fixtures.module("mono/sub")) + "/@v/v9.9.9.info", 1024))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        }
    }
}
