package dev.granary.server.cli;

import dev.granary.core.gocache.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Pre-warm bundles over HTTP: publish to a Granary (PUT, with a cache-write token), download from one. */
final class BundleUploads {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();

    private BundleUploads() {}

    /** A request that failed: the server's status and its one-line reason. */
    static final class Refused extends IOException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** {@code <base>/gocache/bundles/<id>.tar.zst}. */
    static URI bundleUri(String base, String id) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return URI.create(b + "/gocache/bundles/" + id + ".tar.zst");
    }

    /** PUTs the bundle, then its signature when there is one; returns the server's answer. */
    static String publish(String base, String id, Path bundle, Path signature, String token, Progress progress)
            throws IOException, InterruptedException {
        URI uri = bundleUri(base, id);
        progress.start("publishing to " + base, Files.size(bundle));
        String answer = put(uri, bundle, token);
        progress.advance(Files.size(bundle));
        progress.done();
        if (signature != null) {
            answer += put(URI.create(uri + ".asc"), signature, token);
        }
        return answer;
    }

    private static String put(URI uri, Path file, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri).timeout(Duration.ofHours(1)).PUT(HttpRequest.BodyPublishers.ofFile(file));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() / 100 != 2) {
            throw new Refused(
                    r.statusCode(),
                    "PUT " + uri + ": " + r.statusCode() + " " + r.body().strip());
        }
        return r.body();
    }

    /**
     * Downloads {@code uri} into {@code target}.
     *
     * @return false when the server has no such file (404)
     */
    static boolean download(URI uri, Path target, String token, Progress progress)
            throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri).timeout(Duration.ofHours(1)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                return false;
            }
            if (r.statusCode() != 200) {
                String why = new String(in.readNBytes(500), StandardCharsets.UTF_8).strip();
                throw new Refused(r.statusCode(), "GET " + uri + ": " + r.statusCode() + " " + why);
            }
            progress.start(
                    "downloading " + uri.getPath().substring(uri.getPath().lastIndexOf('/') + 1),
                    r.headers().firstValueAsLong("Content-Length").orElse(-1));
            try (OutputStream out = Files.newOutputStream(target)) {
                byte[] buf = new byte[64 << 10];
                for (int n; (n = in.read(buf)) != -1; ) {
                    out.write(buf, 0, n);
                    progress.advance(n);
                }
            }
            progress.done();
            return true;
        }
    }
}
