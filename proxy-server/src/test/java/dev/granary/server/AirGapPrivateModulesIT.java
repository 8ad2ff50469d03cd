package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.snapshot.SnapshotExporter;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.server.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Private modules (no-sumdb patterns) travel without checksum-database records: only the snapshot's
 * signature vouches for them, so the inside accepts them only for paths in its own no-sumdb patterns,
 * pins them there, and refuses them in a snapshot whose signature is not checked.
 */
class AirGapPrivateModulesIT {
    @TempDir
    Path tmp;

    @Test
    void privateModulesNeedTheInsidesNoSumdbPatternsAndASignature() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        tree.addSimple("git.corp.example/team/lib", "v1.0.0");
        AirGap.keys(tmp.resolve("keys"), "Granary Export <export@example.org>");
        Path snap = tmp.resolve("snap.tar");
        String vkey;
        try (TestSumdb db = TestSumdb.start(tree.root())) {
            vkey = db.verifierKey();
            AirGap.granary(
                            "export",
                            "-o",
                            snap.toString(),
                            "--module",
                            "git.corp.example/team/lib@v1.0.0",
                            "--module",
                            "rsc.io/quote@v1.5.2",
                            "--sign-key",
                            tmp.resolve("keys/secret.asc").toString(),
                            "--storage",
                            tmp.resolve("connected").toString(),
                            "--upstream",
                            tree.root().toUri().toString(),
                            "--sumdb",
                            vkey + " " + db.url(),
                            "--nosumdb",
                            "git.corp.example",
                            "-q")
                    .assertOk();
        }
        assertThat(SnapshotExporter.Previous.read(snap).manifest().versions())
                .extracting(e -> e.path() + " proof=" + e.proof())
                .containsExactlyInAnyOrder("git.corp.example/team/lib proof=false", "rsc.io/quote proof=true");

        String keyring = tmp.resolve("keys/public.asc").toString();
        Path refusedHere = tmp.resolve("inside-without-patterns");
        AirGap.Run refused = AirGap.granary(
                "import",
                snap.toString(),
                "--keyring",
                keyring,
                "--storage",
                refusedHere.toString(),
                "--upstream",
                "off",
                "--sumdb",
                vkey,
                "-q");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err())
                .contains("git.corp.example/team/lib/@v/v1.0.0.sum")
                .contains("--nosumdb");
        assertThat(AirGap.fingerprint(refusedHere)).isEmpty();

        Path unsignedHere = tmp.resolve("inside-unsigned");
        AirGap.Run unsigned = AirGap.granary(
                "import",
                snap.toString(),
                "--allow-unsigned",
                "--storage",
                unsignedHere.toString(),
                "--upstream",
                "off",
                "--sumdb",
                vkey,
                "--nosumdb",
                "git.corp.example",
                "-q");
        assertThat(unsigned.exit()).isEqualTo(1);
        assertThat(unsigned.err()).contains("private module").contains("signature");

        Path inside = tmp.resolve("inside");
        AirGap.granary(
                        "import",
                        snap.toString(),
                        "--keyring",
                        keyring,
                        "--storage",
                        inside.toString(),
                        "--upstream",
                        "off",
                        "--sumdb",
                        vkey,
                        "--nosumdb",
                        "git.corp.example",
                        "-q")
                .assertOk();
        assertThat(inside.resolve("pins/git.corp.example/team/lib/@v/v1.0.0.sum"))
                .exists();
        assertThat(Files.readString(inside.resolve("git.corp.example/team/lib/@v/v1.0.0.sum")))
                .isEqualTo(Files.readString(inside.resolve("pins/git.corp.example/team/lib/@v/v1.0.0.sum")));
        try (TestServers.Running g = TestServers.start(
                inside, "off", Map.of(ConfigKey.SUMDB, vkey, ConfigKey.NOSUMDB, "git.corp.example"))) {
            assertThat(TestServers.rawStatus(g.address(), "GET", "/git.corp.example/team/lib/@v/v1.0.0.zip"))
                    .isEqualTo(200);
            assertThat(TestServers.rawStatus(g.address(), "GET", "/rsc.io/quote/@v/v1.5.2.zip"))
                    .isEqualTo(200);
        }
    }
}
