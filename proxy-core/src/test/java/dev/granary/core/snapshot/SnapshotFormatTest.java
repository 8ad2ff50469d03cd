package dev.granary.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The archive format: writing and reading back (plain and zstd), member rules, SHA256SUMS, the manifest, progress. */
class SnapshotFormatTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void whatIsWrittenIsReadBackWithItsDigests(boolean zstd) throws Exception {
        Path file = tmp.resolve("s.tar");
        byte[] big = new byte[3 << 20];
        new Random(3).nextBytes(big);
        byte[] sums;
        try (SnapshotWriter w =
                new SnapshotWriter(Files.newOutputStream(file), zstd, Instant.parse("2026-01-02T03:04:05Z"))) {
            w.add("example.com/a/@v/v1.0.0.info", "{}".getBytes(StandardCharsets.UTF_8));
            w.add("example.com/a/@v/v1.0.0.zip", new ByteArrayInputStream(big), big.length);
            w.add("sumdb/sum.example.org/tile/8/0/000.p/3", new byte[96]);
            w.add(SnapshotFormat.MANIFEST, "{}".getBytes(StandardCharsets.UTF_8));
            sums = w.writeSums();
            w.writeSignature("-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n");
            assertThat(w.files()).isEqualTo(4);
        }
        long[] seen = {0};
        try (StagedSnapshot s = SnapshotReader.stage(
                file, tmp.resolve("staging"), SnapshotReader.Limits.of(10 << 20), b -> seen[0] = b)) {
            assertThat(s.members())
                    .extracting(StagedSnapshot.Member::name)
                    .containsExactly(
                            "example.com/a/@v/v1.0.0.info",
                            "example.com/a/@v/v1.0.0.zip",
                            "sumdb/sum.example.org/tile/8/0/000.p/3",
                            SnapshotFormat.MANIFEST,
                            SnapshotFormat.SUMS,
                            SnapshotFormat.SIGNATURE);
            assertThat(Files.readAllBytes(s.member("example.com/a/@v/v1.0.0.zip")
                            .orElseThrow()
                            .file()))
                    .isEqualTo(big);
            Map<String, String> listed = Sha256Sums.parse(sums);
            assertThat(listed).hasSize(4);
            for (StagedSnapshot.Member m : s.members()) {
                if (listed.containsKey(m.name())) {
                    assertThat(m.sha256()).isEqualTo(listed.get(m.name()));
                }
            }
            assertThat(s.read(SnapshotFormat.SUMS).orElseThrow()).isEqualTo(sums);
            assertThat(seen[0]).isEqualTo(Files.size(file));
        }
        assertThat(tmp.resolve("staging")).isEmptyDirectory();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "toolchains/v0.0.1-go1.26.3.linux-amd64.info",
                "dl/go1.26.3.linux-amd64.tar.gz",
                "dl/go1.26.3.linux-amd64.tar.gz.asc",
                "dl/go1.26.3.linux-amd64.tar.gz.sha256",
                "dl/listing-all.json",
                "dl/signing-key.asc",
                "gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst",
                "gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst.asc",
                "gocache/bundles/index.json"
            })
    void theGoDistributionAndBundlesHaveTheirStorageNames(String name) throws Exception {
        assertThat(SnapshotFormat.kindOf(name)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "../x",
                "a/../../x",
                "/etc/passwd",
                "pins/example.com/a/@v/v1.0.0.sum",
                "leases/x/@v/v1",
                "snapshots/abc/MANIFEST.json",
                "example.com/readme.txt",
                "a//b",
                "example.com/a/@v/.tmp-1.zip",
                "dl/listing.json",
                "dl/notgo.tar.gz",
                "dl/go1.26.3 linux.tar.gz",
                "dl/sub/go1.26.3.tar.gz",
                "gocache/bundles/xyz.tar.zst",
                "gocache/actions/ab/x",
                "toolchains/sub/v1.info",
                "snapshots/abc/staged/dl/go1.26.3.tar.gz"
            })
    void namesASnapshotMayNotHold(String name) {
        assertThatThrownBy(() -> SnapshotFormat.kindOf(name))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("member ");
    }

    @Test
    void aMemberLargerThanItsKindAllowsIsRefusedBeforeItIsRead() throws Exception {
        Path file = tmp.resolve("big.tar");
        try (SnapshotWriter w = new SnapshotWriter(Files.newOutputStream(file), false, Instant.now())) {
            w.add("example.com/a/@v/v1.0.0.mod", new byte[2048]);
        }
        assertThatThrownBy(() -> SnapshotReader.stage(file, tmp, new SnapshotReader.Limits(1 << 20, 1024), b -> {}))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("example.com/a/@v/v1.0.0.mod")
                .hasMessageContaining("2048 bytes");
    }

    @Test
    void garbageAndEmptyFilesAreNotSnapshots() throws Exception {
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        Path garbage = Files.write(
                tmp.resolve("garbage"),
                "this is not a tar archive at all, just text\n".repeat(30).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> SnapshotReader.stage(empty, tmp, SnapshotReader.Limits.of(1), b -> {}))
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> SnapshotReader.stage(garbage, tmp, SnapshotReader.Limits.of(1), b -> {}))
                .hasMessageContaining("not a snapshot");
    }

    @Test
    void sha256SumsIsWhatSha256sumWritesAndNothingElse() throws Exception {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("a/@v/list", "0".repeat(64));
        in.put("MANIFEST.json", "f".repeat(64));
        byte[] text = Sha256Sums.format(in);
        assertThat(new String(text, StandardCharsets.UTF_8))
                .isEqualTo("0".repeat(64) + "  a/@v/list\n" + "f".repeat(64) + "  MANIFEST.json\n");
        assertThat(Sha256Sums.parse(text)).isEqualTo(in);
        assertThat(Sha256Sums.parse(("a".repeat(64) + " *bin\n").getBytes(StandardCharsets.UTF_8)))
                .containsEntry("bin", "a".repeat(64));
        for (String bad : List.of(
                "A".repeat(64) + "  x\n",
                "abc  x\n",
                "a".repeat(64) + "  x",
                "a".repeat(64) + "  x\n" + "b".repeat(64) + "  x\n",
                "# comment\n")) {
            assertThatThrownBy(() -> Sha256Sums.parse(bad.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(SnapshotException.class)
                    .hasMessageContaining("SHA256SUMS");
        }
    }

    @Test
    void manifestsRoundTripAndTheirIdIsTheirDigest() throws Exception {
        SnapshotManifest m = new SnapshotManifest(
                1,
                "2026-01-02T03:04:05Z",
                "1.0",
                List.of("gosum go.sum"),
                null,
                List.of(new SnapshotManifest.TreeHead("sum.example.org", 9, "h", "note\n")),
                new SnapshotManifest.Counts(1, 1, 1, 1, 5, 100),
                List.of(new SnapshotManifest.Entry("example.com/a", "v1.0.0", true, true)));
        byte[] json = m.toJson();
        assertThat(SnapshotManifest.parse(json)).isEqualTo(m);
        assertThat(SnapshotManifest.idOf(json)).hasSize(64).isEqualTo(SnapshotManifest.idOf(json.clone()));
        assertThatThrownBy(() -> SnapshotManifest.parse("{\"format\":2}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("format 2");
        assertThatThrownBy(() -> SnapshotManifest.parse(
                        "{\"format\":1,\"created\":\"2026-01-01T00:00:00Z\",\"versions\":[{\"path\":\"x\",\"version\":\"v1\"}]}"
                                .getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("invalid module version");
        assertThatThrownBy(() -> SnapshotManifest.parse("not json".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining(SnapshotFormat.MANIFEST);
    }

    @Test
    void manifestsCarryTheGoDistributionAndBundlesAndOlderOnesReadAsHoldingNone() throws Exception {
        SnapshotManifest m = new SnapshotManifest(
                1,
                "2026-01-02T03:04:05Z",
                "1.0",
                List.of("dl 1.26.3 for linux/amd64"),
                null,
                List.of(),
                new SnapshotManifest.Counts(1, 1, 2, 3, 9, 5000, 1000, 1, 1, 1, 3000, 1, 1000),
                List.of(new SnapshotManifest.Entry("golang.org/toolchain", "v0.0.1-go1.26.3.darwin-arm64", true, true)),
                List.of("v0.0.1-go1.26.3.linux-amd64"),
                List.of(new SnapshotManifest.Release("go1.26.3.linux-amd64.tar.gz", "a".repeat(64), 3000)),
                List.of("EB4C1BFD4F042F6DDDCCEC917721F63BD38B4796"),
                List.of(new SnapshotManifest.Bundle(
                        "0123456789abcdef0123456789abcdef",
                        "example.com/app",
                        "2026-01-01T00:00:00Z",
                        1000,
                        "b".repeat(64),
                        true)));
        assertThat(SnapshotManifest.parse(m.toJson())).isEqualTo(m);

        // A manifest of the first release of the format: no fields of the newer kinds.
        SnapshotManifest old =
                SnapshotManifest.parse(("{\"format\":1,\"created\":\"2026-01-01T00:00:00Z\",\"granaryVersion\":\"0.9\","
                                + "\"counts\":{\"versions\":1,\"zips\":1,\"lookups\":1,\"tiles\":2,\"files\":6,\"bytes\":700},"
                                + "\"versions\":[{\"path\":\"rsc.io/quote\",\"version\":\"v1.5.2\",\"zip\":true,\"proof\":true}]}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(old.counts()).isEqualTo(new SnapshotManifest.Counts(1, 1, 1, 2, 6, 700));
        assertThat(old.counts().releases()).isZero();
        assertThat(old.toolchainInfos()).isEmpty();
        assertThat(old.releases()).isEmpty();
        assertThat(old.bundles()).isEmpty();

        for (String bad : List.of(
                "\"toolchainInfos\":[\"v1.0.0\"]",
                "\"releases\":[{\"filename\":\"../x\",\"sha256\":\"" + "a".repeat(64) + "\"}]",
                "\"releases\":[{\"filename\":\"go1.tar.gz\",\"sha256\":\"xyz\"}]",
                "\"bundles\":[{\"id\":\"../../x\"}]")) {
            assertThatThrownBy(() ->
                            SnapshotManifest.parse(("{\"format\":1,\"created\":\"2026-01-01T00:00:00Z\"," + bad + "}")
                                    .getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(SnapshotException.class)
                    .hasMessageContaining(SnapshotFormat.MANIFEST);
        }
    }

    @Test
    void refusalsAreOneLine() {
        assertThat(SnapshotException.member("x.zip", "checksum mismatch\n\tone\n\ttwo\nSECURITY ERROR")
                        .getMessage())
                .isEqualTo("member x.zip: checksum mismatch; one; two; SECURITY ERROR");
    }

    @Test
    void progressDrawsABarOnATerminalAndLogsPlainLinesElsewhere() {
        ByteArrayOutputStream tty = new ByteArrayOutputStream();
        Progress bar = Progress.start("writing", 1000, 10, new PrintStream(tty, true, StandardCharsets.UTF_8), true);
        bar.add(500, 5);
        String line = bar.line(System.nanoTime() + 2_000_000_000L);
        assertThat(line)
                .startsWith("writing [")
                .contains(" 50% ")
                .contains("500 B / 1000 B")
                .contains("5/10 files")
                .contains("ETA ");
        bar.close();
        assertThat(tty.toString(StandardCharsets.UTF_8)).contains("writing [").endsWith("\n");

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Progress plain =
                Progress.start("reading", 1 << 30, 0, new PrintStream(log, true, StandardCharsets.UTF_8), false);
        plain.add(1 << 29, 0);
        assertThat(plain.line(System.nanoTime())).doesNotContain("[").contains("512.0 MiB / 1.0 GiB");
        plain.close();
        assertThat(log.toString(StandardCharsets.UTF_8))
                .as("a quick job logs nothing")
                .doesNotContain("\r");
        Progress.none().add(1, 1);
        assertThat(Progress.duration(3725)).isEqualTo("1:02:05");
        assertThat(Progress.size(1536)).isEqualTo("1.5 KiB");
    }
}
