package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debian's promtool on the alerting rules, their unit tests, the dashboard's queries and a real scrape. */
class PromtoolIT {
    private static final String INSTALL = "apt-get install prometheus";
    private static final Path PROMETHEUS_DIR =
            Path.of("../deploy/prometheus").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @Test
    void theAlertingRulesAreValidAndFireOnGranarysSeries() throws Exception {
        Path promtool = ExternalTools.require("promtool", INSTALL);
        ExternalTools.Result check = ExternalTools.run(
                PROMETHEUS_DIR, Map.of(), 60, promtool.toString(), "check", "rules", "granary-rules.yaml");
        assertThat(check.code()).as(check.out()).isZero();
        assertThat(check.out()).contains("SUCCESS: 10 rules found");
        ExternalTools.Result test = ExternalTools.run(
                PROMETHEUS_DIR, Map.of(), 60, promtool.toString(), "test", "rules", "granary-rules.test.yaml");
        assertThat(test.code()).as(test.out()).isZero();
        assertThat(test.out()).contains("SUCCESS");
    }

    @Test
    void everyDashboardQueryParses() throws Exception {
        Path promtool = ExternalTools.require("promtool", INSTALL);
        // Grafana's variables replaced by what they stand for, each query as a recording rule: promtool parses them
        // all.
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> exprs = DashboardMetricsTest.expressions();
        for (int i = 0; i < exprs.size(); i++) {
            String e = exprs.get(i)
                    .replace("$__rate_interval", "5m")
                    .replace("$__range", "1h")
                    .replace("$job", ".*");
            rules.append("      - record: dashboard:query")
                    .append(i)
                    .append("\n        expr: '")
                    .append(e.replace("'", "''"))
                    .append("'\n");
        }
        Path file = Files.writeString(tmp.resolve("dashboard-queries.yaml"), rules);
        ExternalTools.Result r =
                ExternalTools.run(tmp, Map.of(), 60, promtool.toString(), "check", "rules", file.toString());
        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out()).contains("SUCCESS: " + exprs.size() + " rules found");
    }

    @Test
    void aRealScrapeIsLintClean() throws Exception {
        Path promtool = ExternalTools.require("promtool", INSTALL);
        Path scrape = Files.writeString(tmp.resolve("scrape.txt"), DashboardMetricsTest.scrapeAfterTraffic(tmp));
        assertThat(Files.readString(scrape))
                .contains("granary_http_requests_seconds_bucket")
                .contains("granary_versions_committed_total");
        ExternalTools.Result r =
                ExternalTools.run(tmp, Map.of(), 60, "sh", "-c", promtool + " check metrics < scrape.txt");
        assertThat(r.out()).as("promtool check metrics").isEmpty();
        assertThat(r.code()).isZero();
    }
}
