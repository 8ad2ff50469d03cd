package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import dev.granary.core.gocache.GoTool;
import dev.granary.core.pgp.KeyAlgorithm;
import dev.granary.core.pgp.SigningKey;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-warm bundles end to end, with every Go on the machine: a bundle built (by the real go command,
 * modules through Granary) and published, then restored into an empty build cache on another
 * "runner", after which {@code go build}, {@code go vet} and {@code go test} of the project compile
 * and vet none of its dependencies; bundles for other inputs are skipped, damaged or tampered ones
 * refused, and neither leaves a single entry behind.
 */
class GocacheBundleIT {
    private static final String TOKEN = Tokens.generate();

    @TempDir
    Path tmp;

    @EachGoToolchain
    void aRestoredBundleLeavesNoDependencyToCompileAndWrongOnesAreNeverUsed(GoToolchain go) throws Exception {
        Path tokenFile = Files.writeString(tmp.resolve("token"), TOKEN + "\n");
        SigningKey key = SigningKey.generate("Granary CI <ci@example.org>", KeyAlgorithm.ED25519, null);
        Path secret = tmp.resolve("ci.key.asc");
        Path pub = tmp.resolve("ci.pub.asc");
        key.writeSecretKey(secret);
        key.writePublicKey(pub);
        Path project = GocacheRig.project(tmp.resolve("app"));
        // Without -trimpath, keys hold the module cache's absolute path: every runner of this CI has it at one place.
        Path modcache = tmp.resolve("ci-modcache");

        try (TestUpstream upstream = TestUpstream.serve(
                        GocacheRig.upstream(tmp.resolve("upstream")).root());
                TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"),
                        upstream.uri().toString(),
                        Map.of(
                                ConfigKey.AUTH_TOKENS,
                                "bundle-publisher " + Tokens.hash(TOKEN) + " cache-write",
                                ConfigKey.GOCACHE_CLIENT_MODULE,
                                "false"))) {
            Map<String, String> builder = GocacheRig.env(go, tmp.resolve("builder"), granary.url());
            builder.put("GOMODCACHE", modcache.toString());
            // The project's go.sum, as a project has it committed.
            new GoTool(go.go(), builder)
                    .run(project, "list", "-deps", "-test", "./...")
                    .orThrow();
            Path bundle = tmp.resolve("deps.tar.zst");
            GocacheRig.CliResult built = GocacheRig.cli(
                            builder,
                            project,
                            "gocache",
                            "build",
                            "--project",
                            project.toString(),
                            "--output",
                            bundle.toString(),
                            "--go",
                            go.go().toString(),
                            "--sign-key",
                            secret.toString(),
                            "--publish",
                            granary.url(),
                            "--token-file",
                            tokenFile.toString())
                    .assertOk();
            assertThat(built.out())
                    .contains("bundle ")
                    .contains("signed by " + key.keyFingerprint())
                    .contains("published bundle");
            assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.zip"))
                    .as("modules came through Granary")
                    .isEqualTo(1);

            // A fresh runner: empty build cache, the bundle looked up by its identity, signature checked.
            Map<String, String> runner = GocacheRig.env(go, tmp.resolve("runner"), granary.url());
            runner.put("GOMODCACHE", modcache.toString());
            GocacheRig.CliResult restored = GocacheRig.cli(
                            runner,
                            project,
                            "gocache",
                            "restore",
                            granary.url(),
                            "--go",
                            go.go().toString(),
                            "--keyring",
                            pub.toString())
                    .assertOk();
            assertThat(restored.out()).contains("restored bundle");
            assertThat(restored.err()).contains("good signature from " + key.keyFingerprint());

            GoTool g = new GoTool(go.go(), runner);
            GoTool.Result build = g.run(
                            project, "build", "-x", "-o", tmp.resolve("app.bin").toString(), ".")
                    .orThrow();
            GoTool.Result vet = g.run(project, "vet", "-x", ".").orThrow();
            GoTool.Result test = g.run(project, "test", "-x", "-count=1", ".").orThrow();
            assertThat(GocacheRig.worked(build.stderr()))
                    .as("the project itself is compiled")
                    .contains("main");
            assertThat(GocacheRig.dependenciesWorked(build.stderr()))
                    .as("dependencies compiled by go build")
                    .isEmpty();
            assertThat(GocacheRig.worked(vet.stderr()))
                    .as("the project itself is vetted")
                    .contains(GocacheRig.MODULE);
            assertThat(GocacheRig.dependenciesWorked(vet.stderr()))
                    .as("dependencies vetted by go vet")
                    .isEmpty();
            assertThat(GocacheRig.dependenciesWorked(test.stderr()))
                    .as("dependencies compiled or vetted by go test")
                    .isEmpty();
            assertThat(test.stdout()).contains("ok").contains(GocacheRig.MODULE);

            // Other GOFLAGS: every key differs, the bundle would be dead weight.
            Map<String, String> otherFlags = GocacheRig.env(go, tmp.resolve("other-flags"), granary.url());
            otherFlags.put("GOMODCACHE", modcache.toString());
            otherFlags.put("GOFLAGS", "-mod=mod -gcflags=all=-N");
            GocacheRig.CliResult skipped = GocacheRig.cli(
                            otherFlags,
                            project,
                            "gocache",
                            "restore",
                            bundle.toString(),
                            "--go",
                            go.go().toString())
                    .assertOk();
            assertThat(skipped.out()).contains("skipped").contains("GOFLAGS").contains("-gcflags=all=-N");
            assertThat(GocacheRig.entries(tmp.resolve("other-flags/gocache"))).isZero();

            // Another module cache path without -trimpath: the keys hold the path.
            Map<String, String> otherCache = GocacheRig.env(go, tmp.resolve("other-modcache"), granary.url());
            GocacheRig.CliResult skipped2 = GocacheRig.cli(
                            otherCache,
                            project,
                            "gocache",
                            "restore",
                            bundle.toString(),
                            "--go",
                            go.go().toString())
                    .assertOk();
            assertThat(skipped2.out())
                    .contains("skipped")
                    .contains("GOMODCACHE")
                    .contains(tmp.resolve("other-modcache/modcache").toString());
            assertThat(GocacheRig.entries(tmp.resolve("other-modcache/gocache")))
                    .isZero();

            // One output's bytes changed, the manifest left as it was: refused, nothing placed.
            Map<String, String> victim = GocacheRig.env(go, tmp.resolve("victim"), granary.url());
            victim.put("GOMODCACHE", modcache.toString());
            Path corrupt = corruptOneOutput(bundle, tmp.resolve("corrupt.tar.zst"));
            GocacheRig.CliResult refused = GocacheRig.cli(
                    victim,
                    project,
                    "gocache",
                    "restore",
                    corrupt.toString(),
                    "--go",
                    go.go().toString());
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("refused").contains("SHA-256").contains("nothing was restored");
            assertThat(GocacheRig.entries(tmp.resolve("victim/gocache"))).isZero();

            // A signed bundle changed after signing: refused before it is even opened.
            Path tampered = tmp.resolve("tampered.tar.zst");
            byte[] b = Files.readAllBytes(bundle);
            b[b.length / 2] ^= 0x01;
            Files.write(tampered, b);
            Files.copy(bundle.resolveSibling(bundle.getFileName() + ".asc"), tmp.resolve("tampered.tar.zst.asc"));
            GocacheRig.CliResult badSig = GocacheRig.cli(
                    victim,
                    project,
                    "gocache",
                    "restore",
                    tampered.toString(),
                    "--go",
                    go.go().toString(),
                    "--keyring",
                    pub.toString());
            assertThat(badSig.exit()).isEqualTo(1);
            assertThat(badSig.err()).contains("refused").contains("signature");
            assertThat(GocacheRig.entries(tmp.resolve("victim/gocache"))).isZero();
        }
    }

    /** Debian's Go only (its standard library comes precompiled, so this is quick): -trimpath bundles do not depend on any path. */
    @Test
    void aTrimpathBundleServesAnotherCheckoutAndModuleCachePath() throws Exception {
        GoToolchain go = GoToolchains.debian();
        Path project = GocacheRig.project(tmp.resolve("checkout-a/app"));
        try (TestUpstream upstream = TestUpstream.serve(
                        GocacheRig.upstream(tmp.resolve("upstream")).root());
                TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"),
                        upstream.uri().toString(),
                        Map.of(ConfigKey.GOCACHE_CLIENT_MODULE, "false"))) {
            Map<String, String> builder = GocacheRig.env(go, tmp.resolve("builder"), granary.url());
            Path bundle = tmp.resolve("deps.tar.zst");
            GocacheRig.cli(
                            builder,
                            project,
                            "gocache",
                            "build",
                            "--project",
                            project.toString(),
                            "--output",
                            bundle.toString(),
                            "--go",
                            go.go().toString(),
                            "--trimpath")
                    .assertOk();

            Path elsewhere = GocacheRig.project(tmp.resolve("checkout-b/src/app"));
            Map<String, String> runner = GocacheRig.env(go, tmp.resolve("runner"), granary.url());
            runner.put("GOFLAGS", "-mod=mod -trimpath");
            assertThat(runner.get("GOMODCACHE")).isNotEqualTo(builder.get("GOMODCACHE"));
            assertThat(GocacheRig.cli(
                                    runner,
                                    elsewhere,
                                    "gocache",
                                    "restore",
                                    bundle.toString(),
                                    "--go",
                                    go.go().toString())
                            .assertOk()
                            .out())
                    .contains("restored bundle");
            GoTool.Result build = new GoTool(go.go(), runner)
                    .run(elsewhere, "build", "-x", "-o", tmp.resolve("app.bin").toString(), ".")
                    .orThrow();
            assertThat(GocacheRig.worked(build.stderr())).contains("main");
            assertThat(GocacheRig.dependenciesWorked(build.stderr())).isEmpty();
        }
    }

    /** A copy of {@code bundle} with the largest output's bytes changed and its manifest untouched. */
    private static Path corruptOneOutput(Path bundle, Path target) throws IOException {
        String victim = null;
        long size = -1;
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ZstdInputStream(Files.newInputStream(bundle)))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().endsWith("-d") && e.getSize() > size) {
                    victim = e.getName();
                    size = e.getSize();
                }
            }
        }
        try (InputStream raw = Files.newInputStream(bundle);
                TarArchiveInputStream in = new TarArchiveInputStream(new ZstdInputStream(raw));
                OutputStream o = Files.newOutputStream(target);
                TarArchiveOutputStream out = new TarArchiveOutputStream(new ZstdOutputStream(o))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] content = in.readAllBytes();
                if (e.getName().equals(victim)) {
                    content[content.length / 2] ^= 0x01;
                }
                TarArchiveEntry copy = new TarArchiveEntry(e.getName(), true);
                copy.setSize(content.length);
                out.putArchiveEntry(copy);
                out.write(content);
                out.closeArchiveEntry();
            }
        }
        return target;
    }
}
