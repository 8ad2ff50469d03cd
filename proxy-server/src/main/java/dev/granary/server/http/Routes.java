package dev.granary.server.http;

import dev.granary.core.protocol.Artifact;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.protocol.ProxyRequest;
import dev.granary.server.Metrics;
import dev.granary.storage.BlobStore;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/** Maps parsed requests to the core services; knows nothing about Netty's pipeline. */
public final class Routes {
    private final ModuleService modules;
    private final BlobStore store;
    private final Metrics metrics;
    private final String index;
    private final Function<ProxyRequest.Sumdb, Artifact> sumdb;
    private final Duration zipRedirect;

    /** @param zipRedirect lifetime of presigned .zip redirects, or null to serve zips directly */
    public Routes(ModuleService modules, BlobStore store, Metrics metrics, String index,
                  Function<ProxyRequest.Sumdb, Artifact> sumdb, Duration zipRedirect) {
        this.zipRedirect = zipRedirect;
        this.modules = modules;
        this.store = store;
        this.metrics = metrics;
        this.index = index;
        this.sumdb = sumdb;
    }

    Artifact answer(ProxyRequest pr) {
        return switch (pr) {
            case ProxyRequest.ListVersions l -> modules.list(l.module());
            case ProxyRequest.Latest l -> modules.latest(l.module());
            case ProxyRequest.Info i -> modules.info(i.version());
            case ProxyRequest.Query q -> modules.query(q.module(), q.query());
            case ProxyRequest.GoMod m -> modules.mod(m.version());
            case ProxyRequest.Zip z -> modules.zip(z.version());
            case ProxyRequest.Sumdb s -> sumdb.apply(s);
        };
    }

    /** Where to send a .zip request instead of answering it (S3 redirect mode), if anywhere. */
    Optional<URI> redirect(ProxyRequest pr) {
        if (zipRedirect == null || !(pr instanceof ProxyRequest.Zip z)) {
            return Optional.empty();
        }
        return modules.zipRedirect(z.version(), zipRedirect);
    }

    static String contentType(ProxyRequest pr) {
        return switch (pr) {
            case ProxyRequest.Latest l -> "application/json";
            case ProxyRequest.Info i -> "application/json";
            case ProxyRequest.Query q -> "application/json";
            case ProxyRequest.Zip z -> "application/zip";
            case ProxyRequest.Sumdb s -> s.path().startsWith("tile/") ? "application/octet-stream" : "text/plain; charset=utf-8";
            case ProxyRequest.ListVersions l -> "text/plain; charset=utf-8";
            case ProxyRequest.GoMod m -> "text/plain; charset=utf-8";
        };
    }

    void ready(Exchange ex, ResponseWriter writer) {
        try {
            store.checkHealth();
            writer.text(ex, "health", HttpResponseStatus.OK, "ready: " + store.describe() + "\n");
        } catch (IOException | RuntimeException e) {
            writer.error(ex, "health", HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + store.describe() + ": " + e.getMessage());
        }
    }

    String scrape() {
        return metrics.scrape();
    }

    String index() {
        return index;
    }
}
