package dev.granary.core.dl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.testing.FakeReleaseSite;
import dev.granary.core.testing.FakeReleaseSite.Entry;
import dev.granary.core.testing.Gpg;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.disk.DiskBlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive mirror against a release site on loopback whose archives are signed by a key
 * the real {@code gpg} generated: what passes is stored and served byte for byte; a tampered archive,
 * a listing with the wrong SHA-256, a signature by another key, a missing signature and a signing key
 * that is not the pinned one are each refused, counted, and leave nothing in storage.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DlMirrorIT {
    private static final String LINUX = "go1.26.3.linux-amd64.tar.gz";
    private static final String DARWIN = "go1.26.3.darwin-arm64.tar.gz";
    private static final String SOURCE = "go1.26.3.src.tar.gz";
    private static final String OLD = "go1.25.9.linux-amd64.tar.gz";
    private static final String RC = "go1.27rc1.linux-amd64.tar.gz";

    @TempDir
    static Path classTmp;
    /** A fresh directory per test. */
    private Path tmp;

    private Gpg gpg;
    private String releaseKey;
    private String otherKey;
    private Path keyring;
    private Path bothKeys;
    private FakeReleaseSite site;
    private final HttpUpstream.Settings settings = new HttpUpstream.Settings(
                    Duration.ofSeconds(5), Duration.ofSeconds(30), 0, Duration.ofMillis(10))
            .withRedirects(HttpUpstream.Redirects.ANY);
    private final HttpClient client = HttpUpstream.newClient(settings);
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeAll
    void keys() throws Exception {
        gpg = new Gpg(classTmp.resolve("gnupg"));
        // RSA like Google's Linux packages signing key, with a signing subkey as it has.
        releaseKey = gpg.generate("Release Signing <release@granary.test>", "rsa3072", "cert", "never", null);
        gpg.addSubkey(releaseKey, "rsa3072", "sign", "never");
        otherKey = gpg.generate("Someone Else <other@granary.test>", "ed25519", "sign", "never", null);
        keyring = classTmp.resolve("release.asc");
        Files.write(keyring, gpg.export(true, releaseKey));
        bothKeys = classTmp.resolve("both.asc");
        Files.write(bothKeys, gpg.export(true, releaseKey, otherKey));
    }

    @AfterAll
    void stopGpg() throws Exception {
        gpg.close();
        executor.shutdownNow();
    }

    @BeforeEach
    void startSite() throws Exception {
        tmp = Files.createTempDirectory(classTmp, "test-");
        Path files = tmp.resolve("site");
        site = FakeReleaseSite.start(files);
        // Over the hot tier's item limit, so serving goes the zero-copy way.
        FakeReleaseSite.writeRandom(files, LINUX, 3 << 20, 1);
        FakeReleaseSite.writeRandom(files, DARWIN, 200_000, 2);
        FakeReleaseSite.writeRandom(files, SOURCE, 100_000, 3);
        FakeReleaseSite.writeRandom(files, OLD, 150_000, 4);
        FakeReleaseSite.writeRandom(files, RC, 120_000, 5);
        for (String f : List.of(LINUX, DARWIN, SOURCE, OLD, RC)) {
            sign(releaseKey, files.resolve(f));
        }
        site.release("go1.25.9", true, new Entry(OLD, "linux", "amd64", "archive"));
        site.release(
                "go1.26.3",
                true,
                new Entry(SOURCE, "", "", "source"),
                new Entry(LINUX, "linux", "amd64", "archive"),
                new Entry(DARWIN, "darwin", "arm64", "archive"));
        site.release("go1.27rc1", false, new Entry(RC, "linux", "amd64", "archive"));
    }

    @AfterEach
    void stopSite() {
        site.close();
    }

    private void sign(String key, Path file) throws Exception {
        Path asc = file.resolveSibling(file.getFileName() + ".asc");
        Files.deleteIfExists(asc);
        gpg.run("--local-user", key, "--armor", "--detach-sign", "--output", asc.toString(), file.toString())
                .assertSuccess();
    }

    private Function<URI, Upstream> http() {
        return uri -> new HttpUpstream(uri, client, settings);
    }

    private record Mirror(DlMirror dl, DiskBlobStore store, SimpleMeterRegistry registry) {}

    private Mirror mirror(Path storage, boolean online, DlTrust.Settings trust) throws Exception {
        return mirror(storage, online, trust, Duration.ZERO);
    }

    /** A mirror whose listing is fresh for {@code ttl} (zero: every request asks the site). */
    private Mirror mirror(Path storage, boolean online, DlTrust.Settings trust, Duration ttl) throws Exception {
        DiskBlobStore store = new DiskBlobStore(storage);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DlMirror dl = new DlMirror(
                store,
                online ? http().apply(site.baseUrl()) : null,
                DlTrust.create(trust, store, http()),
                DlSettings.defaults(storage)
                        .withFailureTtl(Duration.ZERO)
                        .withNotFoundTtl(Duration.ZERO)
                        .withListingTtl(ttl),
                registry,
                executor);
        return new Mirror(dl, store, registry);
    }

    private Mirror mirror(Path storage) throws Exception {
        return mirror(storage, true, new DlTrust.Settings(keyring, null, List.of(releaseKey)));
    }

    private static byte[] bytes(Artifact a) throws Exception {
        try (a) {
            return a.blob().readAllBytes();
        }
    }

    private static double refusals(SimpleMeterRegistry r, String reason) {
        Counter c =
                r.find("granary.verification.failures").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** Every file under the storage root except the listings and the key: what a refusal must not leave. */
    private static List<String> archivesStored(Path storage) throws Exception {
        Path dl = storage.resolve("dl");
        if (!Files.isDirectory(dl)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dl)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("go"))
                    .sorted()
                    .toList();
        }
    }

    private static List<String> tempFiles(Path storage) throws Exception {
        try (Stream<Path> s = Files.walk(storage)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".tmp-"))
                    .toList();
        }
    }

    @Test
    void aVerifiedArchiveIsStoredAndServedByteForByteAndFetchedOnce() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        byte[] served = bytes(m.dl().file(LINUX, DlRequest.Part.ARCHIVE));
        assertThat(served).isEqualTo(Files.readAllBytes(site.dir().resolve(LINUX)));
        assertThat(new String(bytes(m.dl().file(LINUX, DlRequest.Part.SHA256)), StandardCharsets.US_ASCII))
                .isEqualTo(FakeReleaseSite.sha256(site.dir().resolve(LINUX)));
        assertThat(bytes(m.dl().file(LINUX, DlRequest.Part.SIGNATURE)))
                .isEqualTo(Files.readAllBytes(site.dir().resolve(LINUX + ".asc")));
        // The storage tree is a static mirror of the site.
        assertThat(storage.resolve("dl/" + LINUX))
                .hasSameBinaryContentAs(site.dir().resolve(LINUX));
        assertThat(archivesStored(storage)).containsExactly(LINUX, LINUX + ".asc", LINUX + ".sha256");
        assertThat(tempFiles(storage)).isEmpty();
        try (Artifact a = m.dl().file(LINUX, DlRequest.Part.ARCHIVE)) {
            assertThat(a.immutable()).isTrue();
            assertThat(a.blob().fileChannel()).isPresent();
            assertThat(a.etag()).startsWith("\"").endsWith("\"");
        }
        assertThat(site.hits(LINUX)).isEqualTo(1);
        assertThat(m.registry().counter("granary.dl.committed").count()).isEqualTo(1);

        DlMirror.Verified v = m.dl().verifyStored(LINUX);
        assertThat(v.signature().keyFingerprint()).isEqualTo(releaseKey);
        assertThat(v.signature().bySubkey()).isTrue();
    }

    @Test
    void theListingIsFetchedOncePerTtlAndValidated() throws Exception {
        Mirror m = mirror(
                tmp.resolve("storage"),
                true,
                new DlTrust.Settings(keyring, null, List.of(releaseKey)),
                Duration.ofHours(1));
        ReleaseListing l = ReleaseListing.parse(bytes(m.dl().listing(true)));
        assertThat(l).isEqualTo(ReleaseListing.parse(site.listing(true)));
        bytes(m.dl().listing(true));
        m.dl().ensure(LINUX);
        assertThat(site.hits("listing")).isEqualTo(1);
        assertThat(ReleaseListing.parse(bytes(m.dl().listing(false))))
                .isEqualTo(ReleaseListing.parse(site.listing(false)));
        assertThat(site.hits("listing")).isEqualTo(2);
        assertThat(tmp.resolve("storage/dl/listing-all.json")).exists();
        assertThat(tmp.resolve("storage/dl/listing.json")).exists();
    }

    @Test
    void whenTheListingFailsTheLastGoodOneIsAnsweredAndWithoutOneItIsAnUpstreamFailure() throws Exception {
        Mirror m = mirror(tmp.resolve("storage"));
        byte[] good = bytes(m.dl().listing(true));
        site.status("listing", 500);
        assertThat(bytes(m.dl().listing(true))).isEqualTo(good);
        Mirror fresh = mirror(tmp.resolve("empty"));
        assertThatThrownBy(() -> fresh.dl().listing(true))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.UPSTREAM_FAILED))
                .hasMessageContaining("release listing unavailable");
    }

    @Test
    void concurrentRequestsShareOneDownload() throws Exception {
        Mirror m = mirror(tmp.resolve("storage"));
        List<Callable<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(() -> bytes(m.dl().file(LINUX, DlRequest.Part.ARCHIVE)));
        }
        byte[] want = Files.readAllBytes(site.dir().resolve(LINUX));
        for (Future<byte[]> f : executor.invokeAll(calls)) {
            assertThat(f.get()).isEqualTo(want);
        }
        assertThat(site.hits(LINUX)).isEqualTo(1);
        assertThat(site.hits(LINUX + ".asc")).isEqualTo(1);
    }

    @Test
    void aTamperedArchiveIsRefusedAndNothingIsStored() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        byte[] evil = Files.readAllBytes(site.dir().resolve(LINUX));
        evil[12345] ^= 1;
        site.override(LINUX, evil);
        assertThatThrownBy(() -> m.dl().file(LINUX, DlRequest.Part.ARCHIVE))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-sha256-mismatch"))
                .hasMessageContaining("SHA-256 mismatch")
                .hasMessageContaining(LINUX);
        assertThat(refusals(m.registry(), "dl-sha256-mismatch")).isEqualTo(1);
        assertThat(archivesStored(storage)).isEmpty();
        assertThat(tempFiles(storage)).isEmpty();
    }

    @Test
    void aWrongSha256InTheListingIsRefusedEvenWithAGoodSignature() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        site.listSha256(DARWIN, "0".repeat(64));
        assertThatThrownBy(() -> m.dl().ensure(DARWIN))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-sha256-mismatch"))
                .hasMessageContaining("0".repeat(64));
        assertThat(archivesStored(storage)).isEmpty();
    }

    @Test
    void aSignatureByAnotherKeyIsRefusedEvenWhenThatKeyIsInTheKeyringFileButNotPinned() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage, true, new DlTrust.Settings(bothKeys, null, List.of(releaseKey)));
        sign(otherKey, site.dir().resolve(DARWIN));
        assertThatThrownBy(() -> m.dl().ensure(DARWIN))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-signature-refused"))
                .hasMessageContaining(otherKey)
                .hasMessageContaining("not in the keyring");
        assertThat(refusals(m.registry(), "dl-signature-refused")).isEqualTo(1);
        assertThat(archivesStored(storage)).isEmpty();

        // Unpinned, the same file trusts both keys: the pin is what refused it.
        Mirror unpinned = mirror(tmp.resolve("storage2"), true, new DlTrust.Settings(bothKeys, null, List.of()));
        assertThat(unpinned.dl().ensure(DARWIN).filename()).isEqualTo(DARWIN);
    }

    @Test
    void aMissingSignatureIsRefusedBeforeTheArchiveIsDownloaded() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        Files.delete(site.dir().resolve(SOURCE + ".asc"));
        assertThatThrownBy(() -> m.dl().ensure(SOURCE))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-signature-missing"))
                .hasMessageContaining(SOURCE + ".asc");
        assertThat(site.hits(SOURCE)).isZero();
        assertThat(archivesStored(storage)).isEmpty();
    }

    @Test
    void aBodyOfTheWrongSizeIsRefused() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        byte[] whole = Files.readAllBytes(site.dir().resolve(OLD));
        site.override(OLD, Arrays.copyOf(whole, whole.length - 10));
        assertThatThrownBy(() -> m.dl().ensure(OLD))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-size-mismatch"));
        assertThat(archivesStored(storage)).isEmpty();
    }

    @Test
    void aFileNotInTheListingIsNotFound() throws Exception {
        Mirror m = mirror(tmp.resolve("storage"));
        assertThatThrownBy(() -> m.dl().ensure("go9.9.9.linux-amd64.tar.gz"))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.NOT_FOUND))
                .hasMessageContaining("not in the release listing");
    }

    @Test
    void aKeyFromTheUrlIsUsedOnlyWhenItIsThePinnedOne() throws Exception {
        site.publishKey(gpg.export(true, otherKey, releaseKey));
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage, true, new DlTrust.Settings(null, site.keyUrl(), List.of(spaced(releaseKey))));
        assertThat(m.dl().ensure(LINUX).filename()).isEqualTo(LINUX);
        assertThat(storage.resolve("dl/signing-key.asc")).exists();
        assertThat(m.dl().trust().fingerprints()).containsExactly(releaseKey);
        assertThat(site.hits("key")).isEqualTo(1);

        // A restart uses the stored key (the URL is not asked again) and still checks the pin.
        site.publishKey(new byte[0]);
        Mirror again = mirror(storage, true, new DlTrust.Settings(null, site.keyUrl(), List.of(releaseKey)));
        assertThat(again.dl().ensure(DARWIN).filename()).isEqualTo(DARWIN);
        assertThat(site.hits("key")).isEqualTo(1);

        // A URL that publishes another key than the pinned one: refused, nothing stored.
        site.publishKey(gpg.export(true, otherKey));
        Path other = tmp.resolve("storage-other");
        Mirror refused = mirror(other, true, new DlTrust.Settings(null, site.keyUrl(), List.of(releaseKey)));
        assertThatThrownBy(() -> refused.dl().ensure(LINUX))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-signing-key"))
                .hasMessageContaining(otherKey)
                .hasMessageContaining("pinned");
        assertThat(refusals(refused.registry(), "dl-signing-key")).isEqualTo(1);
        assertThat(other.resolve("dl/signing-key.asc")).doesNotExist();
        assertThat(archivesStored(other)).isEmpty();
        assertThat(site.hits(LINUX)).isEqualTo(1);
    }

    @Test
    void whenTheSiteIsGoneTheListingAndStoredArchivesAreStillServed() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        byte[] listing = bytes(m.dl().listing(true));
        assertThat(ReleaseListing.parse(listing).filenames()).contains(LINUX, RC);
        assertThat(ReleaseListing.parse(bytes(m.dl().listing(false))).versions())
                .containsExactly("1.26.3", "1.25.9");
        bytes(m.dl().file(LINUX, DlRequest.Part.ARCHIVE));
        site.close();

        // The same process: the listing from memory, stale.
        assertThat(bytes(m.dl().listing(true))).isEqualTo(listing);
        assertThat(bytes(m.dl().file(LINUX, DlRequest.Part.ARCHIVE)))
                .isEqualTo(Files.readAllBytes(site.dir().resolve(LINUX)));
        assertThat(m.registry().counter("granary.dl.listing.stale").count()).isGreaterThanOrEqualTo(1);
        assertThatThrownBy(() -> m.dl().ensure(DARWIN))
                .isInstanceOfSatisfying(
                        ProxyException.class,
                        e -> assertThat(e.kind())
                                .isIn(ProxyException.Kind.UPSTREAM_FAILED, ProxyException.Kind.UPSTREAM_TIMEOUT));

        // A restarted process: the listing from storage.
        Mirror restarted = mirror(storage);
        assertThat(ReleaseListing.parse(bytes(restarted.dl().listing(true)))).isEqualTo(ReleaseListing.parse(listing));
        assertThat(bytes(restarted.dl().file(LINUX, DlRequest.Part.SHA256))).isNotEmpty();
    }

    @Test
    void offlineTheListingNamesOnlyWhatIsStored() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        m.dl().ensure(LINUX);
        m.dl().ensure(RC);
        bytes(m.dl().listing(true));

        Mirror offline = mirror(storage, false, new DlTrust.Settings(keyring, null, List.of(releaseKey)));
        assertThat(offline.dl().online()).isFalse();
        ReleaseListing all = ReleaseListing.parse(bytes(offline.dl().listing(true)));
        assertThat(all.filenames()).containsExactlyInAnyOrder(LINUX, RC);
        assertThat(ReleaseListing.parse(bytes(offline.dl().listing(false))).filenames())
                .containsExactly(LINUX);
        assertThat(bytes(offline.dl().file(LINUX, DlRequest.Part.ARCHIVE))).hasSize(3 << 20);
        assertThatThrownBy(() -> offline.dl().ensure(DARWIN))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.NOT_FOUND));
        assertThat(offline.dl().storedFiles()).containsExactly(LINUX, RC);
        assertThat(offline.dl().verifyStored(RC).archive().filename()).isEqualTo(RC);
    }

    @Test
    void verifyStoredFindsAnArchiveChangedInStorage() throws Exception {
        Path storage = tmp.resolve("storage");
        Mirror m = mirror(storage);
        m.dl().ensure(DARWIN);
        byte[] b = Files.readAllBytes(storage.resolve("dl/" + DARWIN));
        b[0] ^= 1;
        Files.write(storage.resolve("dl/" + DARWIN), b);
        assertThatThrownBy(() -> m.dl().verifyStored(DARWIN))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("dl-sha256-mismatch"));
    }

    @Test
    void importChecksAnArchiveAsADownloadIsChecked() throws Exception {
        Mirror source = mirror(tmp.resolve("source"));
        source.dl().ensure(OLD);
        ReleaseListing.ReleaseFile entry = source.dl().releases().find(OLD).orElseThrow();
        byte[] asc = Files.readAllBytes(tmp.resolve("source/dl/" + OLD + ".asc"));

        Path inside = tmp.resolve("inside");
        Mirror offline = mirror(inside, false, new DlTrust.Settings(keyring, null, List.of(releaseKey)));
        // A copy with one byte changed is refused; nothing is stored.
        Path bad = tmp.resolve("bad");
        byte[] b = Files.readAllBytes(tmp.resolve("source/dl/" + OLD));
        b[7] ^= 1;
        Files.write(bad, b);
        assertThatThrownBy(() -> offline.dl().importArchive(entry, bad, asc)).isInstanceOf(RefusedException.class);
        assertThat(offline.dl().storedFiles()).isEmpty();

        offline.dl().importListing(Files.readAllBytes(tmp.resolve("source/dl/listing-all.json")), true);
        DlMirror.Verified v = offline.dl().importArchive(entry, tmp.resolve("source/dl/" + OLD), asc);
        assertThat(v.signature().keyFingerprint()).isEqualTo(releaseKey);
        assertThat(offline.dl().storedFiles()).containsExactly(OLD);
        assertThat(ReleaseListing.parse(bytes(offline.dl().listing(true))).filenames())
                .containsExactly(OLD);
        assertThat(DlMirror.keys(OLD))
                .extracting(k -> k.value())
                .containsExactly("dl/" + OLD, "dl/" + OLD + ".asc", "dl/" + OLD + ".sha256");
    }

    @Test
    void selectionAndPrefetchByVersionSpecAndPlatform() throws Exception {
        Mirror m = mirror(tmp.resolve("storage"));
        DlMirror.Selection s =
                m.dl().select(List.of("1.26.x", "1.25.9", "1.24.x"), List.of("linux/amd64", "darwin/arm64", "src"));
        assertThat(s.files())
                .extracting(ReleaseListing.ReleaseFile::filename)
                .containsExactly(LINUX, DARWIN, SOURCE, OLD);
        assertThat(s.problems())
                .containsExactlyInAnyOrder(
                        "no release matches 1.24.x",
                        "go1.25.9 has no archive for darwin/arm64",
                        "go1.25.9 has no source archive");
        site.status(SOURCE + ".asc", 404);
        List<DlMirror.Outcome> outcomes = m.dl().prefetch(s);
        assertThat(outcomes)
                .filteredOn(o -> o.failure().isEmpty())
                .extracting(DlMirror.Outcome::filename)
                .containsExactly(LINUX, DARWIN, OLD);
        assertThat(outcomes)
                .filteredOn(o -> o.failure().isPresent())
                .singleElement()
                .satisfies(o -> assertThat(o.failure().get()).contains("no signature"));
        assertThat(m.dl().storedFiles()).containsExactly(OLD, DARWIN, LINUX);
    }

    @Test
    void aKeyringFileWithoutThePinnedKeyStopsTheStart() {
        assertThatThrownBy(() -> DlTrust.create(new DlTrust.Settings(keyring, null, List.of(otherKey)), null, http()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pinned");
        assertThatThrownBy(() -> new DlTrust.Settings(null, site.keyUrl(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pinned");
    }

    private static String spaced(String fpr) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fpr.length(); i += 4) {
            b.append(i == 0 ? "" : " ").append(fpr, i, i + 4);
        }
        return b.toString();
    }
}
