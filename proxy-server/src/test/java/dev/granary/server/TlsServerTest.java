package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.testing.Eventually;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.tls.TlsContexts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS at the edge with a test CA: HTTP/2 and HTTP/1.1 by ALPN (the JDK's client speaks both), large
 * zips streamed over TLS and zero-copy on the plain listener with the same bytes, a plain request on
 * the TLS port told to use https, and the certificate replaced on disk served to new connections.
 */
class TlsServerTest {
    private static final String MODULE = "example.com/big";
    private static final String VERSION = "v1.0.0";

    @TempDir
    Path tmp;

    private TestCa ca;
    private Path cert;
    private Path key;
    private TestUpstream upstream;
    private TestServers.Running granary;
    private byte[] zip;

    @BeforeEach
    void setUp() throws Exception {
        ca = TestCa.create(tmp.resolve("ca"), "Granary Test CA");
        cert = tmp.resolve("tls/cert.pem");
        key = tmp.resolve("tls/key.pem");
        Files.createDirectories(cert.getParent());
        ca.issue("granary one", cert, key, TestCa.KeyForm.PKCS8_EC);

        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        Map<String, byte[]> files = new TreeMap<>();
        byte[] mod = ("module " + MODULE + "\n").getBytes(StandardCharsets.UTF_8);
        files.put("go.mod", mod);
        files.put("big.go", "package big\n".getBytes(StandardCharsets.UTF_8));
        byte[] data = new byte[6 << 20]; // well above the hot tier's item size: served from a file
        new Random(11).nextBytes(data);
        files.put("data.bin", data);
        GoProxyTree.Entry e = tree.add(
                MODULE,
                VERSION,
                ("{\"Version\":\"" + VERSION + "\",\"Time\":\"2024-01-01T00:00:00Z\"}")
                        .getBytes(StandardCharsets.UTF_8),
                mod,
                files);
        zip = Files.readAllBytes(e.zip());
        upstream = TestUpstream.serve(tree.root());

        Map<ConfigKey, String> extra = new EnumMap<>(ConfigKey.class);
        extra.put(ConfigKey.TLS_CERT, cert.toString());
        extra.put(ConfigKey.TLS_KEY, key.toString());
        extra.put(ConfigKey.TLS_PLAIN_LISTEN, "127.0.0.1:0");
        extra.put(ConfigKey.RELOAD_INTERVAL, "100ms");
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), extra);
    }

    @AfterEach
    void tearDown() {
        granary.close();
        upstream.close();
    }

    private String https() {
        return "https://127.0.0.1:" + granary.address().getPort();
    }

    private HttpClient client(HttpClient.Version version) throws GeneralSecurityException, IOException {
        return TestServers.httpsClient(ca.certificate(), version);
    }

    private static HttpResponse<byte[]> get(HttpClient c, String url) throws IOException, InterruptedException {
        return c.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private X509Certificate servedCertificate() throws Exception {
        try (HttpClient c = client(HttpClient.Version.HTTP_1_1)) {
            HttpResponse<byte[]> r = get(c, https() + "/healthz");
            return (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
        }
    }

    @Test
    void http2AndHttp11AreNegotiatedAndServeTheSameBytes() throws Exception {
        String zipUrl = https() + "/" + MODULE + "/@v/" + VERSION + ".zip";
        try (HttpClient h2 = client(HttpClient.Version.HTTP_2);
                HttpClient h1 = client(HttpClient.Version.HTTP_1_1)) {
            HttpResponse<byte[]> a = get(h2, zipUrl);
            assertThat(a.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(a.statusCode()).isEqualTo(200);
            assertThat(a.body()).isEqualTo(zip);
            assertThat(a.headers().firstValue("cache-control")).hasValue("public, max-age=31536000, immutable");
            assertThat(a.headers().firstValue("connection")).isEmpty();

            // Now from storage (a file, streamed over TLS), on both protocols.
            HttpResponse<byte[]> b = get(h1, zipUrl);
            assertThat(b.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(b.body()).isEqualTo(zip);
            assertThat(get(h2, zipUrl).body()).isEqualTo(zip);

            HttpResponse<byte[]> missing = get(h2, https() + "/example.com/nothing/@v/v1.0.0.info");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(new String(missing.body(), StandardCharsets.UTF_8)).contains("not found");

            HttpResponse<Void> head = h2.send(
                    HttpRequest.newBuilder(URI.create(zipUrl))
                            .method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(head.headers().firstValueAsLong("content-length")).hasValue(zip.length);

            // A range, over HTTP/2.
            HttpResponse<byte[]> part = h2.send(
                    HttpRequest.newBuilder(URI.create(zipUrl))
                            .header("Range", "bytes=100-199")
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(part.statusCode()).isEqualTo(206);
            assertThat(part.body()).isEqualTo(Arrays.copyOfRange(zip, 100, 200));
        }
        // The plain listener sends the same file zero-copy.
        try (HttpClient plain = HttpClient.newHttpClient()) {
            String url = "http://127.0.0.1:" + granary.server().plainAddress().getPort() + "/" + MODULE + "/@v/"
                    + VERSION + ".zip";
            assertThat(get(plain, url).body()).isEqualTo(zip);
        }
    }

    @Test
    void manyStreamsOnOneHttp2ConnectionAreAnsweredEachWithItsOwnBody() throws Exception {
        try (HttpClient h2 = client(HttpClient.Version.HTTP_2)) {
            assertThat(get(h2, https() + "/" + MODULE + "/@v/" + VERSION + ".zip")
                            .body())
                    .isEqualTo(zip);
            List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String path = switch (i % 4) {
                    case 0 -> "/" + MODULE + "/@v/" + VERSION + ".zip";
                    case 1 -> "/" + MODULE + "/@v/" + VERSION + ".info";
                    case 2 -> "/" + MODULE + "/@v/list";
                    default -> "/healthz";
                };
                expected.add(path);
                all.add(h2.sendAsync(
                        HttpRequest.newBuilder(URI.create(https() + path)).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (int i = 0; i < all.size(); i++) {
                HttpResponse<byte[]> r = all.get(i).get();
                assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(r.statusCode()).as(expected.get(i)).isEqualTo(200);
                String body = new String(r.body(), StandardCharsets.ISO_8859_1);
                switch (i % 4) {
                    case 0 -> assertThat(r.body()).isEqualTo(zip);
                    case 1 -> assertThat(body).contains("\"Version\":\"v1.0.0\"");
                    case 2 -> assertThat(body).isEqualTo("v1.0.0\n");
                    default -> assertThat(body).isEqualTo("ok\n");
                }
            }
        }
    }

    @Test
    void aStreamTheClientAbandonsMidBodyEndsItsExchangeAndTheConnectionGoesOn() throws Exception {
        String zipUrl = https() + "/" + MODULE + "/@v/" + VERSION + ".zip";
        try (HttpClient h2 = client(HttpClient.Version.HTTP_2)) {
            assertThat(get(h2, zipUrl).body()).isEqualTo(zip);
            for (int i = 0; i < 5; i++) {
                HttpResponse<InputStream> r = h2.send(
                        HttpRequest.newBuilder(URI.create(zipUrl)).build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = r.body()) {
                    assertThat(in.readNBytes(100_000)).isEqualTo(Arrays.copyOf(zip, 100_000));
                } // closing before the end resets the stream
            }
            Eventually.eventually(() ->
                    assertThat(granary.server().metrics().scrape()).contains("granary_http_requests_in_flight 0.0"));
            HttpResponse<byte[]> after = get(h2, https() + "/healthz");
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(after.version()).isEqualTo(HttpClient.Version.HTTP_2);
        }
    }

    @Test
    void shutdownLetsAnHttp2AnswerInProgressFinish() throws Exception {
        upstream.delay(1500);
        try (HttpClient h2 = client(HttpClient.Version.HTTP_2)) {
            CompletableFuture<HttpResponse<byte[]>> slow = h2.sendAsync(
                    HttpRequest.newBuilder(URI.create(https() + "/" + MODULE + "/@v/" + VERSION + ".info"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            Eventually.eventually(() ->
                    assertThat(granary.server().metrics().scrape()).contains("granary_http_requests_in_flight 1.0"));
            granary.close(); // GOAWAY to the client; the stream in progress is answered first
            HttpResponse<byte[]> r = slow.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("\"Version\":\"v1.0.0\"");
        }
    }

    @Test
    void aPlainRequestOnTheTlsPortIsToldToUseHttps() throws IOException {
        try (Socket s = new Socket("127.0.0.1", granary.address().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400 Bad Request").contains("this port speaks HTTPS: use https://");
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFailsTheHandshakeAndIsCounted() throws Exception {
        TestCa other = TestCa.create(tmp.resolve("other-ca"), "Another CA");
        try (HttpClient c = TestServers.httpsClient(other.certificate(), HttpClient.Version.HTTP_2)) {
            assertThatThrownBy(() -> get(c, https() + "/healthz")).isInstanceOf(SSLHandshakeException.class);
        }
        Eventually.eventually(() ->
                assertThat(granary.server().metrics().scrape()).contains("granary_tls_handshake_failures_total 1.0"));
    }

    @Test
    void aReplacedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
        X509Certificate first = servedCertificate();
        assertThat(first.getSubjectX500Principal().getName()).isEqualTo("CN=granary one");
        try (HttpClient kept = client(HttpClient.Version.HTTP_2)) {
            assertThat(get(kept, https() + "/healthz").statusCode()).isEqualTo(200);

            // Renewed as cert-manager writes it: a new pair, an RSA key in PKCS#1, moved into place one file after the
            // other.
            Path newCert = tmp.resolve("tls/new-cert.pem");
            Path newKey = tmp.resolve("tls/new-key.pem");
            ca.issue("granary two", newCert, newKey, TestCa.KeyForm.PKCS1_RSA);
            Files.move(newCert, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(
                    300); // let a poll see the certificate without its key: that reload must fail and change nothing
            Files.move(newKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            Eventually.eventually(() -> assertThat(
                            servedCertificate().getSubjectX500Principal().getName())
                    .isEqualTo("CN=granary two"));
            String metrics = granary.server().metrics().scrape();
            assertThat(metrics).contains("granary_reloads_total{file=\"tls\",result=\"ok\"} 1.0");
            assertThat(metrics).contains("granary_reloads_total{file=\"tls\",result=\"failed\"}");
            assertThat(metrics)
                    .contains("granary_tls_certificate_expiry_seconds "
                            + (double) granary.server()
                                    .tls()
                                    .certificate()
                                    .getNotAfter()
                                    .toInstant()
                                    .getEpochSecond());
            // The connection opened before the change goes on working.
            assertThat(get(kept, https() + "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(TestCa.KeyForm.class)
    void everyUnencryptedPemKeyFormLoads(TestCa.KeyForm form) throws Exception {
        Path c = tmp.resolve("c.pem");
        Path k = tmp.resolve("k.pem");
        X509Certificate issued = ca.issue("form " + form, c, k, form);
        assertThat(new TlsContexts(c, k, new SimpleMeterRegistry()).certificate())
                .isEqualTo(issued);
    }

    @Test
    void anEncryptedKeyOrAKeyOfAnotherCertificateIsRefusedByName() throws Exception {
        Path c = tmp.resolve("c.pem");
        Path k = tmp.resolve("k.pem");
        ca.issue("one", c, k, TestCa.KeyForm.PKCS8_RSA);
        PrivateKey pk;
        try (PEMParser p = new PEMParser(Files.newBufferedReader(k))) {
            pk = new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) p.readObject());
        }
        Path encrypted = tmp.resolve("enc.pem");
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(new JcaPKCS8Generator(
                    pk,
                    new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                            .setProvider(new BouncyCastleProvider())
                            .setPassword("secret".toCharArray())
                            .build()));
        }
        Files.writeString(encrypted, w.toString());
        assertThatThrownBy(() -> new TlsContexts(c, encrypted, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the key is encrypted");

        Path otherCert = tmp.resolve("other.pem");
        ca.issue("two", otherCert, tmp.resolve("other-key.pem"), TestCa.KeyForm.PKCS8_RSA);
        assertThatThrownBy(() -> new TlsContexts(otherCert, k, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not the key of the certificate")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("PRIVATE KEY"));
        assertThatThrownBy(() -> new TlsContexts(c, c, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds no private key");
    }

    @Test
    void onlyCertAndKeyTogetherTurnTlsOn() {
        assertThatThrownBy(() -> TestServers.start(
                        tmp.resolve("s2"), upstream.uri().toString(), Map.of(ConfigKey.TLS_CERT, cert.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls.cert and tls.key go together");
    }

    static KeyStore trust(X509Certificate ca) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        return ks;
    }

    static SSLContext sslContext(X509Certificate ca) throws GeneralSecurityException, IOException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust(ca));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
