package dev.granary.server;

import dev.granary.core.git.GitRoutes;
import dev.granary.core.git.GitUpstream;
import dev.granary.core.git.RoutedUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The git routes, wired: which upstream the module service uses, and which patterns are private.
 *
 * <p>Routes imply no-sumdb: a module that comes from a company's git server is not in a public checksum
 * database, and asking for it would tell the database the private module path (GOPRIVATE implies GONOSUMDB
 * for the same reason). Such versions are pinned at their first fetch instead.
 *
 * @param modules   the upstream of the module service: the git routes first, then the proxy chain
 * @param noSumdb   the configured no-sumdb patterns plus the routes' patterns
 * @param git       the git upstream, or null without routes
 * @param tempMirrors a mirror directory to delete on close (S3 deployments), or null
 */
record GitSetup(Upstream modules, String noSumdb, GitUpstream git, Path tempMirrors) implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GitSetup.class);

    /**
     * @throws IllegalArgumentException for a malformed route, or {@code direct} in the upstream list without routes
     */
    static GitSetup create(
            GranaryConfig config,
            Map<String, String> env,
            Path storageRoot,
            boolean s3,
            UpstreamChain proxies,
            MeterRegistry registry)
            throws IOException {
        GitRoutes routes = GitRoutes.parse(config.get(ConfigKey.GIT_ROUTES), env);
        String noSumdb = config.get(ConfigKey.NOSUMDB) == null ? "" : config.get(ConfigKey.NOSUMDB);
        if (routes.isEmpty()) {
            if (proxies.includesDirect()) {
                throw new IllegalArgumentException(
                        "upstream list: 'direct' means the git routes, and git.routes is empty "
                                + "(set git.routes, e.g. 'git.corp.example/* https://git.corp.example/{1}.git', or remove 'direct')");
            }
            return new GitSetup(proxies, noSumdb, null, null);
        }
        Path tempMirrors = null;
        Path mirrors;
        String configured = config.get(ConfigKey.GIT_MIRROR_DIR);
        if (configured != null && !configured.isBlank()) {
            mirrors = Path.of(configured);
        } else if (s3) {
            tempMirrors = Files.createTempDirectory("granary-git-");
            mirrors = tempMirrors;
        } else {
            mirrors = storageRoot.resolve(".git-mirrors");
        }
        Files.createDirectories(mirrors);
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(config.duration(ConfigKey.FETCH_CONNECT_TIMEOUT))
                .build();
        GitUpstream git = new GitUpstream(
                routes,
                new GitUpstream.Settings(
                        mirrors,
                        config.duration(ConfigKey.GIT_TIMEOUT),
                        config.bytes(ConfigKey.GIT_MAX_REPO_BYTES),
                        config.duration(ConfigKey.CACHE_LIST_TTL)),
                client,
                registry);
        String patterns = noSumdb.isBlank() ? routes.patterns() : noSumdb + "," + routes.patterns();
        for (GitRoutes.Route r : routes.routes()) {
            log.info("git route {}", r);
        }
        log.info("git mirrors under {}", mirrors);
        return new GitSetup(new RoutedUpstream(git, proxies), patterns, git, tempMirrors);
    }

    @Override
    public void close() {
        if (git != null) {
            git.close();
        }
        if (tempMirrors != null) {
            try (Stream<Path> s = Files.walk(tempMirrors)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | RuntimeException e) {
                log.warn("removing {}: {}", tempMirrors, e.toString());
            }
        }
    }
}
