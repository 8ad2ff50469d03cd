package dev.granary.core.gocache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleRoundTripTest {
    @TempDir
    Path tmp;

    private Path cache;
    private List<CacheDirs.Written> written;

    @BeforeEach
    void fill() throws IOException {
        cache = tmp.resolve("producer");
        written = CacheDirs.fill(cache, 40, 20_000, 7);
        // What a real cache holds besides entries: none of it belongs in a bundle.
        Files.writeString(
                cache.resolve("README"), "This directory holds cached build artifacts from the Go build system.\n");
        Files.writeString(cache.resolve("trim.txt"), "1795804952");
        Files.writeString(cache.resolve("testexpire.txt"), "1795804952000000000");
        Files.createDirectories(cache.resolve("fuzz/example.com/p/FuzzX"));
        // Go 1.24+ caches executables as <output>-d directories holding the binary.
        String exe = CacheDirs.id("executable");
        Files.createDirectories(cache.resolve(exe.substring(0, 2)).resolve(exe + "-d"))
                .resolve("tool")
                .toFile()
                .createNewFile();
    }

    private byte[] pack() throws IOException {
        List<BundleManifest.FileEntry> files = BundleWriter.scan(cache, Progress.NONE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BundleWriter.write(cache, files, draft(), out, Progress.NONE);
        return out.toByteArray();
    }

    private static BundleWriter.Draft draft() {
        return new BundleWriter.Draft(
                "example.com/app",
                CacheDirs.inputs("go1.26.8", false),
                CacheDirs.id("gosum"),
                List.of("rsc.io/quote@v1.5.2"),
                12,
                "granary test");
    }

    @Test
    void packsEntriesOnlyAndRestoresThemWithFreshTimes() throws Exception {
        try (Stream<Path> s = Files.walk(cache)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(Duration.ofDays(30))));
            }
        }
        byte[] bundle = pack();
        Path restored = tmp.resolve("consumer");
        BundleReader.Extracted x;
        try (BundleReader r = BundleReader.open(new ByteArrayInputStream(bundle))) {
            BundleManifest m = r.manifest();
            assertThat(m.id()).isEqualTo(draft().inputs().bundleId(draft().gosum()));
            assertThat(m.files()).hasSize(80);
            assertThat(m.files().subList(0, 40)).allMatch(BundleManifest.FileEntry::isOutput);
            x = r.extract(restored, Progress.NONE);
        }
        assertThat(x.placed()).isEqualTo(80);
        for (CacheDirs.Written w : written) {
            Path d = restored.resolve(w.outputId().substring(0, 2)).resolve(w.outputId() + "-d");
            assertThat(Files.readAllBytes(d)).isEqualTo(w.output());
            Path a = restored.resolve(w.actionId().substring(0, 2)).resolve(w.actionId() + "-a");
            assertThat(Files.readAllBytes(a))
                    .isEqualTo(Files.readAllBytes(
                            cache.resolve(w.actionId().substring(0, 2)).resolve(w.actionId() + "-a")));
            // The go command removes entries unused for five days: restored ones must look new.
            assertThat(Files.getLastModifiedTime(d).toInstant())
                    .isAfter(Instant.now().minus(Duration.ofHours(1)));
        }
        assertThat(restored.resolve("README")).doesNotExist();
        assertThat(restored.resolve("trim.txt")).doesNotExist();
        try (Stream<Path> s = Files.walk(restored)) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp"))
                            .toList())
                    .isEmpty();
        }
    }

    @Test
    void theSameCachePacksToTheSameFilesAndBundlesMergeByUnion() throws Exception {
        byte[] first = pack();
        Path other = tmp.resolve("other");
        List<CacheDirs.Written> more = CacheDirs.fill(other, 5, 1000, 99);
        List<BundleManifest.FileEntry> files = BundleWriter.scan(other, Progress.NONE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BundleWriter.write(other, files, draft(), out, Progress.NONE);
        Path restored = tmp.resolve("consumer");
        try (BundleReader r = BundleReader.open(new ByteArrayInputStream(first))) {
            r.extract(restored, Progress.NONE);
        }
        try (BundleReader r = BundleReader.open(new ByteArrayInputStream(out.toByteArray()))) {
            assertThat(r.extract(restored, Progress.NONE).placed()).isEqualTo(10);
        }
        // Restoring one again adds nothing and changes nothing.
        try (BundleReader r = BundleReader.open(new ByteArrayInputStream(first))) {
            BundleReader.Extracted again = r.extract(restored, Progress.NONE);
            assertThat(again.placed()).isZero();
            assertThat(again.present()).isEqualTo(80);
        }
        assertThat(restored.resolve(more.get(0).outputId().substring(0, 2))
                        .resolve(more.get(0).outputId() + "-d"))
                .exists();
    }

    @Test
    void aDamagedOutputInTheProducersCacheIsLeftOut() throws Exception {
        CacheDirs.Written w = written.get(3);
        Path d = cache.resolve(w.outputId().substring(0, 2)).resolve(w.outputId() + "-d");
        Files.write(d, "not what was built".getBytes());
        List<BundleManifest.FileEntry> files = BundleWriter.scan(cache, Progress.NONE);
        assertThat(files)
                .hasSize(78)
                .noneMatch(f -> f.cacheId().equals(w.outputId()) || f.cacheId().equals(w.actionId()));
    }

    @Test
    void anOutputWhoseContentIsNotItsNameIsRefusedEvenWhenTheManifestAgrees() throws Exception {
        // Someone who can rewrite the archive can rewrite the manifest too: the output's own name is the last check.
        BundleManifest m = manifestOf(pack());
        CacheDirs.Written w = written.get(0);
        byte[] evil = "a different object file".getBytes();
        Map<String, byte[]> entries = contents();
        String name = w.outputId().substring(0, 2) + "/" + w.outputId() + "-d";
        entries.put(name, evil);
        List<BundleManifest.FileEntry> files = new ArrayList<>();
        for (BundleManifest.FileEntry f : m.files()) {
            files.add(
                    f.name().equals(name) ? new BundleManifest.FileEntry(name, evil.length, CacheIds.sha256(evil)) : f);
        }
        byte[] bundle = archive(withFiles(m, files).toJson(), entries);
        assertRefused(bundle, BundleException.Reason.CORRUPT, "must be named by the SHA-256 of its content");
    }

    @Test
    void aFileThatDiffersFromTheManifestIsRefusedAndNothingIsLeftBehind() throws Exception {
        BundleManifest m = manifestOf(pack());
        Map<String, byte[]> entries = contents();
        // The last output in archive order: every other output was placed before it was found.
        String last = m.files().get(39).name();
        byte[] b = entries.get(last).clone();
        b[b.length / 2] ^= 1;
        entries.put(last, b);
        assertRefused(archive(m.toJson(), entries), BundleException.Reason.CORRUPT, "the manifest says");
    }

    @Test
    void anEntryTheManifestDoesNotListIsRefused() throws Exception {
        BundleManifest m = manifestOf(pack());
        Map<String, byte[]> entries = contents();
        entries.put("../../etc/passwd", "x".getBytes());
        assertRefused(archive(m.toJson(), entries), BundleException.Reason.MALFORMED, "not in its manifest");
    }

    @Test
    void aTruncatedBundleIsRefused() throws Exception {
        BundleManifest m = manifestOf(pack());
        Map<String, byte[]> entries = contents();
        entries.remove(m.files().get(79).name());
        assertRefused(archive(m.toJson(), entries), BundleException.Reason.INCOMPLETE, "truncated");
        byte[] whole = pack();
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);
        assertThatThrownBy(() -> {
                    try (BundleReader r = BundleReader.open(new ByteArrayInputStream(cut))) {
                        r.extract(tmp.resolve("cut"), Progress.NONE);
                    }
                })
                .isInstanceOf(BundleException.class);
    }

    @Test
    void anActionEntryPointingAtAnOutputTheBundleLacksIsRefused() throws Exception {
        BundleManifest m = manifestOf(pack());
        Map<String, byte[]> entries = contents();
        CacheDirs.Written w = written.get(5);
        String a = w.actionId().substring(0, 2) + "/" + w.actionId() + "-a";
        byte[] bad = new ActionEntry(w.actionId(), CacheDirs.id("elsewhere"), 10, 1).format();
        entries.put(a, bad);
        List<BundleManifest.FileEntry> files = new ArrayList<>();
        for (BundleManifest.FileEntry f : m.files()) {
            files.add(f.name().equals(a) ? new BundleManifest.FileEntry(a, bad.length, CacheIds.sha256(bad)) : f);
        }
        assertRefused(archive(withFiles(m, files).toJson(), entries), BundleException.Reason.CORRUPT, "does not hold");
    }

    @Test
    void aManifestWhoseIdIsNotItsIdentityIsRefused() throws Exception {
        BundleManifest m = manifestOf(pack());
        String json = new String(m.toJson()).replace(m.id(), "0123456789abcdef0123456789abcdef");
        assertThatThrownBy(() -> BundleReader.open(new ByteArrayInputStream(archive(json.getBytes(), contents()))))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("not the identity of its inputs");
    }

    @Test
    void somethingElseEntirelyIsRefusedAsMalformed() {
        assertThatThrownBy(() -> BundleReader.open(new ByteArrayInputStream("hello".getBytes())))
                .isInstanceOfSatisfying(
                        BundleException.class, e -> assertThat(e.reason()).isEqualTo(BundleException.Reason.MALFORMED));
    }

    @Test
    void verifyChecksEverythingAndWritesNothing() throws Exception {
        try (BundleReader r = BundleReader.open(new ByteArrayInputStream(pack()))) {
            r.verify(Progress.NONE);
        }
        BundleManifest m = manifestOf(pack());
        Map<String, byte[]> entries = contents();
        String first = m.files().get(0).name();
        entries.put(first, new byte[entries.get(first).length]);
        assertThatThrownBy(() -> {
                    try (BundleReader r = BundleReader.open(new ByteArrayInputStream(archive(m.toJson(), entries)))) {
                        r.verify(Progress.NONE);
                    }
                })
                .isInstanceOf(BundleException.class);
    }

    private void assertRefused(byte[] bundle, BundleException.Reason reason, String text) throws IOException {
        Path target = tmp.resolve("refused");
        Files.createDirectories(target);
        Path existing =
                Files.writeString(Files.createDirectories(target.resolve("00")).resolve(CacheDirs.id("x") + "-d"), "x");
        assertThatThrownBy(() -> {
                    try (BundleReader r = BundleReader.open(new ByteArrayInputStream(bundle))) {
                        r.extract(target, Progress.NONE);
                    }
                })
                .isInstanceOfSatisfying(BundleException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.getMessage()).contains(text);
                });
        try (Stream<Path> s = Files.walk(target)) {
            assertThat(s.filter(Files::isRegularFile).toList())
                    .as("a refused bundle leaves the cache as it was")
                    .containsExactly(existing);
        }
    }

    private BundleManifest manifestOf(byte[] bundle) throws Exception {
        try (BundleReader r = BundleReader.open(new ByteArrayInputStream(bundle))) {
            return r.manifest();
        }
    }

    /** Every entry of the producer's cache that a bundle holds, in archive order. */
    private Map<String, byte[]> contents() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (BundleManifest.FileEntry f : manifestOf(pack()).files()) {
            m.put(f.name(), Files.readAllBytes(cache.resolve(f.name())));
        }
        return m;
    }

    private static BundleManifest withFiles(BundleManifest m, List<BundleManifest.FileEntry> files) {
        return new BundleManifest(
                m.format(),
                m.id(),
                m.name(),
                m.created(),
                m.builder(),
                m.inputs(),
                m.gosum(),
                m.modules(),
                m.packages(),
                files);
    }

    static byte[] archive(byte[] manifest, Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new ZstdOutputStream(out))) {
            add(tar, BundleManifest.ENTRY, manifest);
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                add(tar, e.getKey(), e.getValue());
            }
        }
        return out.toByteArray();
    }

    private static void add(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }
}
