package dev.granary.core.dl;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.pgp.Keyring;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SignatureVerifier;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trust root of release archives: which OpenPGP keys may sign them. Two ways to configure it:
 * <ul>
 *   <li><b>A keyring file</b> ({@code dl.keyring}): the keys in it, read at start (a file that cannot be
 *       used stops the start). When fingerprints are pinned ({@code dl.key-fingerprint}), only those
 *       keys of the file are trusted and a file holding none of them is refused.</li>
 *   <li><b>A key URL</b> ({@code dl.keyring-url}, by default Google's published
 *       {@code linux_signing_key.pub}): the key is fetched once, when the first archive needs it,
 *       accepted only if it holds a pinned primary fingerprint (by default
 *       {@code EB4C 1BFD 4F04 2F6D DDCC EC91 7721 F63B D38B 4796}, Google's Linux packages signing
 *       key), and stored ({@code dl/signing-key.asc}) for restarts and the air gap. Other keys the file
 *       carries are not trusted. Without a pin there is no URL mode: a key fetched over the network is
 *       only as good as the pin it is checked against.</li>
 * </ul>
 * The pin is checked again every time a stored key is loaded, so a replaced key file in storage trusts
 * nothing. Key material coming with a snapshot is accepted under the same rule ({@link #adopt}).
 */
public final class DlTrust {
    private static final Logger log = LoggerFactory.getLogger(DlTrust.class);
    /** Key files larger than this are refused: Google's is a few KiB. */
    private static final long MAX_KEY_BYTES = 1 << 20;

    /**
     * Where the trust root comes from.
     *
     * @param keyringFile the keyring file, or null to use {@code keyUrl}
     * @param keyUrl      where the key is published, used when there is no file
     * @param pins        primary key fingerprints that are trusted (hex, spaces allowed); empty = every key
     *                    of the file (not allowed with a URL)
     */
    public record Settings(Path keyringFile, URI keyUrl, List<String> pins) {
        /** Google's Linux packages signing key, which signs the Go release archives (go.dev/dl). */
        public static final String GOOGLE_LINUX_SIGNING_KEY = "EB4C1BFD4F042F6DDDCCEC917721F63BD38B4796";

        public static final URI GOOGLE_KEY_URL = URI.create("https://dl.google.com/linux/linux_signing_key.pub");

        public Settings {
            pins = pins.stream()
                    .map(Keyring::normalizeFingerprint)
                    .filter(s -> !s.isEmpty())
                    .toList();
            for (String p : pins) {
                if (!p.matches("[0-9A-F]{40}|[0-9A-F]{64}")) {
                    throw new IllegalArgumentException("not an OpenPGP fingerprint (40 or 64 hex digits): '" + p + "'");
                }
            }
            if (keyringFile == null && keyUrl == null) {
                throw new IllegalArgumentException("release archives need a keyring file or a key URL");
            }
            if (keyringFile == null && pins.isEmpty()) {
                throw new IllegalArgumentException(
                        "a signing key fetched from a URL must be pinned by its fingerprint");
            }
        }
    }

    private final Settings settings;
    private final BlobStore store;
    private final Function<URI, Upstream> http;
    private volatile Keyring keyring;

    private DlTrust(Settings settings, BlobStore store, Function<URI, Upstream> http, Keyring keyring) {
        this.settings = settings;
        this.store = store;
        this.http = http;
        this.keyring = keyring;
    }

    /**
     * The trust root. A keyring file is read now.
     *
     * @param http makes an upstream for a base URL (the key URL's directory)
     * @throws IllegalArgumentException when the keyring file cannot be read or holds no pinned key
     */
    public static DlTrust create(Settings settings, BlobStore store, Function<URI, Upstream> http) {
        Keyring kr = null;
        if (settings.keyringFile() != null) {
            try {
                kr = pinned(Keyring.load(settings.keyringFile()), settings.pins());
            } catch (IOException | PgpException e) {
                throw new IllegalArgumentException(
                        "release signing keyring " + settings.keyringFile() + ": " + e.getMessage(), e);
            }
            log.info("release archives: trusting key {} from {}", kr.fingerprints(), settings.keyringFile());
        }
        return new DlTrust(settings, store, http, kr);
    }

    private static Keyring pinned(Keyring all, List<String> pins) throws PgpException {
        return pins.isEmpty() ? all : all.only(pins);
    }

    /**
     * The verifier of release signatures, obtaining the key first when it comes from a URL.
     *
     * @throws RefusedException dl-signing-key when the key found is not the pinned one (nothing is stored)
     * @throws ProxyException   UPSTREAM_FAILED when the key cannot be fetched
     */
    public SignatureVerifier verifier() {
        return SignatureVerifier.of(keyring());
    }

    /** The trusted keys' fingerprints, obtaining the key if needed. */
    public List<String> fingerprints() {
        return keyring().fingerprints();
    }

    private Keyring keyring() {
        Keyring k = keyring;
        if (k != null) {
            return k;
        }
        synchronized (this) {
            if (keyring == null) {
                keyring = obtain();
            }
            return keyring;
        }
    }

    /** From storage if it was fetched before, else from the URL; either way checked against the pin. */
    private Keyring obtain() {
        Optional<byte[]> stored = stored();
        if (stored.isPresent()) {
            try {
                return pinned(Keyring.read(new ByteArrayInputStream(stored.get())), settings.pins());
            } catch (IOException | PgpException e) {
                // A stored key that no longer passes is not trusted; fetch it again.
                log.error(
                        "the stored release signing key {} is refused ({}); fetching it again",
                        StorageLayout.dlSigningKey(),
                        e.getMessage());
            }
        }
        URI url = settings.keyUrl();
        String name = url.getPath().substring(url.getPath().lastIndexOf('/') + 1);
        byte[] bytes;
        try {
            bytes = http.apply(url.resolve(".")).fetch(name, MAX_KEY_BYTES);
        } catch (ProxyException e) {
            throw new ProxyException(
                    e.kind() == Kind.NOT_FOUND ? Kind.UPSTREAM_FAILED : e.kind(),
                    "cannot obtain the release signing key: " + e.getMessage(),
                    e);
        }
        Keyring kr = accept(bytes, "the key published at " + url);
        log.info("release archives: obtained signing key {} from {}", kr.fingerprints(), url);
        return kr;
    }

    /** Checks key material against the pin and stores it; the accepted keyring. */
    private Keyring accept(byte[] bytes, String what) {
        Keyring kr;
        try {
            kr = pinned(Keyring.read(new ByteArrayInputStream(bytes)), settings.pins());
        } catch (IOException | PgpException e) {
            throw new RefusedException("dl-signing-key", "release signing key (" + what + "): " + e.getMessage());
        }
        try {
            store.put(StorageLayout.dlSigningKey(), bytes);
        } catch (IOException e) {
            throw new ProxyException(Kind.STORAGE_UNAVAILABLE, "storing the release signing key: " + e.getMessage(), e);
        }
        return kr;
    }

    /**
     * Offers key material from elsewhere (a snapshot): in URL mode it is checked against the pin and, when
     * it passes, stored and trusted from now on; with a keyring file the file stays the trust root and the
     * offer is only checked. Returns the fingerprints it trusts.
     *
     * @throws RefusedException dl-signing-key when it holds no pinned key
     */
    public List<String> adopt(byte[] keyMaterial) {
        if (settings.keyringFile() != null) {
            try {
                return pinned(Keyring.read(new ByteArrayInputStream(keyMaterial)), settings.pins())
                        .fingerprints();
            } catch (IOException | PgpException e) {
                throw new RefusedException("dl-signing-key", "release signing key (offered): " + e.getMessage());
            }
        }
        synchronized (this) {
            Keyring kr = accept(keyMaterial, "offered key");
            keyring = kr;
            return kr.fingerprints();
        }
    }

    /**
     * The keys archives that arrived from elsewhere (a snapshot) are checked with, deciding without writing
     * anything: with a keyring file, its pinned keys; else the key stored here; else {@code offered} (the key
     * material that came with the archives), trusted only when it holds a pinned key, and then to be stored
     * ({@link ImportKeys#toStore()}) when the archives are published. A key that merely came along is never
     * trusted for itself.
     *
     * @throws RefusedException dl-signing-key when there is no key to check with, or the offered one holds no pinned key
     */
    public ImportKeys forImport(Optional<byte[]> offered) {
        if (settings.keyringFile() != null) {
            Keyring kr = keyring();
            return new ImportKeys(SignatureVerifier.of(kr), kr.fingerprints(), Optional.empty());
        }
        Optional<byte[]> stored = stored();
        if (stored.isPresent()) {
            try {
                Keyring kr = pinned(Keyring.read(new ByteArrayInputStream(stored.get())), settings.pins());
                return new ImportKeys(SignatureVerifier.of(kr), kr.fingerprints(), Optional.empty());
            } catch (IOException | PgpException e) {
                log.error(
                        "the stored release signing key {} is refused ({})",
                        StorageLayout.dlSigningKey(),
                        e.getMessage());
            }
        }
        if (offered.isEmpty()) {
            throw new RefusedException(
                    "dl-signing-key",
                    "no release signing key is stored here to check the archives with, and none came"
                            + " with them (this Granary trusts " + String.join(", ", settings.pins())
                            + "; or configure dl.keyring)");
        }
        Keyring kr;
        try {
            kr = pinned(Keyring.read(new ByteArrayInputStream(offered.get())), settings.pins());
        } catch (IOException | PgpException e) {
            throw new RefusedException(
                    "dl-signing-key",
                    "the release signing key that came with the archives is not trusted here: " + e.getMessage());
        }
        return new ImportKeys(SignatureVerifier.of(kr), kr.fingerprints(), offered);
    }

    /**
     * What {@link #forImport} decided.
     *
     * @param verifier     checks the archives' signatures
     * @param fingerprints the keys it trusts
     * @param toStore      key material to store when the archives are published (it passed the pin, and no key is stored yet)
     */
    public record ImportKeys(SignatureVerifier verifier, List<String> fingerprints, Optional<byte[]> toStore) {}

    /** The key material to carry along (a snapshot): the stored key in URL mode, the file's bytes otherwise. */
    public Optional<byte[]> keyMaterial() {
        if (settings.keyringFile() != null) {
            try {
                return Optional.of(Files.readAllBytes(settings.keyringFile()));
            } catch (IOException e) {
                throw new ProxyException(
                        Kind.STORAGE_UNAVAILABLE, "reading " + settings.keyringFile() + ": " + e.getMessage(), e);
            }
        }
        keyring();
        return stored();
    }

    private Optional<byte[]> stored() {
        try (Blob b = store.get(StorageLayout.dlSigningKey()).orElse(null)) {
            return b == null ? Optional.empty() : Optional.of(b.readAllBytes());
        } catch (IOException e) {
            throw new ProxyException(Kind.STORAGE_UNAVAILABLE, "reading the release signing key: " + e.getMessage(), e);
        }
    }

    /** How the trust root is configured, for the log. */
    public String describe() {
        String pins = settings.pins().isEmpty() ? "any key of the file" : "pinned " + String.join(",", settings.pins());
        return (settings.keyringFile() != null
                        ? settings.keyringFile().toString()
                        : Objects.toString(settings.keyUrl()))
                + " (" + pins + ")";
    }
}
