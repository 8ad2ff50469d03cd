package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.testing.FakeReleaseSite;
import dev.granary.core.testing.FakeReleaseSite.Entry;
import dev.granary.core.testing.Gpg;
import dev.granary.server.config.ConfigKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code /dl/} through Granary's HTTP edge against a release site on loopback whose archives are signed
 * by a key the real {@code gpg} made: the listing in the official shape, an archive byte-identical with
 * ETag, If-None-Match and Range, its {@code .sha256} and {@code .asc}; a tampered archive, a wrong
 * SHA-256 in the listing, a signature by another key and a missing signature each answered 502 with the
 * reason, counted, and nothing stored; with the site gone, the listing and stored archives still served;
 * {@code granary dl prefetch} filling a storage that an offline Granary then serves alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DlServerIT {
    private static final String LINUX = "go1.26.3.linux-amd64.tar.gz";
    private static final String DARWIN = "go1.26.3.darwin-arm64.tar.gz";
    private static final String WINDOWS = "go1.26.3.windows-amd64.zip";
    private static final String SOURCE = "go1.26.3.src.tar.gz";
    private static final String OLD = "go1.25.9.linux-amd64.tar.gz";

    @TempDir
    static Path tmp;

    private Gpg gpg;
    private String releaseKey;
    private String otherKey;
    private Path keyring;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void keys() throws Exception {
        gpg = new Gpg(tmp.resolve("gnupg"));
        releaseKey = gpg.generate("Release Signing <release@granary.test>", "rsa3072", "cert", "never", null);
        gpg.addSubkey(releaseKey, "rsa3072", "sign", "never");
        otherKey = gpg.generate("Someone Else <other@granary.test>", "ed25519", "sign", "never", null);
        keyring = tmp.resolve("release.asc");
        Files.write(keyring, gpg.export(true, releaseKey, otherKey));
    }

    @AfterAll
    void stopGpg() throws Exception {
        gpg.close();
    }

    private FakeReleaseSite site(Path dir) throws Exception {
        FakeReleaseSite site = FakeReleaseSite.start(dir);
        FakeReleaseSite.writeRandom(dir, LINUX, 5 << 20, 11);
        FakeReleaseSite.writeRandom(dir, DARWIN, 300_000, 12);
        FakeReleaseSite.writeRandom(dir, WINDOWS, 200_000, 13);
        FakeReleaseSite.writeRandom(dir, SOURCE, 100_000, 14);
        FakeReleaseSite.writeRandom(dir, OLD, 100_000, 15);
        for (String f : List.of(LINUX, DARWIN, WINDOWS, SOURCE, OLD)) {
            sign(releaseKey, dir.resolve(f));
        }
        site.release("go1.25.9", true, new Entry(OLD, "linux", "amd64", "archive"));
        site.release(
                "go1.26.3",
                true,
                new Entry(SOURCE, "", "", "source"),
                new Entry(LINUX, "linux", "amd64", "archive"),
                new Entry(DARWIN, "darwin", "arm64", "archive"),
                new Entry(WINDOWS, "windows", "amd64", "archive"));
        return site;
    }

    private void sign(String key, Path file) throws Exception {
        Path asc = file.resolveSibling(file.getFileName() + ".asc");
        Files.deleteIfExists(asc);
        gpg.run("--local-user", key, "--armor", "--detach-sign", "--output", asc.toString(), file.toString())
                .assertSuccess();
    }

    /** Granary over {@code storage} with {@code site} as its release site (or none), trusting only the release key. */
    private TestServers.Running granary(Path storage, FakeReleaseSite site) throws Exception {
        Map<ConfigKey, String> config = new HashMap<>();
        config.put(ConfigKey.DL_UPSTREAM, site == null ? "off" : site.baseUrl().toString());
        config.put(ConfigKey.DL_KEYRING, keyring.toString());
        config.put(ConfigKey.DL_KEY_FINGERPRINT, releaseKey);
        config.put(ConfigKey.DL_LISTING_TTL, "0s");
        config.put(ConfigKey.CACHE_FAILURE_TTL, "0s");
        return TestServers.start(storage, "off", config);
    }

    private HttpResponse<byte[]> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private static List<String> stored(Path storage) throws Exception {
        Path dl = storage.resolve("dl");
        if (!Files.isDirectory(dl)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dl)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("go") || n.startsWith(".tmp"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void listingArchiveEtagAndRangeThroughGranary() throws Exception {
        Path storage = tmp.resolve("served");
        try (FakeReleaseSite site = site(tmp.resolve("site-served"));
                TestServers.Running g = granary(storage, site)) {
            HttpResponse<byte[]> all = get(g.url() + "/dl/?mode=json&include=all");
            assertThat(all.statusCode()).isEqualTo(200);
            assertThat(all.headers().firstValue("content-type")).contains("application/json");
            assertThat(all.headers().firstValue("cache-control")).contains("public, max-age=60");
            JsonNode listing = new ObjectMapper().readTree(all.body());
            assertThat(listing).isEqualTo(new ObjectMapper().readTree(site.listing(true)));
            JsonNode file = listing.get(0).get("files").get(1);
            assertThat(file.get("filename").asText()).isEqualTo(LINUX);
            assertThat(file.get("sha256").asText())
                    .isEqualTo(FakeReleaseSite.sha256(site.dir().resolve(LINUX)));
            assertThat(get(g.url() + "/dl/?mode=json").statusCode()).isEqualTo(200);

            byte[] want = Files.readAllBytes(site.dir().resolve(LINUX));
            HttpResponse<byte[]> archive = get(g.url() + "/dl/" + LINUX);
            assertThat(archive.statusCode()).isEqualTo(200);
            assertThat(archive.body()).isEqualTo(want);
            assertThat(archive.headers().firstValue("content-type")).contains("application/gzip");
            assertThat(archive.headers().firstValueAsLong("content-length")).hasValue(want.length);
            assertThat(archive.headers().firstValue("cache-control")).contains("public, max-age=31536000, immutable");
            assertThat(archive.headers().firstValue("accept-ranges")).contains("bytes");
            String etag = archive.headers().firstValue("etag").orElseThrow();

            HttpResponse<byte[]> again = get(g.url() + "/dl/" + LINUX, "If-None-Match", etag);
            assertThat(again.statusCode()).isEqualTo(304);
            assertThat(again.body()).isEmpty();

            HttpResponse<byte[]> range = get(g.url() + "/dl/" + LINUX, "Range", "bytes=1000000-1000099");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.headers().firstValue("content-range")).contains("bytes 1000000-1000099/" + want.length);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(want, 1_000_000, 1_000_100));

            HttpResponse<byte[]> head = http.send(
                    HttpRequest.newBuilder(URI.create(g.url() + "/dl/" + LINUX))
                            .method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("content-length")).hasValue(want.length);

            assertThat(text(get(g.url() + "/dl/" + LINUX + ".sha256")))
                    .isEqualTo(FakeReleaseSite.sha256(site.dir().resolve(LINUX)));
            assertThat(get(g.url() + "/dl/" + LINUX + ".asc").body())
                    .isEqualTo(Files.readAllBytes(site.dir().resolve(LINUX + ".asc")));
            // Fetched once from the site, however often it was asked for since.
            assertThat(site.hits(LINUX)).isEqualTo(1);
            assertThat(get(g.url() + "/dl/" + WINDOWS).headers().firstValue("content-type"))
                    .contains("application/zip");

            HttpResponse<byte[]> unknown = get(g.url() + "/dl/go9.9.9.linux-amd64.tar.gz");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(text(unknown)).contains("not in the release listing");
            assertThat(get(g.url() + "/dl/../../etc/passwd").statusCode()).isEqualTo(404);
            assertThat(get(g.url() + "/dl/a/b").statusCode()).isEqualTo(404);

            String metrics = text(get(g.url() + "/metrics"));
            assertThat(metrics).contains("granary_dl_committed_total 2.0");
            assertThat(metrics).containsPattern("granary_http_requests_seconds_count\\{kind=\"dl\",status=\"206\"\\}");
            assertThat(metrics)
                    .containsPattern("granary_http_requests_seconds_count\\{kind=\"dl-listing\",status=\"200\"\\}");
        }
    }

    @Test
    void everyUnverifiableArchiveIsRefusedWithItsReasonAndNothingIsStored() throws Exception {
        Path storage = tmp.resolve("refusals");
        try (FakeReleaseSite site = site(tmp.resolve("site-refusals"));
                TestServers.Running g = granary(storage, site)) {
            // A tampered archive.
            byte[] evil = Files.readAllBytes(site.dir().resolve(LINUX));
            evil[4242] ^= 0x20;
            site.override(LINUX, evil);
            HttpResponse<byte[]> tampered = get(g.url() + "/dl/" + LINUX);
            assertThat(tampered.statusCode()).isEqualTo(502);
            assertThat(text(tampered)).contains(LINUX).contains("SHA-256 mismatch");
            assertThat(tampered.headers().firstValue("cache-control")).contains("no-store");

            // A listing that gives another SHA-256 (the archive and its signature are genuine).
            site.listSha256(DARWIN, "f".repeat(64));
            HttpResponse<byte[]> wrongSha = get(g.url() + "/dl/" + DARWIN);
            assertThat(wrongSha.statusCode()).isEqualTo(502);
            assertThat(text(wrongSha)).contains("SHA-256 mismatch").contains("f".repeat(64));

            // A signature by another key (which the keyring file holds, but is not the pinned one).
            sign(otherKey, site.dir().resolve(WINDOWS));
            HttpResponse<byte[]> otherSigner = get(g.url() + "/dl/" + WINDOWS);
            assertThat(otherSigner.statusCode()).isEqualTo(502);
            assertThat(text(otherSigner)).contains("signature refused").contains(otherKey);

            // No signature at all.
            site.status(SOURCE + ".asc", 404);
            HttpResponse<byte[]> unsigned = get(g.url() + "/dl/" + SOURCE);
            assertThat(unsigned.statusCode()).isEqualTo(502);
            assertThat(text(unsigned)).contains("no signature");
            assertThat(site.hits(SOURCE)).isZero();
            // Its checksum and signature are not answered either.
            assertThat(get(g.url() + "/dl/" + SOURCE + ".sha256").statusCode()).isEqualTo(502);

            assertThat(stored(storage)).isEmpty();
            String metrics = text(get(g.url() + "/metrics"));
            assertThat(metrics).contains("granary_verification_failures_total{reason=\"dl-sha256-mismatch\"} 2.0");
            assertThat(metrics).contains("granary_verification_failures_total{reason=\"dl-signature-refused\"} 1.0");
            assertThat(metrics)
                    .containsPattern(
                            "granary_verification_failures_total\\{reason=\"dl-signature-missing\"\\} [12]\\.0");

            // Once the site is honest again, the same files are fetched, verified and stored.
            site.clearFaults();
            sign(releaseKey, site.dir().resolve(WINDOWS));
            assertThat(get(g.url() + "/dl/" + LINUX).body())
                    .isEqualTo(Files.readAllBytes(site.dir().resolve(LINUX)));
            assertThat(get(g.url() + "/dl/" + WINDOWS).statusCode()).isEqualTo(200);
            assertThat(stored(storage)).contains(LINUX, LINUX + ".asc", LINUX + ".sha256", WINDOWS);
        }
    }

    @Test
    void withTheSiteGoneTheListingAndStoredArchivesAreStillServed() throws Exception {
        Path storage = tmp.resolve("gone");
        FakeReleaseSite site = site(tmp.resolve("site-gone"));
        byte[] listing;
        try (TestServers.Running g = granary(storage, site)) {
            listing = get(g.url() + "/dl/?mode=json&include=all").body();
            assertThat(get(g.url() + "/dl/" + DARWIN).statusCode()).isEqualTo(200);
            site.close();
            HttpResponse<byte[]> stale = get(g.url() + "/dl/?mode=json&include=all");
            assertThat(stale.statusCode()).isEqualTo(200);
            assertThat(stale.body()).isEqualTo(listing);
            assertThat(get(g.url() + "/dl/" + DARWIN).body())
                    .isEqualTo(Files.readAllBytes(site.dir().resolve(DARWIN)));
            HttpResponse<byte[]> missing = get(g.url() + "/dl/" + LINUX);
            assertThat(missing.statusCode()).isIn(502, 504);
            assertThat(text(get(g.url() + "/metrics"))).containsPattern("granary_dl_listing_stale_total [1-9]");
        }
        // A restart with the site still gone: the stored listing.
        try (TestServers.Running g = granary(storage, site)) {
            assertThat(get(g.url() + "/dl/?mode=json&include=all").body()).isEqualTo(listing);
            assertThat(get(g.url() + "/dl/" + DARWIN + ".sha256").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void prefetchFillsAStorageThatAnOfflineGranaryServesAlone() throws Exception {
        Path storage = tmp.resolve("prefetched");
        try (FakeReleaseSite site = site(tmp.resolve("site-prefetch"))) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cmd = Main.commandLine();
            cmd.setOut(new PrintWriter(out, true));
            cmd.setErr(new PrintWriter(err, true));
            int exit = cmd.execute(
                    "dl",
                    "prefetch",
                    "--versions",
                    "1.26.x,1.25.9",
                    "--platforms",
                    "linux/amd64,darwin/arm64,src",
                    "--storage",
                    storage.toString(),
                    "--dl-upstream",
                    site.baseUrl().toString(),
                    "--dl-keyring",
                    keyring.toString(),
                    "--dl-key-fingerprint",
                    releaseKey,
                    "--upstream",
                    "off",
                    "--sumdb",
                    "off");
            // go1.25.9 has no darwin/arm64 archive and no source archive: reported, and the exit status says so.
            assertThat(exit).as(err.toString()).isEqualTo(1);
            assertThat(err.toString())
                    .contains("go1.25.9 has no archive for darwin/arm64")
                    .contains("go1.25.9 has no source archive");
            assertThat(out.toString())
                    .contains("ok " + LINUX)
                    .contains("ok " + DARWIN)
                    .contains("ok " + SOURCE)
                    .contains("ok " + OLD)
                    .doesNotContain(WINDOWS);
        }
        try (TestServers.Running offline = granary(storage, null)) {
            JsonNode listing = new ObjectMapper()
                    .readTree(get(offline.url() + "/dl/?mode=json&include=all").body());
            List<String> files = listing.findValuesAsText("filename");
            assertThat(files).containsExactlyInAnyOrder(SOURCE, LINUX, DARWIN, OLD);
            assertThat(get(offline.url() + "/dl/" + LINUX).statusCode()).isEqualTo(200);
            HttpResponse<byte[]> notHere = get(offline.url() + "/dl/" + WINDOWS);
            assertThat(notHere.statusCode()).isEqualTo(404);
            assertThat(text(notHere)).contains("dl.upstream is off");
        }
    }
}
