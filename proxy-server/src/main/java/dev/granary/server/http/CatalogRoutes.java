package dev.granary.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granary.core.ProxyException;
import dev.granary.core.catalog.ModuleCatalog;
import dev.granary.core.catalog.ModuleCatalog.ModuleDetails;
import dev.granary.core.catalog.ModuleCatalog.ModuleSummary;
import dev.granary.core.catalog.ModuleCatalog.Verification;
import dev.granary.core.catalog.ModuleCatalog.VersionDetails;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.server.auth.Need;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog: the page at {@code /} (static HTML, script and style from the jar, no build step) and
 * the JSON behind it under {@code /-/api/}:
 * <ul>
 *   <li>{@code GET /-/api/modules?q=WORDS&limit=N}: stored modules whose path holds every word;</li>
 *   <li>{@code GET /-/api/modules/<module path>?limit=N}: a module's stored versions, newest first,
 *       with time fetched, sizes, h1 hashes and how each was verified;</li>
 *   <li>{@code GET /-/api/stats}: tiers, hit ratios, counts.</li>
 * </ul>
 * Module paths never reach the page as markup: the JSON carries them as strings and the script puts
 * them into the page as text only. {@code /-/} cannot clash with a module path (no module path
 * element starts with '-').
 */
public final class CatalogRoutes {
    private static final Logger log = LoggerFactory.getLogger(CatalogRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KIND = "catalog";
    private static final String API_MODULES = "/-/api/modules";

    private final ModuleCatalog catalog;
    private final Supplier<ObjectNode> stats;
    private final Map<String, Answer.Asset> assets;

    /** @param stats the body of {@code /-/api/stats}, computed on each request */
    public CatalogRoutes(ModuleCatalog catalog, Supplier<ObjectNode> stats) {
        this.catalog = catalog;
        this.stats = stats;
        Answer.Asset page = asset("index.html", "text/html; charset=utf-8");
        this.assets = Map.of(
                "/",
                page,
                "/index.html",
                page,
                "/-/catalog.js",
                asset("catalog.js", "text/javascript; charset=utf-8"),
                "/-/catalog.css",
                asset("catalog.css", "text/css; charset=utf-8"));
    }

    /** True for the paths this class answers. */
    public static boolean handles(String path) {
        return path.equals("/") || path.equals("/index.html") || path.startsWith("/-/");
    }

    /** The route of a request whose path {@link #handles} says is the catalog's. */
    public Router.Route route(String path, String target) {
        Answer.Asset a = assets.get(path);
        if (a != null) {
            return Router.Route.now(KIND, a);
        }
        Map<String, List<String>> query = query(target);
        if (path.equals(API_MODULES) || path.equals(API_MODULES + "/")) {
            String q = first(query, "q", "");
            int limit = limit(query, 50, 500);
            return Router.Route.blocking(KIND, () -> json(HttpResponseStatus.OK, search(q, limit)))
                    .requiring(Need.catalog());
        }
        if (path.startsWith(API_MODULES + "/")) {
            String raw = QueryStringDecoder.decodeComponent(path.substring(API_MODULES.length() + 1));
            int limit = limit(query, 100, 1000);
            return Router.Route.blocking(KIND, () -> module(raw, limit)).requiring(Need.read(raw));
        }
        if (path.equals("/-/api/stats")) {
            return Router.Route.blocking(KIND, () -> json(HttpResponseStatus.OK, stats.get()))
                    .requiring(Need.catalog());
        }
        return Router.Route.now(KIND, json(HttpResponseStatus.NOT_FOUND, error("no such catalog resource")));
    }

    private ObjectNode search(String q, int limit) {
        ObjectNode out = JSON.createObjectNode();
        out.put("query", q);
        out.put("ready", catalog.ready());
        List<ModuleSummary> found = catalog.search(q, limit);
        out.put("total", found.size() < limit ? found.size() : catalog.count(q));
        ArrayNode modules = out.putArray("modules");
        for (ModuleSummary m : found) {
            ObjectNode n = modules.addObject();
            n.put("path", m.path());
            n.put("versions", m.versions());
            n.put("latest", m.latest());
        }
        return out;
    }

    private Answer module(String raw, int limit) {
        ModulePath path;
        try {
            path = parse(raw);
        } catch (ProxyException e) {
            return json(HttpResponseStatus.NOT_FOUND, error(e.getMessage()));
        }
        Optional<ModuleDetails> details;
        try {
            details = catalog.module(path, limit);
        } catch (IOException | UncheckedIOException e) {
            log.warn("catalog: reading {}: {}", path.value(), e.toString());
            return json(
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    error("storage unavailable; the server log has the details"));
        }
        if (details.isEmpty()) {
            return json(HttpResponseStatus.NOT_FOUND, error("no version of " + path.value() + " is stored"));
        }
        ModuleDetails d = details.get();
        ObjectNode out = JSON.createObjectNode();
        out.put("path", d.path());
        out.put("escapedPath", path.escaped());
        out.put("versionCount", d.versionCount());
        out.put("truncated", d.truncated());
        ArrayNode versions = out.putArray("versions");
        for (VersionDetails v : d.versions()) {
            ObjectNode n = versions.addObject();
            n.put("version", v.version());
            n.put("fetched", v.fetched().toString());
            n.put(
                    "lastRequested",
                    v.lastRequested() == null ? null : v.lastRequested().toString());
            n.put("zipBytes", v.zipBytes());
            n.put("modBytes", v.modBytes());
            n.put("h1", v.zipH1());
            n.put("goModH1", v.modH1());
            n.put(
                    "state",
                    v.verification().isEmpty()
                            ? "unverified"
                            : v.verification().get(0).kind());
            ArrayNode how = n.putArray("verification");
            for (Verification x : v.verification()) {
                how.addObject().put("kind", x.kind()).put("detail", x.detail());
            }
        }
        return json(HttpResponseStatus.OK, out);
    }

    /** A module path as the page sends it: plain ({@code github.com/Azure/x}) or case-escaped ({@code github.com/!azure/x}). */
    private static ModulePath parse(String raw) {
        if (raw.indexOf('!') >= 0) {
            return ModulePath.parse(ModuleEscaping.unescapePath(raw));
        }
        return ModulePath.parse(raw);
    }

    private static ObjectNode error(String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        return n;
    }

    private static Answer json(HttpResponseStatus status, ObjectNode body) {
        try {
            return new Answer.Text(status, ResponsePolicy.JSON, JSON.writeValueAsString(body) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<String>> query(String target) {
        int q = target.indexOf('?');
        if (q < 0) {
            return Map.of();
        }
        int h = target.indexOf('#', q);
        return new QueryStringDecoder(
                        target.substring(q + 1, h < 0 ? target.length() : h), StandardCharsets.UTF_8, false)
                .parameters();
    }

    private static String first(Map<String, List<String>> query, String name, String dflt) {
        List<String> v = query.get(name);
        String s = v == null || v.isEmpty() ? dflt : v.get(0);
        return s.length() > 200 ? s.substring(0, 200) : s;
    }

    private static int limit(Map<String, List<String>> query, int dflt, int max) {
        try {
            int n = Integer.parseInt(first(query, "limit", Integer.toString(dflt)));
            return Math.max(1, Math.min(n, max));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static Answer.Asset asset(String name, String contentType) {
        String resource = "/dev/granary/server/catalog/" + name;
        try (InputStream in = CatalogRoutes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            byte[] body = in.readAllBytes();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return new Answer.Asset(contentType, body, "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"");
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("reading " + resource + ": " + e, e);
        }
    }
}
