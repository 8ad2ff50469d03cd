package dev.granary.core.git;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.testing.GitFixtures;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.zip.Dirhash;
import dev.granary.core.zip.ModuleZips;
import dev.granary.core.zip.ZipCheck;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of the git upstream, tested differentially: for every version of the test repositories,
 * what GitUpstream answers (version, time, origin, zip and go.mod h1, version lists) equals what the real go
 * command computes with {@code GOPROXY=direct} against the same git server, for every Go on the machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GitUpstreamGoIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path tmp;
    private GitFixtures fixtures;
    private GitUpstream git;
    /** Granary's answers, computed once: query -> {Version, Time, Sum, GoModSum, Origin}. */
    private final Map<String, Map<String, String>> granary = new LinkedHashMap<>();

    private final Map<String, List<String>> granaryLists = new LinkedHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        tmp = dir;
        fixtures = GitFixtures.start(tmp.resolve("repos"));
        Path netrc = tmp.resolve("netrc");
        Files.writeString(
                netrc,
                "machine " + fixtures.host() + " login " + GitFixtures.USER + " password " + GitFixtures.PASSWORD
                        + "\n");
        GitRoutes routes = GitRoutes.parse(
                fixtures.host() + "/secret go-get insecure netrc=" + netrc + "\n" + fixtures.host()
                        + " go-get insecure",
                Map.of());
        git = new GitUpstream(
                routes,
                new GitUpstream.Settings(
                        tmp.resolve("mirrors"), Duration.ofMinutes(1), 1L << 30, Duration.ofSeconds(1)),
                HttpClient.newHttpClient(),
                new SimpleMeterRegistry());
        for (String q : fixtures.queries()) {
            granary.put(q, granaryAnswer(q));
        }
        for (String m : fixtures.modules()) {
            String list =
                    new String(git.fetch(ModuleEscaping.escapePath(m) + "/@v/list", 1 << 20), StandardCharsets.UTF_8);
            granaryLists.put(m, list.isEmpty() ? List.of() : List.of(list.split("\n")));
        }
    }

    @AfterAll
    void stop() {
        if (git != null) {
            git.close();
        }
        if (fixtures != null) {
            fixtures.close();
        }
    }

    private Map<String, String> granaryAnswer(String q) throws IOException {
        int at = q.lastIndexOf('@');
        String module = q.substring(0, at);
        String query = q.substring(at + 1);
        String escaped = ModuleEscaping.escapePath(module);
        byte[] info = query.equals("latest")
                ? git.fetch(escaped + "/@latest", 1 << 20)
                : git.fetch(escaped + "/@v/" + ModuleEscaping.escapeVersion(query) + ".info", 1 << 20);
        JsonNode n = JSON.readTree(info);
        String version = n.get("Version").asText();
        // A query answers the canonical version, whose own .info must say the same.
        JsonNode canonical =
                JSON.readTree(git.fetch(escaped + "/@v/" + ModuleEscaping.escapeVersion(version) + ".info", 1 << 20));
        assertThat(canonical.get("Version").asText()).isEqualTo(version);
        ModuleVersion mv = ModuleVersion.of(module, version);
        byte[] mod = git.fetch(escaped + "/@v/" + mv.escapedVersion() + ".mod", 16 << 20);
        Path zip = tmp.resolve("zip-" + granary.size() + ".zip");
        git.download(escaped + "/@v/" + mv.escapedVersion() + ".zip", zip, 500L << 20);
        // The zip must also pass the checks the fetch pipeline applies to any upstream's zip.
        ZipCheck check = ModuleZips.check(zip, mv);
        Map<String, String> out = new LinkedHashMap<>();
        out.put("Version", version);
        out.put("Time", n.get("Time").asText());
        out.put("Sum", check.h1());
        out.put("GoModSum", Dirhash.hashGoMod(mod));
        out.put("Origin", n.get("Origin") == null ? "" : n.get("Origin").toString());
        return out;
    }

    private GoCommand go(GoToolchain bin, String name) throws IOException {
        GoCommand go = new GoCommand(bin, tmp.resolve(name))
                .env("GOPROXY", "direct")
                .env("GOVCS", fixtures.host() + ":git")
                .env("GOPRIVATE", fixtures.host())
                .env("GOINSECURE", fixtures.host())
                .env("GOSUMDB", "off")
                .env("GOFLAGS", "")
                .env("GIT_TERMINAL_PROMPT", "0")
                .env("GIT_CONFIG_NOSYSTEM", "1");
        Files.writeString(
                go.home().resolve(".netrc"),
                "machine " + fixtures.host() + " login " + GitFixtures.USER + " password " + GitFixtures.PASSWORD
                        + "\n");
        return go;
    }

    @EachGoToolchain
    void everyVersionHashesAsTheGoCommandComputesItFromGit(GoToolchain bin) throws Exception {
        GoCommand go = go(bin, "download-" + bin.version());
        List<String> mismatches = new ArrayList<>();
        int tagSums = 0;
        boolean go124 = !go.run(tmp, "version").assertSuccess().output().contains("go1.19");
        for (String q : fixtures.queries()) {
            if (GitFixtures.needsGo124(q) && !go124) {
                continue;
            }
            GoCommand.Result r = go.run(tmp, "mod", "download", "-json", q);
            JsonNode d = JSON.readTree(r.output());
            assertThat(d.has("Error"))
                    .as(q + " with " + bin + ": " + r.output())
                    .isFalse();
            Map<String, String> want = new LinkedHashMap<>();
            want.put("Version", d.get("Version").asText());
            JsonNode info =
                    JSON.readTree(Files.readAllBytes(Path.of(d.get("Info").asText())));
            want.put("Time", info.get("Time").asText());
            want.put("Sum", d.get("Sum").asText());
            want.put("GoModSum", d.get("GoModSum").asText());
            Map<String, String> got = new LinkedHashMap<>(granary.get(q));
            String origin = got.remove("Origin");
            if (!want.equals(got)) {
                mismatches.add(q + ":\n  go      " + want + "\n  granary " + got);
            }
            // The origin of the answer: what it depends on (ref, tags). The -json output carries it whole
            // (Go 1.21+); the module cache's .info file has it cleaned as writeDiskStat does.
            JsonNode whole = d.get("Origin");
            if (whole != null && whole.has("TagSum")) {
                tagSums++;
            }
            JsonNode goOrigin = whole != null ? whole : info.get("Origin");
            if (goOrigin != null && !q.endsWith("@latest")) {
                ObjectNode ours = (ObjectNode) JSON.readTree(origin);
                if (whole == null) {
                    ours.remove(List.of("TagSum", "TagPrefix", "RepoSum"));
                    if (PseudoVersion.isPseudoVersion(want.get("Version"))) {
                        ours.remove("Ref");
                    }
                }
                for (String field : List.of("VCS", "URL", "Hash", "Subdir", "Ref", "TagPrefix", "TagSum")) {
                    String a = goOrigin.path(field).asText();
                    String b = ours.path(field).asText();
                    if (!a.equals(b)) {
                        mismatches.add(q + ": Origin." + field + " go=" + a + " granary=" + b);
                    }
                }
            }
        }
        assertThat(mismatches).as("differences from " + bin).isEmpty();
        assertThat(tagSums)
                .as("answers whose whole origin, tag sum included, was compared")
                .isGreaterThanOrEqualTo(5);
    }

    @EachGoToolchain
    void versionListsEqualTheGoCommands(GoToolchain bin) throws Exception {
        GoCommand go = go(bin, "list-" + bin.version());
        for (String m : fixtures.modules()) {
            GoCommand.Result r = go.run(tmp, "list", "-m", "-versions", "-json", m + "@latest");
            JsonNode d = JSON.readTree(r.output());
            assertThat(d.has("Error"))
                    .as(m + " with " + bin + ": " + r.output())
                    .isFalse();
            List<String> want = new ArrayList<>();
            for (Iterator<JsonNode> it = d.path("Versions").elements(); it.hasNext(); ) {
                want.add(it.next().asText());
            }
            assertThat(granaryLists.get(m)).as(m + " with " + bin).isEqualTo(want);
        }
    }

    @Test
    void queriesByBranchTagAndHashResolveToTheSameVersion() {
        String dev = granary.get(fixtures.module("plain") + "@dev").get("Version");
        String byHash = granary.get(fixtures.module("plain") + "@"
                        + fixtures.commits.get("plain-dev-1").substring(0, 12))
                .get("Version");
        assertThat(dev)
                .startsWith("v1.1.1-0.")
                .endsWith(fixtures.commits.get("plain-dev-2").substring(0, 12));
        assertThat(byHash)
                .startsWith("v1.1.1-0.")
                .endsWith(fixtures.commits.get("plain-dev-1").substring(0, 12));
        assertThat(granary.get(fixtures.module("plain") + "@pre").get("Version"))
                .startsWith("v1.2.0-rc.1.0.");
        assertThat(granary.get(fixtures.module("untagged") + "@latest").get("Version"))
                .startsWith("v0.0.0-");
        assertThat(granary.get(fixtures.module("mono/sub") + "@main").get("Version"))
                .startsWith("v1.1.1-0.");
        assertThat(granary.get(fixtures.module("major/v3") + "@main").get("Version"))
                .startsWith("v3.0.1-0.");
        assertThat(granary.get(fixtures.module("incompat") + "@latest").get("Version"))
                .isEqualTo("v2.1.0+incompatible");
    }
}
