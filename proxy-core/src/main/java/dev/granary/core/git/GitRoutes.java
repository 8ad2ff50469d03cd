package dev.granary.core.git;

import dev.granary.core.module.ModulePatterns;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which module paths come straight from git, and from where: one route per line (or {@code ;}-separated),
 * <pre>
 *   PATTERN [SOURCE] [OPTION...]
 * </pre>
 * <ul>
 *   <li>PATTERN: a GOPRIVATE-style glob ({@code git.corp.example}, {@code git.corp.example/*},
 *       {@code *.corp.example}); it matches a module path whose first elements match it, as in GOPRIVATE.</li>
 *   <li>SOURCE: {@code go-get} (the default) finds the repository as the go command does: the
 *       {@code host/path/repo.git/sub} form, else the {@code go-import} meta tag served at
 *       {@code https://<module>?go-get=1} (fetched with the route's credentials, so GitLab answers with the real
 *       repository of a project in a subgroup). Or a URL template: the repository root is then the module path
 *       cut to as many elements as PATTERN has, and {@code {root}} (that root), {@code {path}} (the root without
 *       its host) and {@code {1}}..{@code {9}} (its elements after the host) are replaced in the URL, e.g.
 *       {@code git.corp.example/* https://git.corp.example/{1}.git}.</li>
 *   <li>OPTIONs: {@code insecure} (plain http allowed, like GOINSECURE), {@code netrc} or {@code netrc=FILE},
 *       {@code token-file=FILE} or {@code token-env=VAR} with {@code user=NAME} (default {@code oauth2}),
 *       {@code ssh-key=FILE} with {@code known-hosts=FILE} (default {@code ~/.ssh/known_hosts}).</li>
 * </ul>
 * Only {@code https} repositories are fetched ({@code http} with {@code insecure}, {@code ssh://} with an
 * {@code ssh-key}); anything else, such as {@code file}, {@code git://} or {@code ext::} transports, is refused
 * when the route is parsed or the meta tag read.
 */
public final class GitRoutes {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(root|path|[1-9])}");

    /**
     * One route.
     *
     * @param template the URL template, or empty for go-get discovery
     */
    public record Route(String pattern, Optional<String> template, boolean insecure, GitCredentials credentials) {

        /** True when {@code modulePath} falls under this route (GOPRIVATE matching). */
        public boolean matches(String modulePath) {
            return ModulePatterns.matchPrefixPatterns(pattern, modulePath);
        }

        /** The number of path elements of the pattern, hence of a templated repository root. */
        int elements() {
            return pattern.split("/", -1).length;
        }

        @Override
        public String toString() {
            return pattern + " " + template.orElse("go-get") + (insecure ? " insecure" : "") + " (credentials: "
                    + credentials + ")";
        }
    }

    private final List<Route> routes;

    private GitRoutes(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    /** No routes: nothing comes from git. */
    public static GitRoutes none() {
        return new GitRoutes(List.of());
    }

    /**
     * Parses the routes.
     *
     * @param env where {@code token-env} variables and {@code $NETRC}/{@code $HOME} are read
     * @throws IllegalArgumentException naming the route and what is wrong with it
     */
    public static GitRoutes parse(String text, Map<String, String> env) {
        List<Route> out = new ArrayList<>();
        if (text == null) {
            return none();
        }
        for (String line : text.split("[\n;]")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            out.add(parseRoute(l, env));
        }
        return new GitRoutes(out);
    }

    private static Route parseRoute(String line, Map<String, String> env) {
        String[] f = line.split("\\s+");
        String pattern = f[0];
        if (pattern.contains(",") || pattern.endsWith("/") || pattern.startsWith("/") || pattern.contains("//")) {
            throw bad(line, "the pattern must be one GOPRIVATE-style glob, such as git.corp.example/*");
        }
        int i = 1;
        Optional<String> template = Optional.empty();
        if (i < f.length && (f[i].equals("go-get") || f[i].contains("://"))) {
            if (!f[i].equals("go-get")) {
                template = Optional.of(f[i]);
            }
            i++;
        }
        boolean insecure = false;
        String user = "oauth2";
        Path tokenFile = null;
        String tokenEnv = null;
        Path netrc = null;
        Path sshKey = null;
        Path knownHosts = null;
        for (; i < f.length; i++) {
            String o = f[i];
            int eq = o.indexOf('=');
            String key = eq < 0 ? o : o.substring(0, eq);
            String value = eq < 0 ? null : o.substring(eq + 1);
            switch (key) {
                case "insecure" -> insecure = true;
                case "netrc" ->
                    netrc = value == null || value.isEmpty() ? GitCredentials.Netrc.defaultFile(env) : Path.of(value);
                case "user" -> user = require(line, key, value);
                case "token-file" -> tokenFile = Path.of(require(line, key, value));
                case "token-env" -> tokenEnv = require(line, key, value);
                case "ssh-key" -> sshKey = Path.of(require(line, key, value));
                case "known-hosts" -> knownHosts = Path.of(require(line, key, value));
                default ->
                    throw bad(
                            line,
                            "unknown option '" + key
                                    + "' (insecure, netrc[=FILE], user=, token-file=, token-env=, ssh-key=, known-hosts=)");
            }
        }
        int kinds = (netrc != null ? 1 : 0)
                + (tokenFile != null ? 1 : 0)
                + (tokenEnv != null ? 1 : 0)
                + (sshKey != null ? 1 : 0);
        if (kinds > 1) {
            throw bad(line, "give one of netrc, token-file, token-env and ssh-key");
        }
        if (knownHosts != null && sshKey == null) {
            throw bad(line, "known-hosts= goes with ssh-key=");
        }
        if (sshKey != null && knownHosts == null) {
            knownHosts = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".ssh", "known_hosts");
        }
        GitCredentials credentials = sshKey != null
                ? new GitCredentials.SshKey(sshKey, knownHosts)
                : netrc != null
                        ? new GitCredentials.Netrc(netrc)
                        : tokenFile != null || tokenEnv != null
                                ? new GitCredentials.Token(user, tokenFile, tokenEnv, Map.copyOf(env))
                                : GitCredentials.NONE;
        Route route = new Route(pattern, template, insecure, credentials);
        if (template.isPresent()) {
            String t = template.get();
            // A template that expands to a refused URL would fail on every request: refuse it at start instead.
            String probe = PLACEHOLDER.matcher(t).replaceAll("x");
            try {
                URI u = checkRepositoryUrl(probe, route.insecure());
                if (u.getScheme().equals("ssh") != (sshKey != null)) {
                    throw new IllegalArgumentException(
                            sshKey != null
                                    ? "ssh-key= needs an ssh:// template"
                                    : "an ssh:// repository needs ssh-key= (and known-hosts=)");
                }
            } catch (IllegalArgumentException e) {
                throw bad(line, e.getMessage());
            }
            Matcher m = PLACEHOLDER.matcher(t);
            while (m.find()) {
                String g = m.group(1);
                if (Character.isDigit(g.charAt(0)) && g.charAt(0) - '0' > route.elements() - 1) {
                    throw bad(
                            line,
                            "{" + g + "} is beyond the pattern's " + (route.elements() - 1)
                                    + " elements after the host");
                }
            }
        }
        return route;
    }

    private static String require(String line, String key, String value) {
        if (value == null || value.isEmpty()) {
            throw bad(line, key + "= needs a value");
        }
        return value;
    }

    private static IllegalArgumentException bad(String line, String why) {
        return new IllegalArgumentException("git.routes: '" + line + "': " + why);
    }

    /** The first route matching {@code modulePath}. */
    public Optional<Route> match(String modulePath) {
        for (Route r : routes) {
            if (r.matches(modulePath)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public boolean isEmpty() {
        return routes.isEmpty();
    }

    public List<Route> routes() {
        return routes;
    }

    /** The patterns, comma-separated (GONOSUMDB syntax), so matched modules are pinned, never looked up. */
    public String patterns() {
        return String.join(",", routes.stream().map(Route::pattern).toList());
    }

    /** Expands a route's template for the repository root {@code root}. */
    static String expand(String template, String root) {
        String[] elems = root.split("/");
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String g = m.group(1);
            String v = switch (g) {
                case "root" -> root;
                case "path" -> root.indexOf('/') < 0 ? "" : root.substring(root.indexOf('/') + 1);
                default -> elems[g.charAt(0) - '0'];
            };
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }

    /**
     * Refuses anything but a plain https (or, when insecure, http) or ssh URL with a host and a clean path: no
     * {@code ext::}/{@code file}/{@code git} transports, no embedded credentials (an ssh URL may name its user),
     * no {@code ..} or {@code .} segments, no option-like leading dash.
     *
     * @throws IllegalArgumentException saying why
     */
    static URI checkRepositoryUrl(String url, boolean insecure) {
        if (url.startsWith("-")
                || url.contains("::")
                || url.chars().anyMatch(c -> c <= ' ' || c == '\\' || c == 0x7f)) {
            throw new IllegalArgumentException("repository URL '" + url + "' refused: not a plain URL");
        }
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("repository URL '" + url + "' refused: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme();
        if (!(scheme.equals("https") || scheme.equals("ssh") || scheme.equals("http") && insecure)) {
            throw new IllegalArgumentException("repository URL '" + url + "' refused: only https, ssh"
                    + (insecure ? " and http" : " (and http with the insecure option)") + " repositories are fetched");
        }
        boolean sshUser = scheme.equals("ssh")
                && u.getRawUserInfo() != null
                && u.getRawUserInfo().matches("[A-Za-z0-9._-]+");
        if (u.getRawUserInfo() != null && !sshUser) {
            throw new IllegalArgumentException(
                    "repository URL refused: credentials in the URL (give them as route options)");
        }
        if (u.getHost() == null || u.getHost().isEmpty() || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException(
                    "repository URL '" + url + "' refused: it needs a host and no query or fragment");
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        for (String seg : path.split("/")) {
            String s = seg.toLowerCase(Locale.ROOT);
            if (s.equals("..") || s.equals(".") || s.contains("%2e%2e") || s.contains("%2f") || s.contains("%5c")) {
                throw new IllegalArgumentException(
                        "repository URL '" + url + "' refused: '..', '.' or encoded separators in its path");
            }
        }
        return u;
    }
}
