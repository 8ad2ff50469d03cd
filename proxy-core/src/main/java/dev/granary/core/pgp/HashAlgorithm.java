package dev.granary.core.pgp;

import org.bouncycastle.bcpg.HashAlgorithmTags;

/** The hash algorithms {@link SigningKey#sign} offers. */
public enum HashAlgorithm {
    SHA256(HashAlgorithmTags.SHA256),
    SHA512(HashAlgorithmTags.SHA512);

    final int tag;

    HashAlgorithm(int tag) {
        this.tag = tag;
    }
}
