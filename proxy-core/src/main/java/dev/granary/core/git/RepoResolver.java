package dev.granary.core.git;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the repository holding a module path, with the go command's rules (cmd/go/internal/vcs
 * RepoRootForImportPath) restricted to git: a route's URL template; else the {@code host/path/repo.git/sub}
 * form; else the {@code go-import} meta tag of {@code https://<path>?go-get=1}, confirmed at the prefix it names.
 * Answers are cached for a few minutes (the meta tag of a repository rarely moves).
 */
final class RepoResolver {

    /**
     * Where a module's code lives.
     *
     * @param root   the module path prefix that is the repository root (codeRoot)
     * @param url    the repository URL, already checked
     * @param subdir the go-import subdirectory (Go 1.25), or ""
     */
    record RepoRoot(String root, URI url, String subdir, GitRoutes.Route route) {}

    // cmd/go/internal/vcs: the general ".git" form, which must come last among the static patterns.
    private static final Pattern GIT_SUFFIX = Pattern.compile(
            "(?<root>(?<repo>([a-z0-9.\\-]+\\.)+[a-z0-9.\\-]+(:[0-9]+)?(/~?[\\w.\\-]+)+?)\\.git)(/~?[\\w.\\-]+)*");
    private static final Pattern META = Pattern.compile("<meta\\s+([^>]*)>", Pattern.CASE_INSENSITIVE);
    private static final Pattern ATTR =
            Pattern.compile("([a-zA-Z\\-]+)\\s*=\\s*(\"([^\"]*)\"|'([^']*)'|([^\\s\"'>]+))");
    private static final Pattern HEAD_END = Pattern.compile("</head\\s*>|<body[\\s>]", Pattern.CASE_INSENSITIVE);
    private static final int MAX_META_BYTES = 1 << 20;

    private final HttpClient client;
    private final Duration timeout;
    private final Cache<String, RepoRoot> cache = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(10))
            .build();

    RepoResolver(HttpClient client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    /** The repository of {@code modulePath} under {@code route}; NOT_FOUND when there is none. */
    RepoRoot resolve(String modulePath, GitRoutes.Route route) {
        RepoRoot cached = cache.getIfPresent(modulePath);
        if (cached != null && cached.route().equals(route)) {
            return cached;
        }
        RepoRoot r = resolveUncached(modulePath, route);
        cache.put(modulePath, r);
        return r;
    }

    private RepoRoot resolveUncached(String modulePath, GitRoutes.Route route) {
        if (route.template().isPresent()) {
            String[] elems = modulePath.split("/");
            int n = route.elements();
            if (elems.length < n) {
                throw ProxyException.notFound(modulePath + ": shorter than the route pattern " + route.pattern());
            }
            String root = String.join("/", Arrays.copyOf(elems, n));
            String url = GitRoutes.expand(route.template().get(), root);
            return new RepoRoot(root, checked(modulePath, url, route), "", route);
        }
        Matcher m = GIT_SUFFIX.matcher(modulePath);
        if (m.matches()) {
            String url = (route.insecure() ? "http://" : "https://") + m.group("repo");
            return new RepoRoot(m.group("root"), checked(modulePath, url, route), "", route);
        }
        MetaImport mi = matchGoImport(metaImports(modulePath, route), modulePath);
        if (!mi.prefix().equals(modulePath)) {
            // cmd/go: the meta tag at the root must agree, so a page cannot claim another project's path.
            MetaImport atRoot = matchGoImport(metaImports(mi.prefix(), route), mi.prefix());
            if (!atRoot.equals(mi)) {
                throw ProxyException.notFound(modulePath + ": the go-import meta tag at " + mi.prefix()
                        + " does not agree with the one at " + modulePath);
            }
        }
        if (!mi.vcs().equals("git")) {
            throw ProxyException.notFound(modulePath + ": the go-import meta tag names " + mi.vcs() + ", not git");
        }
        if (!mi.subdir().isEmpty()
                && (mi.subdir().startsWith("/")
                        || mi.subdir().contains("..")
                        || mi.subdir().contains("\\"))) {
            throw ProxyException.notFound(modulePath + ": go-import subdirectory '" + mi.subdir() + "' refused");
        }
        return new RepoRoot(mi.prefix(), checked(modulePath, mi.repo(), route), mi.subdir(), route);
    }

    private static URI checked(String modulePath, String url, GitRoutes.Route route) {
        try {
            return GitRoutes.checkRepositoryUrl(url, route.insecure());
        } catch (IllegalArgumentException e) {
            throw new ProxyException(Kind.FORBIDDEN, modulePath + ": " + e.getMessage());
        }
    }

    record MetaImport(String prefix, String vcs, String repo, String subdir) {}

    /** Fetches and parses the go-import tags for {@code path}: https, or http after an https failure when insecure. */
    private List<MetaImport> metaImports(String path, GitRoutes.Route route) {
        URI https = URI.create("https://" + path + "?go-get=1");
        try {
            return parse(get(https, route));
        } catch (IOException e) {
            if (!route.insecure()) {
                throw failed(path, https, e);
            }
        }
        URI http = URI.create("http://" + path + "?go-get=1");
        try {
            return parse(get(http, route));
        } catch (IOException e) {
            throw failed(path, http, e);
        }
    }

    private static ProxyException failed(String path, URI url, IOException e) {
        Kind kind = e instanceof HttpTimeoutException ? Kind.UPSTREAM_TIMEOUT : Kind.UPSTREAM_FAILED;
        return new ProxyException(
                kind,
                path + ": fetching " + url + ": " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }

    private String get(URI url, GitRoutes.Route route) throws IOException {
        HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(timeout).GET();
        route.credentials().authorization(url.getHost()).ifPresent(a -> req.header("Authorization", a));
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        try (InputStream in = resp.body()) {
            // Like cmd/go, the body is read whatever the status: a 404 page may still carry the tags.
            return new String(in.readNBytes(MAX_META_BYTES), StandardCharsets.UTF_8);
        }
    }

    /** cmd/go/internal/vcs parseMetaGoImports in IgnoreMod mode: meta tags in the head, 3 or 4 fields. */
    static List<MetaImport> parse(String html) {
        Matcher end = HEAD_END.matcher(html);
        String head = end.find() ? html.substring(0, end.start()) : html;
        List<MetaImport> out = new ArrayList<>();
        Matcher m = META.matcher(head);
        while (m.find()) {
            String name = null;
            String content = null;
            Matcher a = ATTR.matcher(m.group(1));
            while (a.find()) {
                String v = a.group(3) != null ? a.group(3) : a.group(4) != null ? a.group(4) : a.group(5);
                if (a.group(1).equalsIgnoreCase("name")) {
                    name = v;
                } else if (a.group(1).equalsIgnoreCase("content")) {
                    content = v;
                }
            }
            if (!"go-import".equals(name) || content == null) {
                continue;
            }
            String[] f = content.strip().split("\\s+");
            // GOPROXY=direct reads meta tags in IgnoreMod mode: "mod" entries (a proxy for the path) are dropped.
            if ((f.length == 3 || f.length == 4) && !f[1].equals("mod")) {
                out.add(new MetaImport(f[0], f[1], f[2], f.length == 4 ? f[3] : ""));
            }
        }
        return out;
    }

    /** cmd/go/internal/vcs matchGoImport: exactly one tag whose prefix is a path prefix of the import path. */
    static MetaImport matchGoImport(List<MetaImport> imports, String path) {
        Optional<MetaImport> match = Optional.empty();
        for (MetaImport mi : imports) {
            if (!hasPathPrefix(path, mi.prefix())) {
                continue;
            }
            if (match.isPresent()) {
                if (match.get().vcs().equals("mod") && !mi.vcs().equals("mod")) {
                    break;
                }
                throw ProxyException.notFound(path + ": multiple go-import meta tags match");
            }
            match = Optional.of(mi);
        }
        return match.orElseThrow(() -> ProxyException.notFound(path + ": no go-import meta tag for it"));
    }

    static boolean hasPathPrefix(String s, String prefix) {
        return s.equals(prefix) || s.startsWith(prefix) && (prefix.endsWith("/") || s.charAt(prefix.length()) == '/');
    }
}
