package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.gocache.GoTool;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.pgp.SigningKey;
import dev.granary.core.snapshot.SnapshotExporter;
import dev.granary.core.snapshot.SnapshotManifest;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.Eventually;
import dev.granary.core.testing.FakeReleaseSite;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.testing.Gpg;
import dev.granary.core.testing.TestUpstream;
import dev.granary.core.toolchain.Toolchains;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Go itself and build caches through the air gap. A connected Granary (modules and toolchains from a
 * loopback GOPROXY, a real checksum database, release archives from a fake release site signed by a
 * key the real gpg made, a pre-warm bundle built by the real go command and published to it) is
 * exported with {@code --gosum --toolchains --dl --platforms --gocache-bundles}; the export fetches the
 * toolchain and the archive itself, through the verifying paths. A second Granary with no upstream, no
 * release site and no database imports it, trusting only the release key's fingerprint it is configured
 * with (the key material itself came in the snapshot), and from storage alone: {@code /dl/} serves the
 * archive byte for byte, {@code GOTOOLCHAIN} switching works with GOSUMDB on for every Go that switches,
 * modules build with every Go, a bundle restores from its URL and leaves no dependency to compile, and
 * the catalog names the snapshot. A second, small snapshot carries a toolchain for another platform
 * (its zip, and the linux-amd64 existence record alone) and is the subject of the tampering tests: a
 * flipped archive byte, a wrong .sha256, a signature by another key, another key offered as the
 * release key, a tampered bundle, a tampered toolchain zip and existence record are each refused,
 * naming the member, with the storage byte for byte as before. An offline export of the same selection
 * carries the same, and one {@code --since} the small snapshot carries none of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AirGapGoDistributionIT {
    private static final String TOKEN = "gct_air-gap-bundles";
    private static final String LINUX_ARCHIVE = "go1.26.3.linux-amd64.tar.gz";
    private static final String DARWIN_ARCHIVE = "go1.26.3.darwin-arm64.tar.gz";

    private Path dir;
    private ToolchainModule toolchain;
    private ModuleVersion darwinToolchain;
    private Gpg gpg;
    private String releaseKey;
    private Path releaseKeyring;
    private Path siteFiles;
    private String vkey;
    private Path project;
    private Path full;
    private Path small;
    private String fullId;
    private Path inside;
    private Path baseline;
    private SigningKey trusted;
    private String bundleId;
    private int test;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void exportFromAConnectedGranaryAndImportInside(@TempDir Path tmp) throws Exception {
        dir = tmp;
        toolchain = ToolchainModule.get();
        GoProxyTree tree = GocacheRig.upstream(dir.resolve("upstream"));
        // A toolchain for another platform: its zip is small, and its existence is checked by the linux-amd64 .info.
        darwinToolchain = Toolchains.moduleVersion(toolchain.version(), new GoPlatform("darwin", "arm64"));
        tree.add(
                darwinToolchain.path().value(),
                darwinToolchain.version(),
                ("{\"Version\":\"" + darwinToolchain.version() + "\",\"Time\":\"2023-04-04T17:30:31Z\"}\n")
                        .getBytes(StandardCharsets.UTF_8),
                "module golang.org/toolchain\n".getBytes(StandardCharsets.UTF_8),
                Map.of(
                        "VERSION",
                        ("go" + toolchain.version() + "\n").getBytes(StandardCharsets.UTF_8),
                        "src/runtime/extern.go",
                        "package runtime\n".getBytes(StandardCharsets.UTF_8)));
        toolchain.copyInto(tree.root());
        Files.writeString(
                tree.versionsDir(Toolchains.MODULE.value()).resolve("list"),
                darwinToolchain.version() + "\n" + toolchain.module().version() + "\n");

        gpg = new Gpg(dir.resolve("gnupg"));
        releaseKey = gpg.generate("Release Signing <release@granary.test>", "ed25519", "sign", "never", null);
        releaseKeyring = Files.write(dir.resolve("release.asc"), gpg.export(true, releaseKey));
        siteFiles = dir.resolve("site");
        trusted = AirGap.keys(dir.resolve("keys"), "Granary Export <export@example.org>");
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        project = GocacheRig.project(dir.resolve("app"));
        Path connected = dir.resolve("connected");
        full = dir.resolve("full.tar.zst");
        small = dir.resolve("small.tar");

        try (TestSumdb db = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root());
                FakeReleaseSite site = FakeReleaseSite.start(siteFiles)) {
            vkey = db.verifierKey();
            FakeReleaseSite.writeRandom(siteFiles, LINUX_ARCHIVE, 300_000, 1);
            FakeReleaseSite.writeRandom(siteFiles, DARWIN_ARCHIVE, 200_000, 2);
            for (String f : List.of(LINUX_ARCHIVE, DARWIN_ARCHIVE)) {
                sign(releaseKey, siteFiles.resolve(f), siteFiles.resolve(f + ".asc"));
            }
            site.release(
                    "go1.26.3",
                    true,
                    new FakeReleaseSite.Entry(LINUX_ARCHIVE, "linux", "amd64", "archive"),
                    new FakeReleaseSite.Entry(DARWIN_ARCHIVE, "darwin", "arm64", "archive"));

            // A bundle built by the real go command (Debian's: its standard library is precompiled, so this is quick).
            GoToolchain debian = GoToolchains.debian();
            try (TestServers.Running g = TestServers.start(
                    connected,
                    upstream.uri().toString(),
                    Map.of(
                            ConfigKey.SUMDB,
                            vkey + " " + db.url(),
                            ConfigKey.AUTH_TOKENS,
                            "bundle-publisher " + Tokens.hash(TOKEN) + " cache-write"))) {
                Map<String, String> builder = GocacheRig.env(debian, dir.resolve("builder"), g.url());
                builder.put("GOSUMDB", vkey);
                new GoTool(debian.go(), builder)
                        .run(project, "list", "-deps", "-test", "./...")
                        .orThrow();
                GocacheRig.CliResult built = GocacheRig.cli(
                                builder,
                                project,
                                "gocache",
                                "build",
                                "--project",
                                project.toString(),
                                "--output",
                                dir.resolve("deps.tar.zst").toString(),
                                "--go",
                                debian.go().toString(),
                                "--trimpath",
                                "--sign-key",
                                dir.resolve("keys/secret.asc").toString(),
                                "--publish",
                                g.url(),
                                "--token-file",
                                tokenFile.toString())
                        .assertOk();
                Matcher m = Pattern.compile("published bundle ([0-9a-f]{32})").matcher(built.out() + built.err());
                assertThat(m.find()).as(built.out()).isTrue();
                bundleId = m.group(1);
            }
            assertThat(upstream.hits(StorageLayout.path(toolchain.module(), ".zip")))
                    .as("not fetched before the export")
                    .isZero();

            String[] connectedFlags = {
                "--storage",
                connected.toString(),
                "--upstream",
                upstream.uri().toString(),
                "--sumdb",
                vkey + " " + db.url(),
                "--dl-upstream",
                site.baseUrl().toString(),
                "--dl-keyring",
                releaseKeyring.toString(),
                "--dl-key-fingerprint",
                releaseKey,
                "--sign-key",
                dir.resolve("keys/secret.asc").toString(),
                "-q"
            };
            AirGap.Run exported = AirGap.granary(join(
                            new String[] {
                                "export",
                                "-o",
                                full.toString(),
                                "--gosum",
                                project.resolve("go.sum").toString(),
                                "--toolchains",
                                toolchain
                                                .version()
                                                .substring(
                                                        0, toolchain.version().lastIndexOf('.')) + ".x",
                                "--dl",
                                "1.26.3",
                                "--platforms",
                                "linux/amd64",
                                "--gocache-bundles"
                            },
                            connectedFlags))
                    .assertOk();
            System.out.println(exported.out());
            assertThat(exported.out())
                    .contains("toolchains: 1 module version(s), 0 existence record(s)")
                    .contains("release archives: 1")
                    .contains("signing key " + releaseKey)
                    .contains("pre-warm bundles: 1");
            // The export fetched what was missing through the verifying paths.
            assertThat(upstream.hits(StorageLayout.path(toolchain.module(), ".zip")))
                    .isEqualTo(1);
            assertThat(site.hits(LINUX_ARCHIVE)).isEqualTo(1);
            assertThat(site.hits(DARWIN_ARCHIVE))
                    .as("another platform's archive")
                    .isZero();
            assertThat(connected.resolve(StorageLayout.dlSha256(LINUX_ARCHIVE).value()))
                    .exists();

            AirGap.granary(join(
                            new String[] {
                                "export",
                                "-o",
                                small.toString(),
                                "--toolchains",
                                toolchain.version(),
                                "--dl",
                                "1.26.3",
                                "--platforms",
                                "darwin/arm64",
                                "--gocache-bundle",
                                bundleId
                            },
                            connectedFlags))
                    .assertOk();
            assertThat(upstream.hits(StorageLayout.path(toolchain.module(), ".zip")))
                    .as("the existence record needs no zip")
                    .isEqualTo(1);
            AirGap.granary(join(
                            new String[] {
                                "export",
                                "-o",
                                dir.resolve("earlier.tar").toString(),
                                "--module",
                                "rsc.io/sampler@v1.3.0",
                                "--offline"
                            },
                            connectedFlags))
                    .assertOk();
        }

        // Offline, from what the connected side stored, with its upstreams gone: the same selection again;
        // and with --since the snapshot that carried it, nothing of it.
        String[] offline = {
            "--storage",
            connected.toString(),
            "--upstream",
            "off",
            "--sumdb",
            vkey,
            "--dl-upstream",
            "off",
            "--dl-keyring",
            releaseKeyring.toString(),
            "--dl-key-fingerprint",
            releaseKey,
            "--offline",
            "-q"
        };
        String[] smallSelection = {
            "--toolchains",
            toolchain.version(),
            "--dl",
            "1.26.3",
            "--platforms",
            "darwin/arm64",
            "--gocache-bundle",
            bundleId
        };
        Path again = dir.resolve("small-offline.tar");
        AirGap.granary(join(join(new String[] {"export", "-o", again.toString()}, smallSelection), offline))
                .assertOk();
        SnapshotManifest first = SnapshotExporter.Previous.read(small).manifest();
        SnapshotManifest second = SnapshotExporter.Previous.read(again).manifest();
        assertThat(second.versions())
                .isEqualTo(first.versions())
                .extracting(SnapshotManifest.Entry::version)
                .containsExactly(darwinToolchain.version());
        assertThat(second.toolchainInfos())
                .isEqualTo(first.toolchainInfos())
                .containsExactly(toolchain.module().version());
        assertThat(second.releases())
                .isEqualTo(first.releases())
                .extracting(SnapshotManifest.Release::filename)
                .containsExactly(DARWIN_ARCHIVE);
        assertThat(second.bundles())
                .isEqualTo(first.bundles())
                .extracting(SnapshotManifest.Bundle::id)
                .containsExactly(bundleId);
        Path since = dir.resolve("since.tar");
        AirGap.granary(join(
                        join(
                                new String[] {"export", "-o", since.toString(), "--since", small.toString()},
                                smallSelection),
                        offline))
                .assertOk();
        SnapshotManifest nothingNew = SnapshotExporter.Previous.read(since).manifest();
        assertThat(nothingNew.versions()).isEmpty();
        assertThat(nothingNew.toolchainInfos()).isEmpty();
        assertThat(nothingNew.releases()).isEmpty();
        assertThat(nothingNew.bundles()).isEmpty();

        // From here on, only snapshots cross.
        inside = dir.resolve("inside");
        AirGap.Run imported = importInto(inside, full).assertOk();
        System.out.println(imported.out());
        assertThat(imported.out())
                .contains("Imported snapshot")
                .contains("release archives: 1, SHA-256 as listed, signed by")
                .contains("pre-warm bundles: 1")
                .contains("1 release archive(s)")
                .contains("1 pre-warm bundle(s)");
        Matcher id = Pattern.compile("Imported snapshot ([0-9a-f]{64})").matcher(imported.out());
        assertThat(id.find()).isTrue();
        fullId = id.group(1);
        // The inside trusted the carried key because it is the pinned one, and keeps it for later imports.
        assertThat(inside.resolve(StorageLayout.dlSigningKey().value())).hasSameBinaryContentAs(releaseKeyring);
        baseline = dir.resolve("baseline");
        importInto(baseline, dir.resolve("earlier.tar")).assertOk();
    }

    @AfterAll
    void stopGpg() throws IOException {
        gpg.close();
    }

    // ---- inside, from storage alone -------------------------------------------------------------------

    @EachGoToolchain
    void modulesBuildAndGoToolchainSwitchesInsideWithChecksumVerificationOn(GoToolchain go) throws Exception {
        try (TestServers.Running g = startInside(inside)) {
            GoCommand client = new GoCommand(go, dir.resolve("client-" + test++))
                    .env("GOPROXY", g.url())
                    .env("GOSUMDB", vkey);
            Path work = Files.createDirectories(dir.resolve("work-" + test++));
            copyProject(work);
            client.run(work, "build", "-o", "app.bin", ".").assertSuccess();
            assertThat(TestModules.runBinary(work.resolve("app.bin"))).contains("Hello, world.");
            if (!go.atLeast(21)) {
                // Go before 1.21 does not switch toolchains: the modules above are what it can show.
                System.out.println(go + " has no toolchain switching: the GOTOOLCHAIN part is skipped for it");
                return;
            }
            String v = toolchain.version();
            client.env("GOTOOLCHAIN", "local");
            assertThat(client.run(work, "list", "-m", "-json", "toolchain@go" + v)
                            .assertSuccess()
                            .output())
                    .contains("\"Version\": \"go" + v + "\"");
            GoCommand.Result switched =
                    client.env("GOTOOLCHAIN", "go" + v).run(work, "version").assertSuccess();
            assertThat(switched.output()).contains("go version go" + v + " linux/amd64");
            assertThat(Files.exists(client.home()
                            .resolve("gopath/pkg/sumdb")
                            .resolve(vkey.substring(0, vkey.indexOf('+')))
                            .resolve("latest")))
                    .as("the go command verified the toolchain against the checksum database")
                    .isTrue();
            client.cleanModCache();
        }
    }

    @Test
    void releaseArchivesAreListedAndServedByteForByte() throws Exception {
        try (TestServers.Running g = startInside(inside)) {
            String listing = get(g.url() + "/dl/?mode=json").body();
            assertThat(listing).contains("\"go1.26.3\"").contains(LINUX_ARCHIVE).doesNotContain(DARWIN_ARCHIVE);
            assertThat(get(g.url() + "/dl/?mode=json&include=all").body()).contains(LINUX_ARCHIVE);
            HttpResponse<byte[]> archive = getBytes(g.url() + "/dl/" + LINUX_ARCHIVE);
            assertThat(archive.statusCode()).isEqualTo(200);
            assertThat(archive.body()).isEqualTo(Files.readAllBytes(siteFiles.resolve(LINUX_ARCHIVE)));
            assertThat(getBytes(g.url() + "/dl/" + LINUX_ARCHIVE + ".asc").body())
                    .isEqualTo(Files.readAllBytes(siteFiles.resolve(LINUX_ARCHIVE + ".asc")));
            assertThat(get(g.url() + "/dl/" + LINUX_ARCHIVE + ".sha256").body().strip())
                    .isEqualTo(FakeReleaseSite.sha256(siteFiles.resolve(LINUX_ARCHIVE)));
            assertThat(getBytes(g.url() + "/dl/" + DARWIN_ARCHIVE).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void aBundleRestoresFromTheInsideGranaryAndLeavesNoDependencyToCompile() throws Exception {
        GoToolchain debian = GoToolchains.debian();
        try (TestServers.Running g = startInside(inside)) {
            assertThat(get(g.url() + "/gocache/bundles/index.json").body())
                    .contains(bundleId)
                    .contains("\"signed\" : true");
            Map<String, String> runner = GocacheRig.env(debian, dir.resolve("runner"), g.url());
            runner.put("GOFLAGS", "-mod=mod -trimpath");
            runner.put("GOSUMDB", vkey);
            GocacheRig.CliResult restored = GocacheRig.cli(
                            runner,
                            project,
                            "gocache",
                            "restore",
                            g.url(),
                            "--go",
                            debian.go().toString(),
                            "--keyring",
                            dir.resolve("keys/public.asc").toString())
                    .assertOk();
            assertThat(restored.out()).contains("restored bundle");
            assertThat(restored.err()).contains("good signature from " + trusted.keyFingerprint());
            GoTool.Result build = new GoTool(debian.go(), runner)
                    .run(
                            project,
                            "build",
                            "-x",
                            "-o",
                            dir.resolve("restored.bin").toString(),
                            ".")
                    .orThrow();
            assertThat(GocacheRig.worked(build.stderr())).contains("main");
            assertThat(GocacheRig.dependenciesWorked(build.stderr()))
                    .as("dependencies compiled after the restore")
                    .isEmpty();
        }
    }

    @Test
    void theCatalogNamesTheSnapshotAVersionCameInWith() throws Exception {
        try (TestServers.Running g = startInside(inside)) {
            Eventually.eventually(() -> assertThat(
                            get(g.url() + "/-/api/modules/rsc.io/quote").body())
                    .contains("\"snapshot\"")
                    .contains(fullId));
            assertThat(get(g.url() + "/-/api/modules/golang.org/toolchain").body())
                    .contains(toolchain.module().version())
                    .contains(fullId);
        }
    }

    @Test
    void aToolchainForAnotherPlatformComesWithTheExistenceRecordTheGoCommandChecks() throws Exception {
        Path storage = copyOf(baseline);
        AirGap.Run r = importInto(storage, small).assertOk();
        assertThat(r.out())
                .contains("toolchains: 1 module version(s), 1 existence record(s), proven")
                .contains("1 toolchain record(s)");
        assertThat(storage.resolve(
                        StorageLayout.toolchainInfo(toolchain.module()).value()))
                .exists();
        assertThat(storage.resolve(StorageLayout.zip(toolchain.module()).value()))
                .doesNotExist();
        try (TestServers.Running g = startInside(storage)) {
            String base = g.url() + "/golang.org/toolchain/@v/";
            assertThat(get(base + toolchain.module().version() + ".info").body())
                    .contains(toolchain.module().version());
            assertThat(getBytes(base + toolchain.module().version() + ".zip").statusCode())
                    .isEqualTo(404);
            assertThat(getBytes(base + darwinToolchain.version() + ".zip").statusCode())
                    .isEqualTo(200);
            GoToolchain newest = GoToolchains.all().get(0);
            if (newest.atLeast(21)) {
                GoCommand client = new GoCommand(newest, dir.resolve("client-" + test++))
                        .env("GOPROXY", g.url())
                        .env("GOSUMDB", vkey);
                Path work = Files.createDirectories(dir.resolve("work-" + test++));
                assertThat(client.run(work, "list", "-m", "-json", "toolchain@go" + toolchain.version())
                                .assertSuccess()
                                .output())
                        .contains("\"Version\": \"go" + toolchain.version() + "\"");
            }
        }
    }

    @Test
    void importingTheSameSnapshotAgainChangesNothing() throws Exception {
        Path storage = copyOf(inside);
        Map<String, String> before = AirGap.fingerprint(storage);
        assertThat(importInto(storage, full).assertOk().out()).contains("Already imported");
        assertThat(AirGap.fingerprint(storage)).isEqualTo(before);
    }

    // ---- tampering: every kind is checked before anything is published -------------------------------

    @Test
    void aFlippedArchiveByteIsRefused() throws Exception {
        String name = "dl/" + DARWIN_ARCHIVE;
        assertRefusedAndUnchanged(
                resigned(change(SnapshotFiles.read(small), name, SnapshotFiles::flipByte)), name, "differs from");
    }

    @Test
    void aWrongSha256IsRefused() throws Exception {
        String name = "dl/" + DARWIN_ARCHIVE + ".sha256";
        assertRefusedAndUnchanged(
                resigned(change(
                        SnapshotFiles.read(small),
                        name,
                        d -> ("0".repeat(64) + "\n").getBytes(StandardCharsets.US_ASCII))),
                name,
                "the release listing");
    }

    @Test
    void anArchiveSignedByAnotherKeyIsRefused() throws Exception {
        String other = gpg.generate("Someone Else <other@granary.test>", "ed25519", "sign", "never", null);
        Path asc = dir.resolve("other-" + test++ + ".asc");
        sign(other, siteFiles.resolve(DARWIN_ARCHIVE), asc);
        String name = "dl/" + DARWIN_ARCHIVE + ".asc";
        assertRefusedAndUnchanged(
                resigned(change(SnapshotFiles.read(small), name, d -> read(asc))), name, "signature refused");

        // The other key offered as the release key too: not the fingerprint this Granary pins.
        List<SnapshotFiles.Member> m = change(SnapshotFiles.read(small), name, d -> read(asc));
        byte[] otherKey = gpg.export(true, other);
        m = change(m, StorageLayout.dlSigningKey().value(), d -> otherKey);
        assertRefusedAndUnchanged(
                resigned(m), StorageLayout.dlSigningKey().value(), "none of which is the pinned key " + releaseKey);
    }

    @Test
    void aTamperedBundleIsRefused() throws Exception {
        String name = StorageLayout.gocacheBundle(bundleId).value();
        assertRefusedAndUnchanged(
                resigned(change(SnapshotFiles.read(small), name, SnapshotFiles::flipByte)), name, "bundle refused");
    }

    @Test
    void aTamperedToolchainIsRefusedLikeAnyModule() throws Exception {
        String zip = StorageLayout.zip(darwinToolchain).value();
        assertRefusedAndUnchanged(
                resigned(change(SnapshotFiles.read(small), zip, d -> {
                    try {
                        return TestModules.tamper(d);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })),
                zip,
                "checksum mismatch");
        String info = StorageLayout.toolchainInfo(toolchain.module()).value();
        assertRefusedAndUnchanged(
                resigned(change(
                        SnapshotFiles.read(small),
                        info,
                        d -> new String(d, StandardCharsets.UTF_8)
                                .replace("linux-amd64", "linux-386")
                                .getBytes(StandardCharsets.UTF_8))),
                info,
                "names version");
    }

    @Test
    void anUnsignedSnapshotMayNotCarryBundles() throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(small));
        m.removeIf(x -> x.name().equals("SHA256SUMS.asc"));
        Path bad = write(m);
        Path storage = copyOf(baseline);
        Map<String, String> before = AirGap.fingerprint(storage);
        AirGap.Run r =
                AirGap.granary(join(new String[] {"import", bad.toString(), "--allow-unsigned"}, insideFlags(storage)));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("MANIFEST.json").contains("pre-warm bundles");
        assertThat(AirGap.fingerprint(storage)).isEqualTo(before);
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private void assertRefusedAndUnchanged(Path snapshot, String member, String reason) throws Exception {
        Path storage = copyOf(baseline);
        Map<String, String> before = AirGap.fingerprint(storage);
        for (String command : new String[] {"verify", "import"}) {
            AirGap.Run r = command.equals("import")
                    ? importInto(storage, snapshot)
                    : AirGap.granary(join(
                            new String[] {
                                "verify",
                                snapshot.toString(),
                                "--keyring",
                                dir.resolve("keys/public.asc").toString()
                            },
                            insideFlags(storage)));
            System.out.println(command + ": " + r.err().strip());
            assertThat(r.exit()).as(command + " exit code; stderr: " + r.err()).isEqualTo(1);
            assertThat(r.err()).as(command).contains(member).contains(reason);
            assertThat(r.err().lines().count()).as("one line says why").isEqualTo(1);
            assertThat(AirGap.fingerprint(storage))
                    .as("storage after a refused " + command)
                    .isEqualTo(before);
        }
    }

    private AirGap.Run importInto(Path storage, Path snapshot) {
        return AirGap.granary(join(
                new String[] {
                    "import",
                    snapshot.toString(),
                    "--keyring",
                    dir.resolve("keys/public.asc").toString()
                },
                insideFlags(storage)));
    }

    /** The inside: no upstream, no release site, the checksum database's key, and the release key's fingerprint alone. */
    private String[] insideFlags(Path storage) {
        return new String[] {
            "--storage",
            storage.toString(),
            "--upstream",
            "off",
            "--sumdb",
            vkey,
            "--dl-upstream",
            "off",
            "--dl-key-fingerprint",
            releaseKey,
            "-q"
        };
    }

    private TestServers.Running startInside(Path storage) throws Exception {
        return TestServers.start(
                storage, "off", Map.of(ConfigKey.SUMDB, vkey, ConfigKey.DL_KEY_FINGERPRINT, releaseKey));
    }

    private Path resigned(List<SnapshotFiles.Member> members) throws Exception {
        return write(SnapshotFiles.resign(members, trusted));
    }

    private static List<SnapshotFiles.Member> change(
            List<SnapshotFiles.Member> members, String name, UnaryOperator<byte[]> change) {
        return SnapshotFiles.change(members, name, change);
    }

    private Path write(List<SnapshotFiles.Member> members) throws Exception {
        Path p = dir.resolve("bad-" + test++ + ".tar");
        SnapshotFiles.write(p, members);
        return p;
    }

    private Path copyOf(Path storage) throws Exception {
        Path copy = dir.resolve("storage-" + test++);
        AirGap.exec(dir, "cp", "-a", storage.toString(), copy.toString()).assertOk();
        return copy;
    }

    private void copyProject(Path work) throws IOException {
        for (String f : List.of("go.mod", "go.sum", "main.go", "main_test.go")) {
            Files.copy(project.resolve(f), work.resolve(f));
        }
    }

    private void sign(String key, Path file, Path asc) throws Exception {
        Files.deleteIfExists(asc);
        gpg.run("--local-user", key, "--armor", "--detach-sign", "--output", asc.toString(), file.toString())
                .assertSuccess();
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getBytes(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String[] join(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
