package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog page in a real headless Chromium (Debian's), driven by Playwright
 * ({@code src/test/browser/catalog.test.mjs}), against a Granary on loopback that fetched public
 * modules verified by a real checksum database and a pinned private one: search, a module's versions
 * with h1 and verification state, hostile input as text, and a screenshot checked pixel by pixel.
 */
class CatalogBrowserIT {
    private static final Path BROWSER_TESTS = Path.of("src/test/browser").toAbsolutePath();
    private static final String PRIVATE = "git.corp.example/Team/lib";

    @TempDir
    Path tmp;

    @Test
    void theCatalogWorksInChromium() throws Exception {
        Path node = ExternalTools.require("node", "apt-get install nodejs");
        ExternalTools.require("chromium", "apt-get install chromium");
        if (!Files.isDirectory(BROWSER_TESTS.resolve("node_modules/playwright-core"))) {
            ExternalTools.require(
                    "(playwright-core in " + BROWSER_TESTS + "/node_modules)", "npm ci in " + BROWSER_TESTS);
        }
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        Map<String, List<String>> modules = new LinkedHashMap<>();
        modules.put("example.com/quote", List.of("v1.5.2", "v1.5.1", "v1.4.0"));
        modules.put("example.com/sampler", List.of("v1.3.0"));
        modules.put(PRIVATE, List.of("v0.2.0"));
        modules.forEach((m, vs) -> vs.forEach(v -> {
            try {
                tree.addSimple(m, v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
        Path storage = tmp.resolve("storage");
        HttpClient http = HttpClient.newHttpClient();
        try (TestSumdb db = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        storage,
                        upstream.uri().toString(),
                        Map.of(
                                ConfigKey.SUMDB,
                                db.verifierKey() + " " + db.url(),
                                ConfigKey.NOSUMDB,
                                "git.corp.example"))) {
            ObjectNode want = new ObjectMapper().createObjectNode();
            want.put("database", db.name());
            want.put("search", "quote");
            want.put("searchFinds", "example.com/quote");
            want.put("private", PRIVATE);
            ArrayNode ms = want.putArray("modules");
            for (Map.Entry<String, List<String>> e : modules.entrySet()) {
                ObjectNode m = ms.addObject().put("path", e.getKey());
                ArrayNode vs = m.putArray("versions");
                for (String v : e.getValue()) {
                    ModuleVersion mv = ModuleVersion.of(e.getKey(), v);
                    HttpResponse<Void> r = http.send(
                            HttpRequest.newBuilder(URI.create(granary.url() + "/" + StorageLayout.path(mv, ".zip")))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
                    assertThat(r.statusCode()).as(mv.toString()).isEqualTo(200);
                    GoSum sum = GoSum.find(
                            Files.readString(
                                    storage.resolve(StorageLayout.sum(mv).value())),
                            mv);
                    vs.addObject().put("version", v).put("h1", sum.zipH1()).put("goModH1", sum.modH1());
                }
            }
            Path expectations = Files.writeString(tmp.resolve("expectations.json"), want.toString());
            // Kept in target/ for a look: the page as a person sees it.
            Path shot = Path.of("target/catalog-screenshot.png").toAbsolutePath();
            ExternalTools.Result r = ExternalTools.run(
                    BROWSER_TESTS,
                    Map.of("HOME", tmp.toString()),
                    300,
                    node.toString(),
                    "catalog.test.mjs",
                    granary.url(),
                    shot.toString(),
                    expectations.toString());
            System.out.println(r.out());
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.out()).contains("8 passed, 0 failed");
            checkScreenshot(shot);
        }
    }

    /** The screenshot shows the page: its size, the dark header band, the table's light panel, and many colours (text). */
    private static void checkScreenshot(Path shot) throws Exception {
        BufferedImage img = ImageIO.read(shot.toFile());
        assertThat(img.getWidth()).isEqualTo(1280);
        assertThat(img.getHeight()).isEqualTo(900);
        // The header's background (#2b2116) at its left edge.
        assertThat(img.getRGB(4, 4) & 0xffffff).isEqualTo(0x2b2116);
        // Below it, the page background or panels: light.
        int body = img.getRGB(640, 880) & 0xffffff;
        assertThat((body >> 16 & 0xff) + (body >> 8 & 0xff) + (body & 0xff))
                .as("light page body")
                .isGreaterThan(600);
        Set<Integer> colours = new HashSet<>();
        int dark = 0;
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                int c = img.getRGB(x, y) & 0xffffff;
                colours.add(c);
                if (y > 80 && (c >> 16 & 0xff) + (c >> 8 & 0xff) + (c & 0xff) < 200) {
                    dark++;
                }
            }
        }
        assertThat(colours.size()).as("distinct colours: text, badges, bars").isGreaterThan(50);
        assertThat(dark).as("dark pixels of text below the header").isGreaterThan(500);
    }
}
