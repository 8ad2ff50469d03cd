package dev.granary.server.http;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.gocache.BundleException;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.gocache.RemoteBuildCache;
import dev.granary.core.protocol.Artifact;
import dev.granary.server.auth.Access;
import dev.granary.server.auth.Need;
import dev.granary.storage.Blob;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The build cache endpoints under {@code /gocache/}:
 * <pre>
 * GET  /gocache/cache/action/&lt;action id&gt;        a remote build cache entry (the gocached protocol of
 *                                                go-tool-cache: with {@code Want-Object: 1} the output itself,
 *                                                {@code Go-Output-Id} naming it; without, JSON {outputID, size})
 * GET  /gocache/cache/output/&lt;output id&gt;        an output (the older two-request form of that protocol)
 * PUT  /gocache/cache/&lt;action id&gt;/&lt;output id&gt;   store an entry: 204, or 400 when the body's SHA-256 is not the output id
 * GET  /gocache/bundles/index.json               the pre-warm bundles and what each is for
 * GET  /gocache/bundles/&lt;id&gt;.tar.zst[.asc]       a bundle, its detached signature
 * PUT  /gocache/bundles/&lt;id&gt;.tar.zst[.asc]       publish them: the bundle is checked whole first (400 if not)
 * </pre>
 * IDs are lower-case hex (64 digits for cache entries, 32 for bundles). Access is the client
 * tokens' ({@link Access}): every GET and HEAD route needs {@link Need#cacheRead} (a token with
 * {@code cache-read} once {@code auth.required} is set, else nothing), every PUT {@link Need#cacheWrite}
 * (always a token with {@code cache-write}), and the edge's {@link Admission} decides and rate-limits
 * them as it does every route. A PUT is also decided on its head, by the same Admission, before any of
 * its body is read: 401 with the challenges without a known token, 403 for a token that lacks the right.
 */
final class GocacheRoutes {
    private static final Logger log = LoggerFactory.getLogger(GocacheRoutes.class);
    static final String PREFIX = "/gocache/";

    private static final Pattern ACTION = Pattern.compile("/gocache/cache/action/([0-9a-f]{64})");
    private static final Pattern OUTPUT = Pattern.compile("/gocache/cache/output/([0-9a-f]{64})");
    private static final Pattern ENTRY = Pattern.compile("/gocache/cache/([0-9a-f]{64})/([0-9a-f]{64})");
    private static final Pattern BUNDLE = Pattern.compile("/gocache/bundles/([0-9a-f]{32})\\.tar\\.zst");
    private static final Pattern SIGNATURE = Pattern.compile("/gocache/bundles/([0-9a-f]{32})\\.tar\\.zst\\.asc");
    private static final String INDEX = "/gocache/bundles/index.json";
    private static final String OCTETS = "application/octet-stream";
    /** Content-addressed: the same bytes forever; private when reading needs a token. */
    private static final String IMMUTABLE_PRIVATE = "private, max-age=31536000, immutable";

    /**
     * @param maxEntryBytes  largest build cache output accepted
     * @param maxBundleBytes largest pre-warm bundle accepted
     * @param uploadDir      where bodies are received (the storage root: same file system, swept)
     */
    record Settings(long maxEntryBytes, long maxBundleBytes, Path uploadDir) {}

    private final RemoteBuildCache cache;
    private final BundleStore bundles;
    private final Admission admission;
    private final Settings settings;

    /** @param admission the edge's: it decides a PUT on its head as it decides every route */
    GocacheRoutes(RemoteBuildCache cache, BundleStore bundles, Admission admission, Settings settings) {
        this.cache = cache;
        this.bundles = bundles;
        this.admission = admission;
        this.settings = settings;
    }

    /** Whether a PUT's body is wanted: the path names something writable and the request carries {@code cache-write}. */
    Router.Intake intake(Exchange ex, String path) {
        long max;
        String kind;
        if (ENTRY.matcher(path).matches()) {
            max = settings.maxEntryBytes();
            kind = "gocache-put";
        } else if (BUNDLE.matcher(path).matches()) {
            max = settings.maxBundleBytes();
            kind = "gocache-publish";
        } else if (SIGNATURE.matcher(path).matches()) {
            max = BundleStore.MAX_SIGNATURE_BYTES;
            kind = "gocache-publish";
        } else {
            return new Router.Intake.Refuse(
                    "gocache",
                    new Answer.Refusal(
                            ResponsePolicy.Refusal.METHOD_NOT_ALLOWED,
                            "only GET and HEAD are supported here; PUT goes to /gocache/cache/<action>/<output> or /gocache/bundles/<id>.tar.zst"));
        }
        // The same decision the route gets once the body is in, made now so that nothing is read for a client that may
        // not write.
        Answer.Refusal refused = admission.authorize(ex, Need.cacheWrite());
        return refused != null
                ? new Router.Intake.Refuse(kind, refused)
                : new Router.Intake.Accept(max, settings.uploadDir());
    }

    Router.Route route(Exchange ex, String path) {
        return ex.put()
                ? put(ex, path).requiring(Need.cacheWrite())
                : get(ex, path).requiring(Need.cacheRead());
    }

    private Router.Route get(Exchange ex, String path) {
        Matcher m;
        if ((m = ACTION.matcher(path)).matches()) {
            String action = m.group(1);
            return Router.Route.blocking("gocache-get", () -> action(ex, action));
        }
        if ((m = OUTPUT.matcher(path)).matches()) {
            String output = m.group(1);
            return Router.Route.blocking("gocache-get", () -> output(output));
        }
        if (path.equals(INDEX) || path.equals("/gocache/bundles/") || path.equals("/gocache/bundles")) {
            return Router.Route.blocking("gocache-bundle", this::index);
        }
        if ((m = BUNDLE.matcher(path)).matches()) {
            String id = m.group(1);
            return Router.Route.blocking("gocache-bundle", () -> bundle(id, false));
        }
        if ((m = SIGNATURE.matcher(path)).matches()) {
            String id = m.group(1);
            return Router.Route.blocking("gocache-bundle", () -> bundle(id, true));
        }
        return Router.Route.now(
                "gocache",
                new Answer.Refusal(
                        ResponsePolicy.Refusal.NOT_FOUND,
                        "not a build cache path: /gocache/cache/action/<64 hex digits>, /gocache/bundles/index.json or /gocache/bundles/<32 hex digits>.tar.zst"));
    }

    private Router.Route put(Exchange ex, String path) {
        Upload upload = ex.upload();
        Matcher m;
        if ((m = ENTRY.matcher(path)).matches()) {
            String action = m.group(1);
            String output = m.group(2);
            return Router.Route.blocking("gocache-put", () -> putEntry(upload, action, output));
        }
        if ((m = BUNDLE.matcher(path)).matches()) {
            String id = m.group(1);
            return Router.Route.blocking("gocache-publish", () -> putBundle(upload, id));
        }
        if ((m = SIGNATURE.matcher(path)).matches()) {
            String id = m.group(1);
            return Router.Route.blocking("gocache-publish", () -> putSignature(upload, id));
        }
        // Intake accepts only the paths above.
        return Router.Route.now(
                "gocache",
                new Answer.Refusal(ResponsePolicy.Refusal.METHOD_NOT_ALLOWED, "only GET and HEAD are supported here"));
    }

    private Answer action(Exchange ex, String action) {
        Optional<RemoteBuildCache.Hit> hit;
        try {
            hit = cache.get(action);
        } catch (IOException e) {
            return storageFailure("looking up build cache entry " + action, e);
        }
        if (hit.isEmpty()) {
            return new Answer.Failure(ProxyException.notFound("no build cache entry for action " + action));
        }
        RemoteBuildCache.Hit h = hit.get();
        if (!ex.wantsObject()) {
            // The two-request form: JSON first, then GET /output/<id>.
            ResponsePolicy.closeQuietly(h.output());
            byte[] json = ("{\"outputID\":\"" + h.outputId() + "\",\"size\":" + h.size() + "}\n")
                    .getBytes(StandardCharsets.UTF_8);
            return new Answer.Stored(
                    "application/json", Artifact.mutable(json), Map.of("Cache-Control", ResponsePolicy.NO_STORE));
        }
        return new Answer.Stored(
                OCTETS,
                new Artifact(h.output(), null, false),
                Map.of("Go-Output-Id", h.outputId(), "Cache-Control", ResponsePolicy.NO_STORE));
    }

    private Answer output(String output) {
        try {
            Optional<Blob> b = cache.output(output);
            if (b.isEmpty()) {
                return new Answer.Failure(ProxyException.notFound("no build cache output " + output));
            }
            return new Answer.Stored(
                    OCTETS,
                    new Artifact(b.get(), "\"" + output + "\"", true),
                    Map.of(
                            "Cache-Control",
                            admission.access().needsToken(Need.cacheRead())
                                    ? IMMUTABLE_PRIVATE
                                    : ResponsePolicy.IMMUTABLE));
        } catch (IOException e) {
            return storageFailure("reading build cache output " + output, e);
        }
    }

    private Answer index() {
        try {
            return new Answer.Stored(
                    "application/json", Artifact.mutable(bundles.indexJson()), Map.of("Cache-Control", "no-cache"));
        } catch (IOException e) {
            return storageFailure("reading the bundle index", e);
        }
    }

    private Answer bundle(String id, boolean signature) {
        try {
            Optional<Blob> b = signature ? bundles.signature(id) : bundles.bundle(id);
            if (b.isEmpty()) {
                return new Answer.Failure(
                        ProxyException.notFound(signature ? "bundle " + id + " has no signature" : "no bundle " + id));
            }
            return new Answer.Stored(
                    signature ? "application/pgp-signature" : "application/zstd",
                    new Artifact(b.get(), b.get().etag().orElse(null), false),
                    Map.of("Cache-Control", "no-cache"));
        } catch (IOException e) {
            return storageFailure("reading bundle " + id, e);
        }
    }

    private Answer putEntry(Upload upload, String action, String output) {
        Answer failed = received(upload);
        if (failed != null) {
            return failed;
        }
        if (!upload.sha256().equals(output)) {
            return new Answer.Refusal(
                    ResponsePolicy.Refusal.BAD_CONTENT,
                    "the body's SHA-256 is " + upload.sha256() + ", not the output ID " + output
                            + "; nothing was stored");
        }
        try {
            cache.put(action, output, upload.file(), upload.size(), upload.sha256());
            return new Answer.NoContent();
        } catch (IOException e) {
            return storageFailure("storing build cache entry " + action, e);
        }
    }

    private Answer putBundle(Upload upload, String id) {
        Answer failed = received(upload);
        if (failed != null) {
            return failed;
        }
        try {
            BundleManifest m = bundles.publish(upload.file(), id);
            // Only checked values go to the log: the manifest's texts are the publisher's.
            log.info(
                    "published pre-warm bundle {} ({} files, {} bytes)",
                    id,
                    m.files().size(),
                    upload.size());
            return new Answer.Text(
                    HttpResponseStatus.CREATED,
                    ResponsePolicy.TEXT,
                    "published bundle " + id + ": " + m.files().size() + " files, " + upload.size() + " bytes\n");
        } catch (BundleException e) {
            return new Answer.Refusal(
                    ResponsePolicy.Refusal.BAD_CONTENT, "bundle refused, nothing was stored: " + e.getMessage());
        } catch (IOException e) {
            return storageFailure("storing bundle " + id, e);
        }
    }

    private Answer putSignature(Upload upload, String id) {
        Answer failed = received(upload);
        if (failed != null) {
            return failed;
        }
        try {
            if (!bundles.publishSignature(id, upload.file())) {
                return new Answer.Failure(
                        ProxyException.notFound("no bundle " + id + ": publish the bundle before its signature"));
            }
            return new Answer.Text(
                    HttpResponseStatus.CREATED, ResponsePolicy.TEXT, "published the signature of bundle " + id + "\n");
        } catch (IllegalArgumentException e) {
            return new Answer.Refusal(ResponsePolicy.Refusal.BAD_CONTENT, e.getMessage());
        } catch (IOException e) {
            return storageFailure("storing the signature of bundle " + id, e);
        }
    }

    /** The refusal when the body did not arrive whole on disk, else null. */
    private static Answer received(Upload upload) {
        if (upload == null) {
            return new Answer.Refusal(ResponsePolicy.Refusal.BAD_REQUEST, "no request body");
        }
        IOException failure = upload.failure();
        if (failure != null) {
            return storageFailure("receiving a request body", failure);
        }
        return null;
    }

    private static Answer storageFailure(String what, IOException e) {
        log.warn("{}: {}", what, e.toString());
        return new Answer.Failure(new ProxyException(Kind.STORAGE_UNAVAILABLE, what + ": " + e.getMessage(), e));
    }
}
