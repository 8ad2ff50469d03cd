/**
 * OpenPGP signatures that interoperate with GnuPG both ways, on BouncyCastle:
 * <ul>
 *   <li>{@link dev.granary.core.pgp.Keyring}: trusted public keys, from {@code gpg --export [--armor]} files;</li>
 *   <li>{@link dev.granary.core.pgp.SignatureVerifier}: detached and cleartext signatures checked against
 *       a keyring, giving a {@link dev.granary.core.pgp.VerifiedSignature} (and, for cleartext, a
 *       {@link dev.granary.core.pgp.VerifiedMessage}) or a {@link dev.granary.core.pgp.PgpException} that
 *       says why not;</li>
 *   <li>{@link dev.granary.core.pgp.SigningKey}: a secret key loaded with its passphrase, or generated,
 *       that makes detached armored signatures {@code gpg --verify} accepts.</li>
 * </ul>
 * What is refused, and why, is listed on {@link dev.granary.core.pgp.SignatureVerifier}.
 */
package dev.granary.core.pgp;
