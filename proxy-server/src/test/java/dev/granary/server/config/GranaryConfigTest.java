package dev.granary.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        assertThat(c.storage(Map.of("HOME", "/home/u", "XDG_CACHE_HOME", "/xdg"))).isEqualTo(Path.of("/xdg/granary"));
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
        GranaryConfig c = GranaryConfig.load(Map.of(ConfigKey.LISTEN, "127.0.0.1:5000"),
                Map.of("GRANARY_LISTEN", "127.0.0.1:6000", "GRANARY_UPSTREAM", "https://env.example"), Optional.of(yaml));
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
            GranaryConfig c = GranaryConfig.load(Map.of(), Map.of(k.env(), sample(k)), Optional.empty());
            assertThat(c.get(k)).as(k.env()).isEqualTo(sample(k));
        }
        assertThat(ConfigKey.HOT_MAX_ITEM_BYTES.env()).isEqualTo("GRANARY_HOT_MAX_ITEM_BYTES");
    }

    private static String sample(ConfigKey k) {
        return switch (k) {
            case LISTEN -> "127.0.0.1:1234";
            case HOT_MAX_BYTES, HOT_MAX_ITEM_BYTES, FETCH_MAX_ZIP_BYTES, GIT_MAX_REPO_BYTES -> "12MiB";
            case CACHE_LIST_TTL, CACHE_NOT_FOUND_TTL, FETCH_TIMEOUT, FETCH_CONNECT_TIMEOUT, SHUTDOWN_GRACE,
                 S3_REDIRECT_EXPIRY, S3_LEASE_TTL, GIT_TIMEOUT -> "7s";
            case S3_PATH_STYLE, S3_LOCAL_CACHE, S3_REDIRECT -> "true";
            case FETCH_RETRIES -> "3";
            default -> "x-" + k.name().toLowerCase();
        };
    }

    @Test
    void unknownFileKeysAndBadValuesAreClearErrors() throws Exception {
        Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "hot:\n  max-byte: 1\n");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(), Map.of(), Optional.of(yaml)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown key 'hot.max-byte'");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(ConfigKey.LISTEN, "nope"), Map.of(), Optional.empty()))
                .hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(ConfigKey.HOT_MAX_BYTES, "lots"), Map.of(), Optional.empty()))
                .hasMessageContaining("hot.max-bytes");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(ConfigKey.CACHE_LIST_TTL, "soon"), Map.of(), Optional.empty()))
                .hasMessageContaining("cache.list-ttl");
        assertThatThrownBy(() -> GranaryConfig.load(Map.of(ConfigKey.S3_REDIRECT, "maybe"), Map.of(), Optional.empty()))
                .hasMessageContaining("s3.redirect");
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
        assertThat(Arrays.stream(ConfigKey.values()).filter(k -> !text.contains(k.env())).toList()).as("keys without their env var documented").isEmpty();
        GranaryConfig c = GranaryConfig.load(Map.of(), Map.of(), Optional.of(example));
        assertThat(c.port()).isEqualTo(3000);
        assertThat(keys).isNotEmpty();
    }
}
