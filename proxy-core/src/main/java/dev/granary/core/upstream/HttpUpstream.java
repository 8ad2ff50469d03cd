package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Another GOPROXY over HTTP(S).
 *
 * <p>Uses the JDK's {@link HttpClient}: pooled keep-alive connections, HTTP/2 when the server offers
 * it through ALPN, bounded connect and request timeouts. Connection errors and 5xx/429 answers are
 * retried with exponential backoff; 404 and 410 are answers, not errors, and are never retried.
 */
public final class HttpUpstream implements Upstream {
    private static final Logger log = LoggerFactory.getLogger(HttpUpstream.class);

    /** Timeouts and retry policy. */
    public record Settings(Duration connectTimeout, Duration requestTimeout, int retries, Duration backoff) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(10), Duration.ofMinutes(5), 2, Duration.ofMillis(200));
    }

    private final URI base;
    private final HttpClient client;
    private final Settings settings;

    public HttpUpstream(URI base, HttpClient client, Settings settings) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.client = client;
        this.settings = settings;
    }

    /** A shared client suitable for all HTTP upstreams of one process. */
    public static HttpClient newClient(Settings settings) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(settings.connectTimeout())
                .build();
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        return withRetries(path, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            receive(path, maxBytes, out);
            return out.toByteArray();
        });
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        return withRetries(path, () -> {
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                return receive(path, maxBytes, out);
            }
        });
    }

    /** One GET: status checked, body copied to {@code out} within the bound and against the announced length. */
    private long receive(String path, long maxBytes, OutputStream out) throws IOException, InterruptedException {
        HttpResponse<InputStream> rsp = send(path);
        try (InputStream body = rsp.body()) {
            checkStatus(path, rsp);
            OptionalLong len = rsp.headers().firstValueAsLong("content-length");
            if (len.isPresent() && len.getAsLong() > maxBytes) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, describe() + path + " is larger than " + maxBytes + " bytes");
            }
            long n = Limits.copy(body, out, maxBytes, describe() + path);
            checkLength(path, len, n);
            return n;
        }
    }

    private HttpResponse<InputStream> send(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(encodePath(path)))
                .timeout(settings.requestTimeout())
                .header("User-Agent", "granary")
                .GET()
                .build();
        return client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    }

    private void checkStatus(String path, HttpResponse<InputStream> rsp) throws IOException {
        int code = rsp.statusCode();
        if (code == 200) {
            return;
        }
        String reason = new String(rsp.body().readNBytes(512), StandardCharsets.UTF_8).strip();
        String msg = describe() + path + ": " + code + (reason.isEmpty() ? "" : " " + reason);
        switch (code) {
            case 404 -> throw new ProxyException(Kind.NOT_FOUND, msg);
            case 410 -> throw new ProxyException(Kind.GONE, msg);
            case 429, 500, 502, 503, 504 -> throw new Retryable(msg);
            default -> throw new ProxyException(Kind.UPSTREAM_FAILED, msg);
        }
    }

    private void checkLength(String path, OptionalLong announced, long got) {
        if (announced.isPresent() && announced.getAsLong() != got) {
            throw new ProxyException(Kind.UPSTREAM_FAILED,
                    describe() + path + ": truncated body: got " + got + " of " + announced.getAsLong() + " bytes");
        }
    }

    private interface Attempt<T> {
        T run() throws IOException, InterruptedException;
    }

    /** A transient upstream answer worth retrying. */
    private static final class Retryable extends IOException {
        Retryable(String msg) {
            super(msg);
        }
    }

    private <T> T withRetries(String path, Attempt<T> attempt) {
        long backoff = settings.backoff().toMillis();
        for (int i = 0; ; i++) {
            try {
                return attempt.run();
            } catch (HttpTimeoutException e) {
                if (i >= settings.retries()) {
                    throw new ProxyException(Kind.UPSTREAM_TIMEOUT, describe() + path + ": timed out", e);
                }
            } catch (IOException e) {
                if (i >= settings.retries()) {
                    String msg = e instanceof Retryable ? e.getMessage() : describe() + path + ": " + describeIo(e);
                    throw new ProxyException(Kind.UPSTREAM_FAILED, msg, e);
                }
                log.debug("retrying {}{} after {}", describe(), path, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyException(Kind.UPSTREAM_FAILED, describe() + path + ": interrupted", e);
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyException(Kind.UPSTREAM_FAILED, describe() + path + ": interrupted", e);
            }
            backoff *= 2;
        }
    }

    private static String describeIo(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Percent-encodes what a URI path may not carry literally; '/' stays a separator. */
    static String encodePath(String path) {
        StringBuilder b = new StringBuilder(path.length() + 8);
        for (byte x : path.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "/-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    @Override
    public String describe() {
        return base.toString();
    }
}
