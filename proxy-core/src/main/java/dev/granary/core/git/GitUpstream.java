package dev.granary.core.git;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.ProxyRequest;
import dev.granary.core.protocol.RequestParser;
import dev.granary.core.upstream.Upstream;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers the GOPROXY protocol for modules under {@link GitRoutes}, computed from git as the go command
 * computes them with {@code GOPROXY=direct}: {@code @v/list}, {@code @latest}, {@code .info} for versions and
 * for queries (branch, tag, commit hash; answered with the canonical version), {@code .mod} and {@code .zip}.
 *
 * <p>Each repository is a bare mirror under {@code mirrorDir} (see {@link GitMirror}); no {@code git} or
 * {@code go} binary is involved. Paths that no route matches are not found here. Every answer is computed; the
 * fetch pipeline in front verifies, pins and stores it like any upstream's.
 */
public final class GitUpstream implements Upstream, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param mirrorDir    where the bare mirrors live
     * @param timeout      bound of one fetch (and of a go-import meta request)
     * @param maxRepoBytes bound of one mirror's size
     * @param freshness    how old a mirror may be when answering list, @latest and branch queries
     */
    public record Settings(Path mirrorDir, Duration timeout, long maxRepoBytes, Duration freshness) {}

    private final GitRoutes routes;
    private final Settings settings;
    private final RepoResolver resolver;
    private final MeterRegistry registry;
    private final Map<URI, GitMirror> mirrors = new ConcurrentHashMap<>();

    public GitUpstream(GitRoutes routes, Settings settings, HttpClient client, MeterRegistry registry) {
        this.routes = routes;
        this.settings = settings;
        this.resolver = new RepoResolver(client, settings.timeout());
        this.registry = registry;
    }

    public GitRoutes routes() {
        return routes;
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        byte[] body = guarded(path, () -> switch (parse(path)) {
            case ProxyRequest.ListVersions l -> list(repo(l.module().value()));
            case ProxyRequest.Latest l -> info(repo(l.module().value()).latest());
            case ProxyRequest.Info i -> info(statCanonical(i.version()));
            case ProxyRequest.Query q -> info(repo(q.module().value()).stat(q.query()));
            case ProxyRequest.GoMod m ->
                repo(m.version().path().value()).goMod(m.version().version());
            default -> throw ProxyException.notFound("not found: " + path);
        });
        if (body.length > maxBytes) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, path + ": answer larger than " + maxBytes + " bytes");
        }
        return body;
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        return guarded(path, () -> {
            if (!(parse(path) instanceof ProxyRequest.Zip z)) {
                throw ProxyException.notFound("not found: " + path);
            }
            ModuleVersion mv = z.version();
            repo(mv.path().value()).zip(mv.version(), target);
            long size = Files.size(target);
            if (size > maxBytes) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, mv + ": zip larger than " + maxBytes + " bytes");
            }
            return size;
        });
    }

    private CodeRepo.RevInfo statCanonical(ModuleVersion mv) {
        CodeRepo.RevInfo info = repo(mv.path().value()).stat(mv.version());
        if (!info.version().equals(mv.version())) {
            throw ProxyException.notFound(mv + ": resolves to " + info.version());
        }
        return info;
    }

    private static ProxyRequest parse(String path) {
        return RequestParser.parse("/" + path);
    }

    private static byte[] list(CodeRepo repo) {
        StringBuilder b = new StringBuilder();
        repo.versions().forEach(v -> b.append(v).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The .info JSON as the go command writes it: Version, Time, Origin (fields in Go's order, empty ones left out). */
    static byte[] info(CodeRepo.RevInfo info) {
        Map<String, Object> origin = new LinkedHashMap<>();
        CodeRepo.Origin o = info.origin();
        putIfSet(origin, "VCS", o.vcs());
        putIfSet(origin, "URL", o.url());
        putIfSet(origin, "Subdir", o.subdir());
        putIfSet(origin, "Hash", o.hash());
        putIfSet(origin, "TagPrefix", o.tagPrefix());
        putIfSet(origin, "TagSum", o.tagSum());
        putIfSet(origin, "Ref", o.ref());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Version", info.version());
        m.put("Time", info.time().toString());
        m.put("Origin", origin);
        try {
            return JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putIfSet(Map<String, Object> m, String k, String v) {
        if (v != null && !v.isEmpty()) {
            m.put(k, v);
        }
    }

    /** The code repository of a module path: route, repository root, mirror. */
    private CodeRepo repo(String modulePath) {
        GitRoutes.Route route = routes.match(modulePath)
                .orElseThrow(() -> ProxyException.notFound(modulePath + ": no git route matches it"));
        RepoResolver.RepoRoot root = resolver.resolve(modulePath, route);
        GitMirror mirror = mirrors.computeIfAbsent(root.url(), u -> openMirror(u, route.credentials()));
        return new CodeRepo(mirror, settings.freshness(), root.root(), root.subdir(), modulePath);
    }

    private GitMirror openMirror(URI url, GitCredentials credentials) {
        try {
            GitMirror.Settings s =
                    new GitMirror.Settings(settings.timeout(), settings.maxRepoBytes(), settings.freshness());
            return new GitMirror(settings.mirrorDir().resolve(mirrorName(url)), url, credentials, s, registry);
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "opening the mirror of " + url + ": " + e.getMessage(), e);
        }
    }

    /** A directory name that is a function of the URL alone and cannot leave the mirror directory. */
    static String mirrorName(URI url) {
        try {
            byte[] h =
                    MessageDigest.getInstance("SHA-256").digest(url.toString().getBytes(StandardCharsets.UTF_8));
            String host = url.getHost().replaceAll("[^a-z0-9.\\-]", "_");
            return host + "-" + HexFormat.of().formatHex(h, 0, 12) + ".git";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Call<T> {
        T call() throws IOException;
    }

    /** Every failure becomes a ProxyException with a reason; nothing escapes as a 500. */
    private static <T> T guarded(String path, Call<T> call) {
        try {
            return call.call();
        } catch (ProxyException e) {
            if (e.kind() == Kind.INVALID) {
                throw ProxyException.notFound(e.getMessage());
            }
            throw e;
        } catch (IOException e) {
            throw new ProxyException(Kind.STORAGE_UNAVAILABLE, path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED,
                    path + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    e);
        }
    }

    @Override
    public String describe() {
        return "git(" + routes.patterns() + ")";
    }

    @Override
    public void close() {
        mirrors.values().forEach(GitMirror::close);
        mirrors.clear();
    }
}
