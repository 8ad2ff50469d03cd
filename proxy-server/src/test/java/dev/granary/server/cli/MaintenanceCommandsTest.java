package dev.granary.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.GranaryServer;
import dev.granary.server.Main;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code granary gc} and {@code granary fsck} on the storage of a running server, as an operator
 * would use them: retention removes the version nobody asked for (and the server fetches it again
 * when asked), fsck finds a bit flipped on disk and repairs it.
 */
class MaintenanceCommandsTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    record Run(int code, String out, String err) {}

    private Run granary(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private String[] args(Path storage, String command, String... more) {
        return Stream.concat(
                        Stream.of(command, "--storage", storage.toString(), "--upstream", "off", "--sumdb", "off"),
                        Stream.of(more))
                .toArray(String[]::new);
    }

    private int status(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void gcRemovesWhatNobodyAskedForAndTheRunningServerFetchesItAgainWhenAsked() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/old", "v1.0.0");
        tree.addSimple("example.com/new", "v1.0.0");
        Path storage = tmp.resolve("storage");
        Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            flags.put(ConfigKey.LISTEN, "127.0.0.1:0");
            flags.put(ConfigKey.STORAGE, storage.toString());
            flags.put(ConfigKey.UPSTREAM, upstream.uri().toString());
            flags.put(ConfigKey.SUMDB, "off");
            // The GOCACHEPROG client would be a version of its own in storage, counted by gc and fsck.
            flags.put(ConfigKey.GOCACHE_CLIENT_MODULE, "false");
            // .info files fit the memory tier, zips do not: as with real modules.
            flags.put(ConfigKey.HOT_MAX_ITEM_BYTES, "128B");
            try (GranaryServer server =
                    new GranaryServer(GranaryConfig.load(flags, Map.of(), Optional.empty()), Map.of())) {
                InetSocketAddress addr = server.start();
                String base = "http://127.0.0.1:" + addr.getPort();
                for (String m : List.of("old", "new")) {
                    assertThat(status(base + "/example.com/" + m + "/@v/v1.0.0.zip"))
                            .isEqualTo(200);
                    assertThat(status(base + "/example.com/" + m + "/@v/v1.0.0.info"))
                            .isEqualTo(200);
                }
                Path oldInfo = storage.resolve("example.com/old/@v/v1.0.0.info");
                Files.setLastModifiedTime(oldInfo, FileTime.from(Instant.now().minus(Duration.ofDays(100))));

                assertThat(granary(args(storage, "gc")).err()).contains("gc.max-age is 0");
                Run dry = granary(args(storage, "gc", "--gc-max-age", "30d", "--dry-run"));
                assertThat(dry.code()).as(dry.err()).isZero();
                assertThat(dry.out())
                        .contains("would remove example.com/old@v1.0.0")
                        .doesNotContain("example.com/new")
                        .contains("dry run: 1 of 2 versions would be removed");
                assertThat(oldInfo).exists();

                Run gc = granary(args(storage, "gc", "--gc-max-age", "30d"));
                assertThat(gc.code()).as(gc.err()).isZero();
                assertThat(gc.out()).contains("removed example.com/old@v1.0.0").contains("1 of 2 versions removed");
                assertThat(oldInfo).doesNotExist();
                assertThat(storage.resolve("example.com/old/@v/v1.0.0.zip")).doesNotExist();
                assertThat(storage.resolve("example.com/new/@v/v1.0.0.zip")).exists();

                // The server's memory tier still holds the old .info: it notices the zip is gone and fetches the
                // version again.
                upstream.resetHits();
                assertThat(status(base + "/example.com/old/@v/v1.0.0.zip")).isEqualTo(200);
                assertThat(upstream.hits("example.com/old/@v/v1.0.0.zip")).isEqualTo(1);
                assertThat(oldInfo).exists();
            }
        }
    }

    @Test
    void fsckFindsABitFlippedOnDiskAndRepairMovesTheVersionAside() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/lib", "v1.2.3");
        Path storage = tmp.resolve("storage");
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
            flags.put(ConfigKey.LISTEN, "127.0.0.1:0");
            flags.put(ConfigKey.STORAGE, storage.toString());
            flags.put(ConfigKey.UPSTREAM, upstream.uri().toString());
            flags.put(ConfigKey.SUMDB, "off");
            flags.put(ConfigKey.GOCACHE_CLIENT_MODULE, "false");
            try (GranaryServer server =
                    new GranaryServer(GranaryConfig.load(flags, Map.of(), Optional.empty()), Map.of())) {
                assertThat(status("http://127.0.0.1:" + server.start().getPort() + "/example.com/lib/@v/v1.2.3.zip"))
                        .isEqualTo(200);
            }
        }
        Run clean = granary(args(storage, "fsck"));
        assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
        assertThat(clean.out()).contains("checked 1 versions").contains(": 0 corrupt");

        Path zip = storage.resolve("example.com/lib/@v/v1.2.3.zip");
        try (RandomAccessFile f = new RandomAccessFile(zip.toFile(), "rw")) {
            // A bit of the first file's compressed data (after the local header, its name and extra field).
            f.seek(26);
            int nameLength = f.read() | f.read() << 8;
            int extraLength = f.read() | f.read() << 8;
            long data = 30 + nameLength + extraLength + 2;
            f.seek(data);
            int b = f.read();
            f.seek(data);
            f.write(b ^ 0x01);
        }
        Run found = granary(args(storage, "fsck"));
        assertThat(found.code()).isEqualTo(1);
        assertThat(found.out())
                .contains("CORRUPT  version    example.com/lib@v1.2.3:")
                .contains(": 1 corrupt");
        assertThat(zip).exists();

        Run repaired = granary(args(storage, "fsck", "--repair"));
        assertThat(repaired.code()).isEqualTo(1);
        assertThat(repaired.out()).contains("[moved to quarantine]").contains("copies kept under quarantine/");
        assertThat(zip).doesNotExist();
        assertThat(storage.resolve("example.com/lib/@v/v1.2.3.info")).doesNotExist();
        try (Stream<Path> q = Files.walk(storage.resolve("quarantine"))) {
            assertThat(q.filter(p -> p.toString().endsWith("example.com/lib/@v/v1.2.3.zip")))
                    .hasSize(1);
        }
        assertThat(granary(args(storage, "fsck")).code()).isZero();
    }
}
