package dev.granary.server;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * A throwaway certificate authority for TLS tests: a CA certificate (what clients trust, e.g. the
 * go command through {@code SSL_CERT_FILE}) and server certificates it signs for 127.0.0.1 and
 * localhost, written as PEM files in the forms operators have: the key as PKCS#8, PKCS#1 (RSA) or
 * SEC1 (EC).
 */
public final class TestCa {
    /** How a server key is written. */
    public enum KeyForm {
        PKCS8_EC,
        SEC1_EC,
        PKCS1_RSA,
        PKCS8_RSA
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final Path caFile;

    private TestCa(KeyPair caKeys, X509Certificate ca, Path caFile) {
        this.caKeys = caKeys;
        this.ca = ca;
        this.caFile = caFile;
    }

    /** A new CA; its certificate is written to {@code dir/ca.pem}. */
    public static TestCa create(Path dir, String name) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        KeyPair keys = ec();
        X500Name subject = new X500Name("CN=" + name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                subject,
                serial(),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))),
                subject,
                keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        X509Certificate cert = convert(b.build(signer(keys)));
        Path file = dir.resolve("ca.pem");
        Files.writeString(file, pem(cert));
        return new TestCa(keys, cert, file);
    }

    /** The CA certificate as PEM, for SSL_CERT_FILE or a client trust store. */
    public Path caFile() {
        return caFile;
    }

    public X509Certificate certificate() {
        return ca;
    }

    /** A server certificate and key written to {@code cert} and {@code key}, for 127.0.0.1, ::1 and localhost. */
    public X509Certificate issue(String commonName, Path cert, Path key, KeyForm form)
            throws IOException, GeneralSecurityException {
        KeyPair keys = form == KeyForm.PKCS1_RSA || form == KeyForm.PKCS8_RSA ? rsa() : ec();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                ca,
                serial(),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                new X500Name("CN=" + commonName),
                keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            new GeneralName(GeneralName.iPAddress, InetAddress.getByName("::1").getHostAddress()),
            new GeneralName(GeneralName.dNSName, "localhost")
        }));
        X509Certificate c = convert(b.build(signer(caKeys)));
        Files.writeString(cert, pem(c));
        Files.writeString(
                key,
                switch (form) {
                    // JcaPEMWriter writes an RSA key pair as PKCS#1 ("RSA PRIVATE KEY").
                    case PKCS1_RSA -> pem(keys);
                    case SEC1_EC -> pem(new PemObject("EC PRIVATE KEY", sec1(keys)));
                    case PKCS8_EC, PKCS8_RSA ->
                        pem(new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded()));
                });
        return c;
    }

    /** RFC 5915 ECPrivateKey with the curve and the public key, as openssl ec writes it ("EC PRIVATE KEY"). */
    private static byte[] sec1(KeyPair keys) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
        BigInteger d = ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
        DERBitString pub = new DERBitString(
                SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded())
                        .getPublicKeyData()
                        .getBytes());
        return new ECPrivateKey(256, d, pub, curve).getEncoded();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static ContentSigner signer(KeyPair keys) throws GeneralSecurityException {
        try {
            return new JcaContentSignerBuilder(
                            keys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA")
                    .build(keys.getPrivate());
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X509Certificate convert(X509CertificateHolder h) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(h);
    }

    private static String pem(Object o) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            if (o instanceof PemObject po) {
                p.writeObject((PemObjectGenerator) po);
            } else {
                p.writeObject(o);
            }
        }
        return w.toString();
    }
}
