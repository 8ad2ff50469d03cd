package dev.granary.core.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.GitFixtures;
import dev.granary.core.testing.GitSshServer;
import dev.granary.core.zip.ModuleZips;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repositories over SSH with a route's key: the same versions and hashes as over HTTP; wrong keys and unknown hosts refused. */
class GitSshTest {
    @TempDir
    Path tmp;

    private GitFixtures fixtures;
    private GitSshServer ssh;
    private KeyPair clientKey;

    @BeforeEach
    void start() throws IOException {
        fixtures = GitFixtures.start(tmp.resolve("repos"));
        clientKey = GitSshServer.newKeyPair();
        ssh = new GitSshServer(tmp.resolve("repos"), clientKey.getPublic());
    }

    @AfterEach
    void stop() throws IOException {
        ssh.close();
        fixtures.close();
    }

    private GitUpstream upstream(String route, String mirrors) {
        return new GitUpstream(
                GitRoutes.parse(route, Map.of()),
                new GitUpstream.Settings(
                        tmp.resolve(mirrors), Duration.ofSeconds(30), 1L << 30, Duration.ofSeconds(30)),
                HttpClient.newHttpClient(),
                new SimpleMeterRegistry());
    }

    private String sshRoute(Path key, Path knownHosts) {
        return fixtures.host() + "/* ssh://git@127.0.0.1:" + ssh.port() + "/{1} ssh-key=" + key + " known-hosts="
                + knownHosts;
    }

    private String h1(GitUpstream git, String module, String version) throws IOException {
        Path zip = Files.createTempFile(tmp, "z", ".zip");
        git.download(ModuleEscaping.escapePath(module) + "/@v/" + version + ".zip", zip, 1L << 30);
        return ModuleZips.check(zip, ModuleVersion.of(module, version)).h1();
    }

    @Test
    void aRepositoryOverSshGivesTheSameVersionsAndHashesAsOverHttp() throws IOException {
        Path key = GitSshServer.writePrivateKey(clientKey, tmp.resolve("id_ecdsa"));
        Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), ssh.knownHostsLine() + "\n");
        String plain = fixtures.module("plain");
        try (GitUpstream overSsh = upstream(sshRoute(key, knownHosts), "m-ssh");
                GitUpstream overHttp = upstream(fixtures.host() + " go-get insecure", "m-http")) {
            String list = new String(
                    overSsh.fetch(ModuleEscaping.escapePath(plain) + "/@v/list", 1 << 20), StandardCharsets.UTF_8);
            assertThat(list).isEqualTo("v1.0.0\nv1.1.0\nv1.2.0-rc.1\n");
            String dev = new String(
                    overSsh.fetch(ModuleEscaping.escapePath(plain) + "/@v/dev.info", 1 << 20), StandardCharsets.UTF_8);
            assertThat(dev)
                    .isEqualTo(new String(
                                    overHttp.fetch(ModuleEscaping.escapePath(plain) + "/@v/dev.info", 1 << 20),
                                    StandardCharsets.UTF_8)
                            .replace(
                                    fixtures.server().repoUrl("plain"),
                                    "ssh://git@127.0.0.1:" + ssh.port() + "/plain"));
            assertThat(h1(overSsh, plain, "v1.1.0")).isEqualTo(h1(overHttp, plain, "v1.1.0"));
        }
    }

    @Test
    void aKeyTheServerDoesNotKnowIsAnAuthenticationFailure() throws IOException {
        Path key = GitSshServer.writePrivateKey(GitSshServer.newKeyPair(), tmp.resolve("other_key"));
        Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), ssh.knownHostsLine() + "\n");
        try (GitUpstream git = upstream(sshRoute(key, knownHosts), "m")) {
            assertThatThrownBy(
                            () -> git.fetch(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/list", 1 << 20))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
                        assertThat(e.getMessage())
                                .contains("authentication failed")
                                .contains("other_key");
                    });
        }
    }

    @Test
    void anUnknownHostKeyIsRefused() throws IOException {
        Path key = GitSshServer.writePrivateKey(clientKey, tmp.resolve("id_ecdsa"));
        String stranger = ssh.knownHostsLine().replaceFirst(" .*", " ")
                + PublicKeyEntry.toString(GitSshServer.newKeyPair().getPublic());
        Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), stranger + "\n");
        try (GitUpstream git = upstream(sshRoute(key, knownHosts), "m")) {
            assertThatThrownBy(
                            () -> git.fetch(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/list", 1 << 20))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        }
        Path empty = Files.writeString(tmp.resolve("empty_known_hosts"), "");
        try (GitUpstream git = upstream(sshRoute(key, empty), "m2")) {
            assertThatThrownBy(
                            () -> git.fetch(ModuleEscaping.escapePath(fixtures.module("plain")) + "/@v/list", 1 << 20))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        }
    }
}
