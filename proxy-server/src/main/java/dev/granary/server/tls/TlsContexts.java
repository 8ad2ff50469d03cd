package dev.granary.server.tls;

import dev.granary.core.Meters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS contexts, from a PEM certificate chain and key, replaced without a restart when
 * the files change ({@link #reload}): connections accepted afterwards get the new certificate,
 * connections already open keep theirs. A reload that fails (a key that does not match yet, a file
 * half written) keeps the contexts in force.
 *
 * <p>TLS 1.3 and 1.2 with the cipher suites HTTP/2 allows (RFC 9113 section 9.2); ALPN offers
 * {@code h2} and {@code http/1.1}. The JDK's provider: no native library to ship.
 */
public final class TlsContexts {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    /** The contexts built from one reading of the files. */
    private record Loaded(SslContext both, SslContext http1, X509Certificate leaf) {}

    private final Path certFile;
    private final Path keyFile;
    private final MeterRegistry registry;
    private final AtomicReference<Loaded> loaded = new AtomicReference<>();

    /** @throws IllegalArgumentException when the files cannot be read, or do not hold a matching certificate and key */
    public TlsContexts(Path certFile, Path keyFile, MeterRegistry registry) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.registry = registry;
        loaded.set(load());
        Gauge.builder(
                        Meters.TLS_CERTIFICATE_EXPIRY,
                        () -> loaded.get().leaf().getNotAfter().toInstant().getEpochSecond())
                .baseUnit("seconds")
                .description("The served TLS certificate's notAfter, in seconds since the epoch")
                .register(registry);
    }

    /** For new connections: ALPN offers h2 and http/1.1. */
    public SslContext context() {
        return loaded.get().both();
    }

    /** For a connection that is only told 503 and closed: HTTP/1.1 alone, so the refusal can be written as such. */
    public SslContext http1Context() {
        return loaded.get().http1();
    }

    /** The certificate served to new connections. */
    public X509Certificate certificate() {
        return loaded.get().leaf();
    }

    public Path certFile() {
        return certFile;
    }

    public Path keyFile() {
        return keyFile;
    }

    /** Reads the files again; keeps the current contexts when that fails. */
    public void reload() {
        try {
            Loaded l = load();
            loaded.set(l);
            registry.counter(Meters.RELOADS, "file", "tls", "result", "ok").increment();
            log.info("TLS certificate reloaded: {}", describe(l.leaf()));
        } catch (IllegalArgumentException e) {
            registry.counter(Meters.RELOADS, "file", "tls", "result", "failed").increment();
            log.warn("TLS certificate not reloaded, the previous one stays in use: {}", e.getMessage());
        }
    }

    /** Subject, issuer and expiry, for the log. */
    public static String describe(X509Certificate c) {
        return c.getSubjectX500Principal().getName() + ", issued by "
                + c.getIssuerX500Principal().getName() + ", valid until "
                + c.getNotAfter().toInstant();
    }

    private Loaded load() {
        PemFiles.KeyMaterial m = PemFiles.read(certFile, keyFile);
        if (m.leaf().getNotAfter().toInstant().isBefore(Instant.now())) {
            log.warn(
                    "the TLS certificate in {} expired on {}",
                    certFile,
                    m.leaf().getNotAfter().toInstant());
        }
        try {
            return new Loaded(
                    build(m, ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1),
                    build(m, ApplicationProtocolNames.HTTP_1_1),
                    m.leaf());
        } catch (SSLException e) {
            throw new IllegalArgumentException("TLS with " + certFile + ": " + e.getMessage(), e);
        }
    }

    private static SslContext build(PemFiles.KeyMaterial m, String... protocols) throws SSLException {
        return SslContextBuilder.forServer(m.key(), m.chain())
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2")
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        protocols))
                .build();
    }
}
