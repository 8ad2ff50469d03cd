package dev.granary.core.pgp;

/** The kinds of key {@link SigningKey#generate} makes. Both import into and verify in GnuPG 2.2 and later. */
public enum KeyAlgorithm {
    /**
     * Ed25519 in the EdDSA encoding every OpenPGP implementation reads (algorithm 22, what
     * {@code gpg --quick-gen-key UID ed25519} makes). The default: small keys, fast, deterministic signatures.
     */
    ED25519,
    /** RSA with a 3072-bit modulus, for verifiers that know nothing newer. */
    RSA_3072
}
