package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.pgp.SigningKey;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A bad snapshot changes nothing: every kind of damage or tampering is refused with a message naming
 * the member and the reason, a non-zero exit, and the inside storage byte-for-byte as before (it holds
 * an earlier import, so there is something to disturb). Tampering that also rewrites SHA256SUMS and
 * signs it again with the trusted key must be caught by the deeper checks (proofs, hashes, zip rules).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AirGapTamperingIT {
    private Path dir;

    private Path good;
    private Path baseline;
    private String vkey;
    private SigningKey trusted;
    private Path keyring;
    private String db;
    private int test;

    @BeforeAll
    void exportAGoodSnapshotAndImportAnEarlierOne(@TempDir Path tmp) throws Exception {
        dir = tmp;
        GoProxyTree tree = TestModules.upstreamTree(dir.resolve("upstream"));
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("main.go"), AirGapEndToEndIT.MAIN);
        Files.writeString(app.resolve("go.mod"), AirGapEndToEndIT.GO_MOD);
        trusted = AirGap.keys(dir.resolve("keys"), "Granary Export <export@example.org>");
        keyring = dir.resolve("keys/public.asc");
        good = dir.resolve("good.tar");
        baseline = dir.resolve("baseline");
        try (TestSumdb sumdb = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root())) {
            vkey = sumdb.verifierKey();
            db = sumdb.name();
            Path connected = dir.resolve("connected");
            GoCommand go = new GoCommand(GoToolchains.debian(), dir.resolve("go"));
            try (TestServers.Running g = TestServers.start(
                    connected, upstream.uri().toString(), Map.of(ConfigKey.SUMDB, vkey + " " + sumdb.url()))) {
                go.env("GOPROXY", g.url())
                        .env("GOSUMDB", vkey)
                        .run(app, "mod", "download", "all")
                        .assertSuccess();
            }
            String[] flags = {
                "--storage",
                connected.toString(),
                "--upstream",
                upstream.uri().toString(),
                "--sumdb",
                vkey + " " + sumdb.url()
            };
            Path earlier = dir.resolve("earlier.tar");
            AirGap.granary(join(
                            new String[] {
                                "export",
                                "-o",
                                earlier.toString(),
                                "--module",
                                "rsc.io/sampler@v1.3.0",
                                "--sign-key",
                                dir.resolve("keys/secret.asc").toString()
                            },
                            flags))
                    .assertOk();
            AirGap.granary(join(
                            new String[] {
                                "export",
                                "-o",
                                good.toString(),
                                "--gosum",
                                app.resolve("go.sum").toString(),
                                "--sign-key",
                                dir.resolve("keys/secret.asc").toString()
                            },
                            flags))
                    .assertOk();
            importInto(baseline, earlier).assertOk();
        }
    }

    // ---- damage that SHA256SUMS or the archive itself reveals --------------------------------------

    @ParameterizedTest
    @ValueSource(
            strings = {
                "rsc.io/quote/@v/v1.5.2.zip",
                "rsc.io/quote/@v/v1.5.2.mod",
                "rsc.io/quote/@v/v1.5.2.info",
                "rsc.io/quote/@v/v1.5.2.sum",
                "rsc.io/quote/@v/list",
                "lookup",
                "tile",
                "latest",
                "MANIFEST.json"
            })
    void aFlippedByteInAnyMemberIsRefused(String which) throws Exception {
        List<SnapshotFiles.Member> m = SnapshotFiles.read(good);
        String name = memberName(m, which);
        Path bad = write(SnapshotFiles.change(m, name, SnapshotFiles::flipByte));
        assertRefusedAndUnchanged(bad, name, "differs from");
    }

    @Test
    void aFlippedByteInSha256SumsBreaksTheSignature() throws Exception {
        Path bad = write(SnapshotFiles.change(SnapshotFiles.read(good), "SHA256SUMS", SnapshotFiles::flipByte));
        assertRefusedAndUnchanged(bad, "SHA256SUMS.asc", "signature refused");
    }

    @Test
    void aFlippedByteInTheSignatureIsRefused() throws Exception {
        Path bad = write(SnapshotFiles.change(SnapshotFiles.read(good), "SHA256SUMS.asc", d -> {
            String s = new String(d, StandardCharsets.US_ASCII);
            int i = s.indexOf("\n\n") + 10;
            char c = s.charAt(i);
            return (s.substring(0, i) + (c == 'A' ? 'B' : 'A') + s.substring(i + 1))
                    .getBytes(StandardCharsets.US_ASCII);
        }));
        assertRefusedAndUnchanged(bad, "SHA256SUMS.asc", "signature refused");
    }

    @Test
    void aMissingTileIsRefused() throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(good));
        String tile = memberName(m, "tile");
        m.removeIf(x -> x.name().equals(tile));
        assertRefusedAndUnchanged(write(m), tile, "missing from the archive");
    }

    @Test
    void aMissingTileIsRefusedEvenWhenSha256SumsIsSignedAgain() throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(good));
        String tile = memberName(m, "tile");
        m.removeIf(x -> x.name().equals(tile));
        Path bad = write(SnapshotFiles.resign(m, trusted));
        // Into an empty storage: the earlier import holds the same head's tiles, which would stand in for it.
        String withoutWidth = tile.contains(".p/") ? tile.substring(0, tile.indexOf(".p/")) : tile;
        assertRefusedAndUnchanged(
                bad,
                "the snapshot has no member " + withoutWidth,
                "inclusion proof refused",
                dir.resolve("empty-" + test++));
    }

    @Test
    void aTruncatedFileIsRefused() throws Exception {
        byte[] all = Files.readAllBytes(good);
        Path bad = dir.resolve("truncated-" + test++ + ".tar");
        Files.write(bad, Arrays.copyOf(all, all.length / 2));
        assertRefusedAndUnchanged(bad, "", "truncated");
    }

    @Test
    void aTruncatedCompressedFileIsRefused() throws Exception {
        Path zst = dir.resolve("good-" + test++ + ".tar.zst");
        AirGap.exec(dir, "zstd", "-q", "-f", good.toString(), "-o", zst.toString())
                .assertOk();
        assertThat(importInto(copyOfBaseline(), zst).exit())
                .as("the compressed snapshot itself imports")
                .isZero();
        byte[] all = Files.readAllBytes(zst);
        Path bad = dir.resolve("truncated-" + test++ + ".tar.zst");
        Files.write(bad, Arrays.copyOf(all, all.length - 100));
        assertRefusedAndUnchanged(bad, "", "truncated");
    }

    // ---- signatures -------------------------------------------------------------------------------

    @Test
    void aMissingSignatureIsRefused() throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(good));
        m.removeIf(x -> x.name().equals("SHA256SUMS.asc"));
        assertRefusedAndUnchanged(write(m), "SHA256SUMS.asc", "is missing");
    }

    @Test
    void aSignatureByAKeyNotInTheKeyringIsRefused() throws Exception {
        SigningKey stranger = AirGap.keys(dir.resolve("stranger-" + test++), "Stranger <stranger@example.org>");
        Path bad = write(SnapshotFiles.resign(SnapshotFiles.read(good), stranger));
        assertRefusedAndUnchanged(bad, "SHA256SUMS.asc", stranger.keyFingerprint());
    }

    @Test
    void aSignatureOfOtherDataIsRefused() throws Exception {
        List<SnapshotFiles.Member> m = SnapshotFiles.read(good);
        byte[] otherSig = trusted.sign(new ByteArrayInputStream("other data\n".getBytes(StandardCharsets.UTF_8)))
                .getBytes(StandardCharsets.US_ASCII);
        assertRefusedAndUnchanged(
                write(SnapshotFiles.change(m, "SHA256SUMS.asc", d -> otherSig)), "SHA256SUMS.asc", "signature refused");
    }

    // ---- hostile archives ----------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"dotdot", "absolute", "symlink", "hardlink", "device", "fifo", "unknown-name", "duplicate"})
    void hostileMembersAreRefused(String kind) throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(good));
        String name;
        switch (kind) {
            case "dotdot" -> m.add(0, SnapshotFiles.Member.file(name = "rsc.io/../../escaped.txt", new byte[] {1}));
            case "absolute" -> m.add(0, SnapshotFiles.Member.file(name = "/tmp/escaped.txt", new byte[] {1}));
            case "symlink" ->
                m.add(
                        0,
                        new SnapshotFiles.Member(
                                name = "rsc.io/quote/@v/v9.9.9.zip",
                                new byte[0],
                                TarArchiveEntry.LF_SYMLINK,
                                "/etc/passwd"));
            case "hardlink" ->
                m.add(
                        0,
                        new SnapshotFiles.Member(
                                name = "rsc.io/quote/@v/v9.9.9.mod",
                                new byte[0],
                                TarArchiveEntry.LF_LINK,
                                "/etc/passwd"));
            case "device" ->
                m.add(
                        0,
                        new SnapshotFiles.Member(
                                name = "rsc.io/quote/@v/v9.9.9.info", new byte[0], TarArchiveEntry.LF_CHR, null));
            case "fifo" ->
                m.add(
                        0,
                        new SnapshotFiles.Member(
                                name = "rsc.io/quote/@v/v9.9.9.info", new byte[0], TarArchiveEntry.LF_FIFO, null));
            case "unknown-name" -> m.add(0, SnapshotFiles.Member.file(name = "etc/cron.d/job", new byte[] {1}));
            case "duplicate" -> {
                name = "rsc.io/quote/@v/v1.5.2.mod";
                m.add(SnapshotFiles.Member.file(name, "module evil\n".getBytes(StandardCharsets.UTF_8)));
            }
            default -> throw new IllegalArgumentException(kind);
        }
        assertRefusedAndUnchanged(write(m), name, "");
    }

    // ---- tampering that SHA256SUMS and the signature cover again: deeper checks -----------------------

    @Test
    void aZipThatBreaksTheRulesIsRefused() throws Exception {
        String zip = "rsc.io/quote/@v/v1.5.2.zip";
        byte[] bad =
                zip(Map.of("rsc.io/quote@v1.5.2/go.mod", "module rsc.io/quote\n", "outside/evil.go", "package evil\n"));
        Path snap = write(SnapshotFiles.resign(SnapshotFiles.change(SnapshotFiles.read(good), zip, d -> bad), trusted));
        assertRefusedAndUnchanged(snap, zip, "rsc.io/quote@v1.5.2");
    }

    @Test
    void aZipWithOtherContentFailsItsProvenHash() throws Exception {
        String zip = "rsc.io/quote/@v/v1.5.2.zip";
        List<SnapshotFiles.Member> m = SnapshotFiles.read(good);
        byte[] tampered = TestModules.tamper(SnapshotFiles.find(m, zip::equals).data());
        Path snap = write(SnapshotFiles.resign(SnapshotFiles.change(m, zip, d -> tampered), trusted));
        assertRefusedAndUnchanged(snap, zip, "checksum mismatch");
    }

    @Test
    void aLookupWithOtherHashesFailsItsInclusionProof() throws Exception {
        List<SnapshotFiles.Member> m = SnapshotFiles.read(good);
        String lookup = "sumdb/" + db + "/lookup/rsc.io/quote@v1.5.2";
        Path snap = write(SnapshotFiles.resign(
                SnapshotFiles.change(m, lookup, d -> {
                    String s = new String(d, StandardCharsets.UTF_8);
                    int h = s.indexOf("h1:") + 3;
                    return (s.substring(0, h) + (s.charAt(h) == 'A' ? 'B' : 'A') + s.substring(h + 1))
                            .getBytes(StandardCharsets.UTF_8);
                }),
                trusted));
        assertRefusedAndUnchanged(snap, lookup, "inclusion proof refused");
    }

    @Test
    void aTamperedTileFailsTheProofs() throws Exception {
        List<SnapshotFiles.Member> m = SnapshotFiles.read(good);
        String tile = memberName(m, "tile");
        Path snap = write(SnapshotFiles.resign(SnapshotFiles.change(m, tile, SnapshotFiles::flipByte), trusted));
        assertRefusedAndUnchanged(snap, "sumdb/" + db, "refused");
    }

    @Test
    void aTreeHeadNotSignedByTheDatabaseIsRefused() throws Exception {
        List<SnapshotFiles.Member> m = SnapshotFiles.read(good);
        String latest = "sumdb/" + db + "/latest";
        Path snap = write(SnapshotFiles.resign(
                SnapshotFiles.change(m, latest, d -> {
                    String s = new String(d, StandardCharsets.UTF_8);
                    String[] lines = s.split("\n", 3);
                    return (lines[0] + "\n" + (Long.parseLong(lines[1]) + 1) + "\n" + lines[2])
                            .getBytes(StandardCharsets.UTF_8);
                }),
                trusted));
        assertRefusedAndUnchanged(snap, latest, "tree head refused");
    }

    @Test
    void aMemberTheManifestDoesNotListIsRefused() throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(good));
        SnapshotFiles.Member info = SnapshotFiles.find(m, "rsc.io/quote/@v/v1.5.2.info"::equals);
        m.add(0, SnapshotFiles.Member.file("rsc.io/quote/@v/v1.5.3.info", info.data()));
        assertRefusedAndUnchanged(
                write(SnapshotFiles.resign(m, trusted)), "rsc.io/quote/@v/v1.5.3.info", "not listed in MANIFEST.json");
    }

    // ---- what a good snapshot does -------------------------------------------------------------------

    @Test
    void importingTheSameSnapshotTwiceChangesNothingTheSecondTime() throws Exception {
        Path inside = copyOfBaseline();
        importInto(inside, good).assertOk();
        Map<String, String> once = AirGap.fingerprint(inside);
        AirGap.Run again = importInto(inside, good).assertOk();
        assertThat(again.out()).contains("Already imported");
        assertThat(AirGap.fingerprint(inside)).isEqualTo(once);
    }

    @Test
    void anUnsignedSnapshotNeedsAllowUnsignedWhichSaysWhatItSkips() throws Exception {
        List<SnapshotFiles.Member> m = new ArrayList<>(SnapshotFiles.read(good));
        m.removeIf(x -> x.name().equals("SHA256SUMS.asc"));
        Path unsigned = write(m);
        Path inside = copyOfBaseline();
        AirGap.Run r = AirGap.granary(
                "import",
                unsigned.toString(),
                "--allow-unsigned",
                "--storage",
                inside.toString(),
                "--upstream",
                "off",
                "--sumdb",
                vkey,
                "-q");
        r.assertOk();
        assertThat(r.err()).contains("WARNING").contains("NOT checked");
        assertThat(r.out()).contains("signature NOT checked");
    }

    @Test
    void verifyWritesNothing() throws Exception {
        Path inside = copyOfBaseline();
        Map<String, String> before = AirGap.fingerprint(inside);
        AirGap.Run r = AirGap.granary(
                        "verify",
                        good.toString(),
                        "--keyring",
                        keyring.toString(),
                        "--storage",
                        inside.toString(),
                        "--upstream",
                        "off",
                        "--sumdb",
                        vkey,
                        "-q")
                .assertOk();
        assertThat(r.out()).contains("Verified snapshot");
        assertThat(AirGap.fingerprint(inside)).isEqualTo(before);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private void assertRefusedAndUnchanged(Path snapshot, String member, String reason) throws Exception {
        assertRefusedAndUnchanged(snapshot, member, reason, copyOfBaseline());
    }

    private void assertRefusedAndUnchanged(Path snapshot, String member, String reason, Path inside) throws Exception {
        Files.createDirectories(inside);
        Map<String, String> before = AirGap.fingerprint(inside);
        for (String command : new String[] {"verify", "import"}) {
            AirGap.Run r = command.equals("import")
                    ? importInto(inside, snapshot)
                    : AirGap.granary(
                            "verify",
                            snapshot.toString(),
                            "--keyring",
                            keyring.toString(),
                            "--storage",
                            inside.toString(),
                            "--upstream",
                            "off",
                            "--sumdb",
                            vkey,
                            "-q");
            System.out.println(command + ": " + r.err().strip());
            assertThat(r.exit()).as(command + " exit code; stderr: " + r.err()).isEqualTo(1);
            assertThat(r.err()).as(command).contains(member).contains(reason);
            assertThat(r.err().lines().count()).as("one line says why").isEqualTo(1);
            assertThat(AirGap.fingerprint(inside))
                    .as("storage after a refused " + command)
                    .isEqualTo(before);
        }
    }

    private AirGap.Run importInto(Path storage, Path snapshot) {
        return AirGap.granary(
                "import",
                snapshot.toString(),
                "--keyring",
                keyring.toString(),
                "--storage",
                storage.toString(),
                "--upstream",
                "off",
                "--sumdb",
                vkey,
                "-q");
    }

    private Path copyOfBaseline() throws Exception {
        Path copy = dir.resolve("inside-" + test++);
        AirGap.exec(dir, "cp", "-a", baseline.toString(), copy.toString()).assertOk();
        return copy;
    }

    private Path write(List<SnapshotFiles.Member> members) throws Exception {
        Path p = dir.resolve("bad-" + test++ + ".tar");
        SnapshotFiles.write(p, members);
        return p;
    }

    private String memberName(List<SnapshotFiles.Member> m, String which) {
        return switch (which) {
            case "lookup" ->
                SnapshotFiles.find(m, n -> n.contains("/lookup/rsc.io/quote@v1.5.2"))
                        .name();
            case "tile" -> SnapshotFiles.find(m, n -> n.contains("/tile/")).name();
            case "latest" -> "sumdb/" + db + "/latest";
            default -> which;
        };
    }

    private static byte[] zip(Map<String, String> files) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, String> e : new TreeMap<>(files).entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static String[] join(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
