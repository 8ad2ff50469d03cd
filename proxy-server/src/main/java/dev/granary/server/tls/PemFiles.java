package dev.granary.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads a PEM certificate chain and its private key as operators have them: certbot, cert-manager,
 * openssl and cloud consoles write the key as PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}, cert-manager's default) or SEC1 ({@code BEGIN EC PRIVATE KEY}),
 * which the JDK alone does not all read. Checks that the key belongs to the first certificate, so a
 * mismatch is reported as one instead of as failing handshakes. Errors never quote key material.
 */
final class PemFiles {

    /** A certificate chain (leaf first) and the leaf's private key. */
    record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {
        X509Certificate leaf() {
            return chain.get(0);
        }
    }

    private PemFiles() {}

    /** @throws IllegalArgumentException naming the file and what is wrong with it */
    static KeyMaterial read(Path certFile, Path keyFile) {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new IllegalArgumentException("tls.key " + keyFile + " is not the key of the certificate in "
                    + certFile + " (" + chain.get(0).getSubjectX500Principal().getName() + ")");
        }
        return new KeyMaterial(chain, key);
    }

    private static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("tls.cert " + file + ": cannot read it: " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(
                    "tls.cert " + file + ": not a PEM certificate chain: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("tls.cert " + file + ": holds no certificate");
        }
        return List.copyOf(out);
    }

    private static PrivateKey privateKey(Path file) {
        Object pem;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(r)) {
            pem = parser.readObject();
            while (pem != null && !isKey(pem)) {
                // Skip what may come before the key, such as EC PARAMETERS.
                pem = parser.readObject();
            }
        } catch (IOException | RuntimeException e) {
            // BouncyCastle's messages describe structure, never key bytes.
            throw new IllegalArgumentException(
                    "tls.key " + file + ": not a PEM private key ("
                            + e.getClass().getSimpleName() + ")",
                    e);
        }
        if (pem == null) {
            throw new IllegalArgumentException("tls.key " + file + ": holds no private key");
        }
        if (pem instanceof PEMEncryptedKeyPair || pem instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new IllegalArgumentException(
                    "tls.key " + file
                            + ": the key is encrypted; give Granary an unencrypted key (openssl pkey -in enc.pem -out key.pem) in a file only it can read");
        }
        try {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            // A SEC1 key need not carry its public key: take the private part alone.
            return converter.getPrivateKey(
                    pem instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo() : (PrivateKeyInfo) pem);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "tls.key " + file + ": unsupported private key ("
                            + e.getClass().getSimpleName() + ")",
                    e);
        }
    }

    private static boolean isKey(Object pem) {
        return pem instanceof PEMKeyPair
                || pem instanceof PrivateKeyInfo
                || pem instanceof PEMEncryptedKeyPair
                || pem instanceof PKCS8EncryptedPrivateKeyInfo;
    }

    /** Signs a random challenge with the key and verifies it with the certificate's public key. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (alg == null) {
            return true; // an unusual algorithm: let the handshake decide
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
