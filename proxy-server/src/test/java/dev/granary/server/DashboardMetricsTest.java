package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the Grafana dashboard and the alerting rules name is one that {@code /metrics} really
 * exports: a real server serves some traffic, is scraped, and each name in each query must be in the
 * scrape (a renamed meter would otherwise leave an empty panel or an alert that never fires).
 */
class DashboardMetricsTest {
    static final Path RULES = Path.of("../deploy/prometheus/granary-rules.yaml");
    static final Path DASHBOARD = Path.of("../deploy/grafana/granary-dashboard.json");
    /** Names of series the exporters write; anything else in a query is PromQL, a label or a function. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:granary|jvm|process|system)_[a-z0-9_]+)\\b");

    @TempDir
    Path tmp;

    /** Every PromQL expression of the rules file and the dashboard. */
    static List<String> expressions() throws Exception {
        List<String> out = new ArrayList<>();
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                out.add(rule.get("expr").asText());
            }
        }
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.get("expr").asText());
            }
        }
        return out;
    }

    /** Scrapes a server that fetched, served, refused and missed a few things. */
    static String scrapeAfterTraffic(Path tmp) throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/quote", "v1.5.2");
        tree.addSimple("example.com/quote", "v1.5.1");
        // A checksum database is configured (its meters exist) but these private modules are pinned, not looked up.
        String db = Notes.generateKey("sum.test.example").verifierKey();
        HttpClient http = HttpClient.newHttpClient();
        try (TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"),
                        upstream.uri().toString(),
                        Map.of(ConfigKey.SUMDB, db + " http://127.0.0.1:9", ConfigKey.NOSUMDB, "example.com"))) {
            for (String p : List.of(
                    "/example.com/quote/@v/v1.5.2.zip",
                    "/example.com/quote/@v/v1.5.2.zip",
                    "/example.com/quote/@v/v1.5.1.info",
                    "/example.com/quote/@v/list",
                    "/example.com/quote/@latest",
                    "/example.com/missing/@v/v1.0.0.info",
                    "/",
                    "/-/api/modules?q=quote",
                    "/healthz",
                    "/readyz")) {
                http.send(
                        HttpRequest.newBuilder(URI.create(granary.url() + p)).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            // GC pauses are timed once the first one happens, as in any server after its first minutes: have one.
            System.gc();
            String scrape;
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                scrape = http.send(
                                HttpRequest.newBuilder(URI.create(granary.url() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
            } while (!scrape.contains("jvm_gc_pause_seconds_sum") && System.nanoTime() < deadline);
            return scrape;
        }
    }

    static Set<String> exported(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExported() throws Exception {
        Set<String> exported = exported(scrapeAfterTraffic(tmp));
        Set<String> queried = new TreeSet<>();
        for (String expr : expressions()) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                queried.add(m.group(1));
            }
        }
        assertThat(queried).as("names found in the queries").hasSizeGreaterThan(25);
        assertThat(queried.stream().filter(n -> !exported.contains(n)).toList())
                .as("queried but not exported")
                .isEmpty();
        // The dashboard covers what operators look at.
        String dashboard = Files.readString(DASHBOARD);
        for (String needed : List.of(
                "granary_http_requests_seconds_bucket",
                "granary_cache_lookups_total",
                "granary_upstream_fetch_seconds_count",
                "granary_verification_failures_total",
                "granary_storage_operations_seconds_bucket",
                "granary_storage_disk_free_bytes",
                "jvm_memory_used_bytes",
                "jvm_gc_pause_seconds_sum")) {
            assertThat(dashboard).as(needed).contains(needed);
        }
    }
}
