package dev.granary.server;

import dev.granary.server.auth.Access;
import dev.granary.server.auth.TokenStore;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.FileWatch;
import dev.granary.server.config.GranaryConfig;
import dev.granary.server.tls.TlsContexts;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Security at the edge, assembled from the configuration: the TLS contexts ({@code tls.*}), the client
 * tokens ({@code auth.tokens}, {@code auth.tokens-file}) and the access decisions over them, and the
 * watch that reloads the certificate, key and token file when they change.
 */
final class EdgeSecurity implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeSecurity.class);

    private final TlsContexts tls;
    private final TokenStore tokens;
    private final Access access;
    private final FileWatch fileWatch;

    EdgeSecurity(GranaryConfig config, MeterRegistry registry) {
        this.tls = tls(config, registry);
        this.tokens = new TokenStore(
                path(config.get(ConfigKey.AUTH_TOKENS_FILE)), config.get(ConfigKey.AUTH_TOKENS), registry);
        this.access = new Access(tokens, config.get(ConfigKey.AUTH_REQUIRED), config.bool(ConfigKey.AUTH_METRICS));
        this.fileWatch =
                tls == null && tokens.file() == null ? null : new FileWatch(config.duration(ConfigKey.RELOAD_INTERVAL));
        if (tls != null) {
            fileWatch.watch(List.of(tls.certFile(), tls.keyFile()), tls::reload);
        }
        if (tokens.file() != null) {
            fileWatch.watch(List.of(tokens.file()), tokens::reload);
        }
        describe(config);
    }

    /** The TLS contexts, or null when TLS is off. */
    TlsContexts tls() {
        return tls;
    }

    TokenStore tokens() {
        return tokens;
    }

    Access access() {
        return access;
    }

    /** {@code tls.cert} and {@code tls.key}: both or neither. */
    private static TlsContexts tls(GranaryConfig config, MeterRegistry registry) {
        String cert = config.get(ConfigKey.TLS_CERT);
        String key = config.get(ConfigKey.TLS_KEY);
        boolean hasCert = cert != null && !cert.isBlank();
        boolean hasKey = key != null && !key.isBlank();
        if (hasCert != hasKey) {
            throw new IllegalArgumentException("tls.cert and tls.key go together: set both, or neither for plain HTTP");
        }
        if (!hasCert) {
            return null;
        }
        TlsContexts t = new TlsContexts(Path.of(cert), Path.of(key), registry);
        log.info("TLS certificate: {}", TlsContexts.describe(t.certificate()));
        return t;
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value);
    }

    private void describe(GranaryConfig config) {
        String required = config.get(ConfigKey.AUTH_REQUIRED);
        boolean guarded = required != null && !required.isBlank();
        if (!access.enabled()) {
            return;
        }
        log.info(
                "client tokens: {} loaded; modules needing one: '{}'; /metrics {}",
                tokens.get().size(),
                guarded ? required : "",
                config.bool(ConfigKey.AUTH_METRICS) ? "needs one" : "open");
        if (guarded && tokens.get().size() == 0) {
            log.warn(
                    "auth.required is set but no token is configured: every request for those modules, and for the build caches, is refused");
        }
        if (tls == null) {
            log.warn(
                    "client tokens are configured but TLS is off: the go command sends credentials only over https, and build cache"
                            + " clients would send theirs in the clear (set tls.cert and tls.key, or terminate TLS in front of Granary)");
        }
    }

    @Override
    public void close() {
        if (fileWatch != null) {
            fileWatch.close();
        }
    }
}
