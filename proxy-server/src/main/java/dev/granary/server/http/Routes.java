package dev.granary.server.http;

import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlMirror;
import dev.granary.core.dl.DlRequest;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.gocache.RemoteBuildCache;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.policy.PolicyException;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.ProxyRequest;
import dev.granary.core.protocol.RequestParser;
import dev.granary.server.Metrics;
import dev.granary.server.auth.Need;
import dev.granary.storage.BlobKey;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps requests to answers from the core services: return values only, nothing about writing them. */
public final class Routes implements Router {
    private static final Logger log = LoggerFactory.getLogger(Routes.class);
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ModuleService modules;
    private final Metrics metrics;
    private final String index;
    private final Function<ProxyRequest.Sumdb, Artifact> sumdb;
    private final Duration zipRedirect;
    private final Readiness readiness;
    private final CatalogRoutes catalog;
    private final Consumer<ModuleVersion> served;
    private final DlMirror dl;
    private final GocacheRoutes gocache;

    /** @param zipRedirect lifetime of presigned .zip redirects, or null to serve zips directly */
    public Routes(
            ModuleService modules,
            Metrics metrics,
            String index,
            Function<ProxyRequest.Sumdb, Artifact> sumdb,
            Duration zipRedirect,
            Readiness readiness) {
        this(modules, metrics, index, sumdb, zipRedirect, readiness, null, mv -> {}, null, null);
    }

    /**
     * @param catalog the catalog page and its JSON at {@code /} and {@code /-/}, or null for a plain-text index
     * @param served  told of every version whose .info, .mod or .zip was answered (retention's last-request times)
     * @param dl      the release archive mirror behind {@code /dl/}, or null when there is none
     */
    public Routes(
            ModuleService modules,
            Metrics metrics,
            String index,
            Function<ProxyRequest.Sumdb, Artifact> sumdb,
            Duration zipRedirect,
            Readiness readiness,
            CatalogRoutes catalog,
            Consumer<ModuleVersion> served,
            DlMirror dl) {
        this(modules, metrics, index, sumdb, zipRedirect, readiness, catalog, served, dl, null);
    }

    /** @param gocache the build cache endpoints under {@code /gocache/}, or null for none */
    public Routes(
            ModuleService modules,
            Metrics metrics,
            String index,
            Function<ProxyRequest.Sumdb, Artifact> sumdb,
            Duration zipRedirect,
            Readiness readiness,
            CatalogRoutes catalog,
            Consumer<ModuleVersion> served,
            DlMirror dl,
            BuildCaches gocache) {
        this.catalog = catalog;
        this.served = served;
        this.modules = modules;
        this.metrics = metrics;
        this.index = index;
        this.sumdb = sumdb;
        this.zipRedirect = zipRedirect;
        this.readiness = readiness;
        this.dl = dl;
        this.gocache = gocache == null
                ? null
                : new GocacheRoutes(
                        gocache.cache(),
                        gocache.bundles(),
                        gocache.admission(),
                        new GocacheRoutes.Settings(
                                gocache.maxEntryBytes(), gocache.maxBundleBytes(), gocache.uploadDir()));
    }

    /**
     * The build caches served under {@code /gocache/}: the remote build cache, the pre-warm bundles, the
     * edge's admission (the one the server's {@link HttpEdge} uses: it decides who may read and write them,
     * a PUT on its head), and the largest bodies accepted.
     */
    public record BuildCaches(
            RemoteBuildCache cache,
            BundleStore bundles,
            Admission admission,
            long maxEntryBytes,
            long maxBundleBytes,
            Path uploadDir) {}

    @Override
    public Route route(Exchange ex) {
        String path = gocachePath(ex.target());
        if (path != null) {
            return gocache.route(ex, path);
        }
        return route(ex.target());
    }

    @Override
    public Intake intake(Exchange ex) {
        String path = gocachePath(ex.target());
        return path != null ? gocache.intake(ex, path) : Router.super.intake(ex);
    }

    /** The path when it is under /gocache/ and the build caches are served, else null. */
    private String gocachePath(String target) {
        if (gocache == null) {
            return null;
        }
        try {
            String path = RequestParser.path(target);
            return path.startsWith(GocacheRoutes.PREFIX) ? path : null;
        } catch (ProxyException e) {
            return null;
        }
    }

    @Override
    public Route route(String target) {
        String path;
        try {
            path = RequestParser.path(target);
        } catch (ProxyException e) {
            return Route.now("invalid", new Answer.Failure(e));
        }
        if (catalog != null && CatalogRoutes.handles(path)) {
            return catalog.route(path, target);
        }
        return switch (path) {
            case "/healthz" -> Route.now("health", Answer.Text.plain(HttpResponseStatus.OK, "ok\n"));
            case "/", "/index.html" -> Route.now("index", Answer.Text.plain(HttpResponseStatus.OK, index));
            case "/readyz" -> Route.blocking("health", readiness::check);
            case "/metrics" ->
                Route.blocking("metrics", () -> new Answer.Text(HttpResponseStatus.OK, PROMETHEUS, metrics.scrape()))
                        .requiring(Need.metrics());
            default -> {
                if (dl != null && DlRequest.matches(path)) {
                    yield dlRoute(target, path);
                }
                ProxyRequest pr;
                try {
                    pr = RequestParser.parse(target);
                } catch (ProxyException e) {
                    // Client input: a 404 with the reason, nothing in the log above debug.
                    log.debug(
                            "refused {}: {}",
                            path.length() > 200 ? path.substring(0, 200) + "..." : path,
                            e.getMessage());
                    yield Route.now("invalid", new Answer.Failure(e));
                }
                yield Route.blocking(pr.kind(), () -> answer(pr)).requiring(need(pr));
            }
        };
    }

    /** What a client needs to be answered: a module's read right, or (for /sumdb/) any read right. */
    static Need need(ProxyRequest pr) {
        return switch (pr) {
            case ProxyRequest.ListVersions l -> Need.read(l.module().value());
            case ProxyRequest.Latest l -> Need.read(l.module().value());
            case ProxyRequest.Info i -> Need.read(i.version().path().value());
            case ProxyRequest.Query q -> Need.read(q.module().value());
            case ProxyRequest.GoMod m -> Need.read(m.version().path().value());
            case ProxyRequest.Zip z -> Need.read(z.version().path().value());
            case ProxyRequest.Sumdb s -> Need.sumdb(s.name());
        };
    }

    /** A parsed request's answer from the module service or the checksum-database proxy. */
    Answer answer(ProxyRequest pr) {
        try {
            Optional<URI> elsewhere = redirect(pr);
            if (elsewhere.isPresent()) {
                TierTrace.decide("s3");
                served.accept(((ProxyRequest.Zip) pr).version());
                return new Answer.Redirect(pr, elsewhere.get());
            }
            Artifact a = switch (pr) {
                case ProxyRequest.ListVersions l -> modules.list(l.module());
                case ProxyRequest.Latest l -> modules.latest(l.module());
                case ProxyRequest.Info i -> modules.info(i.version());
                case ProxyRequest.Query q -> modules.query(q.module(), q.query());
                case ProxyRequest.GoMod m -> modules.mod(m.version());
                case ProxyRequest.Zip z -> modules.zip(z.version());
                case ProxyRequest.Sumdb s -> sumdb.apply(s);
            };
            trace(pr).ifPresent(served);
            return new Answer.Content(pr, a);
        } catch (ProxyException e) {
            if (e instanceof PolicyException p) {
                metrics.policyRefused(p.reason());
            }
            trace(pr);
            switch (e.kind()) {
                case INTERNAL -> log.error("internal error answering {}", pr, e);
                case STORAGE_UNAVAILABLE -> log.warn("storage failure answering {}: {}", pr, e.getMessage());
                default -> log.debug("{}: {}", pr, e.getMessage());
            }
            return new Answer.Failure(e);
        }
    }

    /** For the access log: where the answer about a version came from. Returns the version, if the request names one. */
    private Optional<ModuleVersion> trace(ProxyRequest pr) {
        ModuleVersion mv;
        BlobKey artifact;
        switch (pr) {
            case ProxyRequest.Info i -> {
                mv = i.version();
                artifact = StorageLayout.info(mv);
            }
            case ProxyRequest.GoMod m -> {
                mv = m.version();
                artifact = StorageLayout.mod(mv);
            }
            case ProxyRequest.Zip z -> {
                mv = z.version();
                artifact = StorageLayout.zip(mv);
            }
            default -> {
                return Optional.empty();
            }
        }
        TierTrace.decide(StorageLayout.info(mv), artifact);
        return Optional.of(mv);
    }

    /** {@code /dl/...}: the release listing or a release file, answered by the mirror (blocking: it may fetch). */
    private Route dlRoute(String target, String path) {
        DlRequest r;
        try {
            r = DlRequest.parse(path, query(target));
        } catch (ProxyException e) {
            log.debug("refused {}: {}", path.length() > 200 ? path.substring(0, 200) + "..." : path, e.getMessage());
            return Route.now("invalid", new Answer.Failure(e));
        }
        String kind = r instanceof DlRequest.Listing ? "dl-listing" : "dl";
        // The same releases as the golang.org/toolchain modules: guarded as that module is.
        return Route.blocking(kind, () -> {
                    try {
                        return new Answer.Download(r, dl.serve(r));
                    } catch (ProxyException e) {
                        switch (e.kind()) {
                            case INTERNAL -> log.error("internal error answering {}", r, e);
                            case STORAGE_UNAVAILABLE -> log.warn("storage failure answering {}: {}", r, e.getMessage());
                            default -> log.debug("{}: {}", r, e.getMessage());
                        }
                        return new Answer.Failure(e);
                    }
                })
                .requiring(Need.read("golang.org/toolchain"));
    }

    /** The query of a request target, without the fragment; null when there is none. */
    static String query(String target) {
        int h = target.indexOf('#');
        String t = h < 0 ? target : target.substring(0, h);
        int q = t.indexOf('?');
        return q < 0 ? null : t.substring(q + 1);
    }

    /** Where to send a .zip request instead of answering it (S3 redirect mode), if anywhere. */
    private Optional<URI> redirect(ProxyRequest pr) {
        if (zipRedirect == null || !(pr instanceof ProxyRequest.Zip z)) {
            return Optional.empty();
        }
        return modules.zipRedirect(z.version(), zipRedirect);
    }
}
