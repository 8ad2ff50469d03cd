package dev.granary.core.pgp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Verifies OpenPGP signatures made by the keys of a {@link Keyring}: detached signatures over a stream
 * or file ({@code gpg --detach-sign [--armor] [--textmode]}) and cleartext-signed messages
 * ({@code gpg --clearsign}). A method returns only when the signature is good and every rule below
 * holds; otherwise it throws a {@link PgpException} whose one-line message names the key by
 * fingerprint and says why.
 *
 * <p>What is accepted:
 * <ul>
 *   <li>exactly one signature, version 4 or later, of type binary (0x00) or canonical text (0x01; the
 *       data is hashed with every line ending made CRLF, RFC 4880 section 5.2.1; cleartext messages are
 *       always text signatures), armored or binary;</li>
 *   <li>made by a key of the keyring (the primary key or one of its subkeys) using RSA of 2000 bits or
 *       more, ECDSA (NIST P-256, P-384, P-521, Brainpool), EdDSA (the legacy Ed25519 encoding GnuPG
 *       writes, algorithm 22) or Ed25519/Ed448 (RFC 9580, algorithms 27 and 28), with SHA-224 or a
 *       stronger hash.</li>
 * </ul>
 * What is refused, with its {@link PgpException.Reason}:
 * <ul>
 *   <li>a missing, empty, truncated or garbled signature, an armor checksum mismatch, a file that holds
 *       something else (a key, a message) or several signatures, a signature type other than 0x00/0x01,
 *       a version 3 signature, one without a signed creation time, one with a critical subpacket that is
 *       not understood, or one dated before its key was created: {@code MALFORMED_SIGNATURE};</li>
 *   <li>an issuer that is not in the keyring: {@code UNKNOWN_KEY} (the fingerprint, or key ID, the
 *       signature names);</li>
 *   <li>a key or subkey with a valid revocation signature, whatever its reason and date:
 *       {@code KEY_REVOKED};</li>
 *   <li>a key or subkey that had expired when the signature was made, or that has expired since:
 *       {@code KEY_EXPIRED}. GnuPG reports a good signature from an expired key with a warning; a
 *       supply-chain check cannot tell a signature made before expiry from one back-dated with a key
 *       that leaked after its owner let it lapse, so both are refused (renewing the key with
 *       {@code gpg --quick-set-expire} and exporting it again makes its signatures good again);</li>
 *   <li>a key without a valid self-signature, or a subkey without a valid binding signature (including
 *       the back-signature a signing subkey must carry): {@code INVALID_BINDING};</li>
 *   <li>a subkey (or primary key) whose key flags do not include signing: {@code NOT_SIGNING_KEY};</li>
 *   <li>DSA, ElGamal, RSA under 2000 bits, or a SHA-1, RIPEMD-160 or MD5 signature hash:
 *       {@code UNACCEPTABLE_ALGORITHM};</li>
 *   <li>a creation time more than {@link #MAX_CLOCK_SKEW} after the verifier's clock:
 *       {@code FUTURE_SIGNATURE}; a signature whose own expiration time has passed:
 *       {@code SIGNATURE_EXPIRED};</li>
 *   <li>data that does not match (tampered, truncated, or another file's signature): {@code BAD_SIGNATURE}.</li>
 * </ul>
 * Key checks happen before the data is read, so a refused key costs no read of a large file.
 *
 * <p>Detached verification streams the data through the hash in fixed-size chunks: memory use does
 * not depend on the data's size. Signature inputs and cleartext messages are read into memory, and
 * are refused beyond {@link #MAX_SIGNATURE_BYTES} and {@link #MAX_CLEARTEXT_BYTES}.
 *
 * <p>Implementations are thread-safe.
 */
public interface SignatureVerifier {

    /** A signature input (one detached signature, armored or not) over this size is refused. */
    int MAX_SIGNATURE_BYTES = 1 << 20;

    /** A cleartext-signed message over this size is refused: it is read into memory. */
    int MAX_CLEARTEXT_BYTES = 16 << 20;

    /** How far in the future a signature may claim to be made, for clocks that differ between hosts. */
    Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    /** A verifier trusting the keys of {@code keyring}, judging expiry by the system clock. */
    static SignatureVerifier of(Keyring keyring) {
        return of(keyring, Clock.systemUTC());
    }

    /** A verifier trusting the keys of {@code keyring}, judging expiry and "future" by {@code clock}. */
    static SignatureVerifier of(Keyring keyring, Clock clock) {
        return new BcSignatureVerifier(
                Objects.requireNonNull(keyring, "keyring"), Objects.requireNonNull(clock, "clock"));
    }

    /**
     * Verifies a detached signature over {@code data}. Reads {@code signature} whole, checks it and its
     * key, then reads {@code data} to its end; closes neither.
     *
     * @throws PgpException when the signature is not good (see the class description)
     * @throws IOException  when reading {@code data} or {@code signature} fails
     */
    VerifiedSignature verifyDetached(InputStream data, InputStream signature) throws IOException, PgpException;

    /** {@link #verifyDetached(InputStream, InputStream)} over two files. */
    VerifiedSignature verifyDetached(Path data, Path signature) throws IOException, PgpException;

    /**
     * Verifies a cleartext-signed message ({@code -----BEGIN PGP SIGNED MESSAGE-----}, RFC 4880
     * section 7) and returns the text it signs. The message must start with that line and may be
     * followed by nothing but whitespace after {@code -----END PGP SIGNATURE-----}; the only armor header
     * accepted is {@code Hash}, and when present it must name the signature's hash algorithm; every text
     * line that starts with {@code -} must be dash-escaped. Reads {@code message} to its end; does not
     * close it.
     *
     * @throws PgpException MALFORMED_SIGNATURE when the framing is wrong, else as for detached signatures
     * @throws IOException  when reading fails
     */
    VerifiedMessage verifyCleartext(InputStream message) throws IOException, PgpException;

    /** {@link #verifyCleartext(InputStream)} of a file. */
    VerifiedMessage verifyCleartext(Path message) throws IOException, PgpException;
}
