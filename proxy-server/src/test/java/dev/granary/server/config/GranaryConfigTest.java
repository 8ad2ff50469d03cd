package dev.granary.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GranaryConfigTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsNeedNoFileAndPutStorageUnderTheUserCacheDir() {
        GranaryConfig c = GranaryConfig.load(Map.of(), Map.of("HOME", "/home/u"), Optional.empty());
        assertThat(c.port()).isEqualTo(3000);
        assertThat(c.get(ConfigKey.UPSTREAM)).isEqualTo("https://proxy.golang.org");
        assertThat(c.storage(Map.of("HOME", "/home/u"))).isEqualTo(Path.of("/home/u/.cache/granary"));
        assertThat(c.storage(Map.of("HOME", "/home/u", "XDG_CACHE_HOME", "/xdg")))
                .isEqualTo(Path.of("/xdg/granary"));
        assertThat(c.bytes(ConfigKey.HOT_MAX_BYTES)).isEqualTo(256L << 20);
    }

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
        Path yaml = tmp.resolve("granary.yaml");
        Files.writeString(yaml, """
                listen: 127.0.0.1:4000
                upstream: https://file.example
                storage: /from/file
                hot:
                  max-bytes: 64MiB
                """);
        GranaryConfig c = GranaryConfig.load(
                Map.of(ConfigKey.LISTEN, "127.0.0.1:5000"),
                Map.of("GRANARY_LISTEN", "127.0.0.1:6000", "GRANARY_UPSTREAM", "https://env.example"),
                Optional.of(yaml));
        assertThat(c.port()).isEqualTo(5000);
        assertThat(c.source(ConfigKey.LISTEN)).isEqualTo("flag");
        assertThat(c.get(ConfigKey.UPSTREAM)).isEqualTo("https://env.example");
        assertThat(c.source(ConfigKey.UPSTREAM)).isEqualTo("GRANARY_UPSTREAM");
        assertThat(c.get(ConfigKey.STORAGE)).isEqualTo("/from/file");
        assertThat(c.bytes(ConfigKey.HOT_MAX_BYTES)).isEqualTo(64L << 20);
        assertThat(c.duration(ConfigKey.CACHE_LIST_TTL)).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void everyKeyHasAnEnvironmentVariable() {
        for (ConfigKey k : ConfigKey.values()) {
            GranaryConfig c = GranaryConfig.load(Map.of(), Map.of(k.env(), ConfigSamples.of(k)), Optional.empty());
            assertThat(c.get(k)).as(k.env()).isEqualTo(ConfigSamples.of(k));
        }
        assertThat(ConfigKey.HOT_MAX_ITEM_BYTES.env()).isEqualTo("GRANARY_HOT_MAX_ITEM_BYTES");
    }

    @Test
    void unknownFileKeysAndBadValuesAreClearErrors() throws Exception {
        Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "hot:\n  max-byte: 1\n");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(), Map.of(), Optional.of(yaml)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key 'hot.max-byte'");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(ConfigKey.LISTEN, "nope"), Map.of(), Optional.empty()))
                .hasMessageContaining("HOST:PORT");
        assertThatThrownBy(
                        () -> GranaryConfig.load(Map.of(ConfigKey.HOT_MAX_BYTES, "lots"), Map.of(), Optional.empty()))
                .hasMessageContaining("hot.max-bytes");
        assertThatThrownBy(
                        () -> GranaryConfig.load(Map.of(ConfigKey.CACHE_LIST_TTL, "soon"), Map.of(), Optional.empty()))
                .hasMessageContaining("cache.list-ttl");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(ConfigKey.S3_REDIRECT, "maybe"), Map.of(), Optional.empty()))
                .hasMessageContaining("s3.redirect");
        assertThatThrownBy(() ->
                        GranaryConfig.load(Map.of(ConfigKey.FETCH_REDIRECTS, "sometimes"), Map.of(), Optional.empty()))
                .hasMessageContaining("fetch.redirects")
                .hasMessageContaining("same-host, any or none");
        assertThatThrownBy(() ->
                        GranaryConfig.load(Map.of(ConfigKey.FETCH_IDLE_TIMEOUT, "a while"), Map.of(), Optional.empty()))
                .hasMessageContaining("fetch.idle-timeout");
        assertThatThrownBy(() ->
                        GranaryConfig.load(Map.of(ConfigKey.HTTP_HEADER_TIMEOUT, "0s"), Map.of(), Optional.empty()))
                .hasMessageContaining("http.header-timeout");
        assertThatThrownBy(() ->
                        GranaryConfig.load(Map.of(ConfigKey.HTTP_MAX_CONNECTIONS, "0"), Map.of(), Optional.empty()))
                .hasMessageContaining("http.max-connections");
        assertThatThrownBy(() ->
                        GranaryConfig.load(Map.of(ConfigKey.READINESS_MIN_FREE, "120%"), Map.of(), Optional.empty()))
                .hasMessageContaining("readiness.min-free");
    }

    @Test
    void releaseArchiveTrustIsAPinnedUrlByDefaultOrAKeyringFile() {
        GranaryConfig d = GranaryConfig.load(Map.of(), Map.of(), Optional.empty());
        assertThat(d.dlUpstream()).contains(URI.create("https://go.dev/dl/"));
        assertThat(d.dlTrust().keyringFile()).isNull();
        assertThat(d.dlTrust().keyUrl()).hasToString("https://dl.google.com/linux/linux_signing_key.pub");
        assertThat(d.dlTrust().pins()).containsExactly("EB4C1BFD4F042F6DDDCCEC917721F63BD38B4796");

        GranaryConfig off = GranaryConfig.load(
                Map.of(
                        ConfigKey.DL_UPSTREAM,
                        "off",
                        ConfigKey.DL_KEYRING,
                        "/etc/keys.asc",
                        ConfigKey.DL_KEY_FINGERPRINT,
                        "none"),
                Map.of(),
                Optional.empty());
        assertThat(off.dlUpstream()).isEmpty();
        assertThat(off.dlTrust().keyringFile()).hasToString("/etc/keys.asc");
        assertThat(off.dlTrust().pins()).isEmpty();

        GranaryConfig spaced = GranaryConfig.load(
                Map.of(
                        ConfigKey.DL_UPSTREAM,
                        "https://mirror.example/go",
                        ConfigKey.DL_KEY_FINGERPRINT,
                        "EB4C 1BFD 4F04 2F6D DDCC  EC91 7721 F63B D38B 4796, 0123456789abcdef0123456789abcdef01234567"),
                Map.of(),
                Optional.empty());
        assertThat(spaced.dlUpstream()).contains(URI.create("https://mirror.example/go/"));
        assertThat(spaced.dlTrust().pins())
                .containsExactly(
                        "EB4C1BFD4F042F6DDDCCEC917721F63BD38B4796", "0123456789ABCDEF0123456789ABCDEF01234567");
    }

    @Test
    void badReleaseArchiveSettingsAreClearErrorsThatNeverEchoAUrl() {
        assertThatThrownBy(() -> GranaryConfig.load(
                        Map.of(ConfigKey.DL_UPSTREAM, "ftp://user:hunter2@mirror"), Map.of(), Optional.empty()))
                .hasMessageContaining("dl.upstream")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> GranaryConfig.load(
                        Map.of(ConfigKey.DL_KEY_FINGERPRINT, "D38B4796"), Map.of(), Optional.empty()))
                .hasMessageContaining("dl.key-fingerprint")
                .hasMessageContaining("40 or 64 hex digits");
        // A key fetched over the network must be pinned.
        assertThatThrownBy(() ->
                        GranaryConfig.load(Map.of(ConfigKey.DL_KEY_FINGERPRINT, "none"), Map.of(), Optional.empty()))
                .hasMessageContaining("pinned")
                .hasMessageContaining("dl.keyring");
    }

    @ParameterizedTest
    @CsvSource({
        "1GiB,1000000000000,1073741824",
        "5%,1000000000000,50000000000",
        "0%,1000,0",
        "100%,1000,1000",
        "0.5%,1000,5"
    })
    void minFreeIsASizeOrAShareOfTheFileSystem(String text, long total, long need) {
        GranaryConfig c = GranaryConfig.load(Map.of(ConfigKey.READINESS_MIN_FREE, text), Map.of(), Optional.empty());
        assertThat(c.sizeOrPercent(ConfigKey.READINESS_MIN_FREE).of(total)).isEqualTo(need);
    }

    @ParameterizedTest
    @CsvSource({"1024,1024", "64KiB,65536", "64k,65536", "256MiB,268435456", "1GB,1073741824", "2 MiB,2097152"})
    void sizesParse(String text, long bytes) {
        assertThat(GranaryConfig.parseBytes("k", text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource({"500ms,PT0.5S", "30s,PT30S", "5m,PT5M", "1h,PT1H", "2d,PT48H", "45,PT45S"})
    void durationsParse(String text, String iso) {
        assertThat(GranaryConfig.parseDuration("k", text)).isEqualTo(Duration.parse(iso));
    }

    @Test
    void theExampleConfigParsesAndDocumentsEveryKey() throws Exception {
        Path example = Path.of("../deploy/granary.yaml");
        assertThat(example).exists();
        Map<ConfigKey, String> keys = GranaryConfig.readYaml(example);
        String text = Files.readString(example);
        assertThat(Arrays.stream(ConfigKey.values())
                        .filter(k -> !text.contains(k.env()))
                        .toList())
                .as("keys without their env var documented")
                .isEmpty();
        GranaryConfig c = GranaryConfig.load(Map.of(), Map.of(), Optional.of(example));
        assertThat(c.port()).isEqualTo(3000);
        assertThat(keys).isNotEmpty();
    }
}
