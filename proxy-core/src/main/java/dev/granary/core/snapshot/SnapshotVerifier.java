package dev.granary.core.snapshot;

import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlTrust;
import dev.granary.core.dl.ReleaseListing;
import dev.granary.core.fetch.VersionChecks;
import dev.granary.core.gocache.BundleException;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleReader;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePatterns;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.pgp.Keyring;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SignatureVerifier;
import dev.granary.core.pgp.VerifiedSignature;
import dev.granary.core.sumdb.SumdbClient;
import dev.granary.core.sumdb.SumdbFetcher;
import dev.granary.core.sumdb.SumdbForkException;
import dev.granary.core.sumdb.SumdbStorage;
import dev.granary.core.sumdb.TileCache;
import dev.granary.core.sumdb.TreeHeadStore;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.TlogRecord;
import dev.granary.core.sumdb.tlog.Tree;
import dev.granary.core.verify.ExpectedSums;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks a staged snapshot completely, writing nothing. In order:
 * <ol>
 *   <li>the signature over {@code SHA256SUMS} against the trusted keyring (unknown, expired and revoked
 *       keys refused: {@link SignatureVerifier}), unless unsigned snapshots are explicitly allowed;</li>
 *   <li>every member's SHA-256 against {@code SHA256SUMS}, every listed member present and no
 *       unlisted one; the manifest; every member accounted for by the manifest;</li>
 *   <li>the pinned tree head's signature with the configured checksum database's key, and every
 *       lookup's inclusion proof at that head from the snapshot's tiles ({@link SumdbClient}, as for
 *       an online lookup); every tile shipped is one of the proofs' tiles;</li>
 *   <li>every module version: {@code .info} names it, {@code .mod} and zip hash to the proven record
 *       (or, for a private module, the signed {@code .sum}, and only for paths in the no-sumdb
 *       patterns), the zip obeys the module zip rules ({@link VersionChecks}); nothing contradicts what
 *       is already stored here;</li>
 *   <li>consistency with the tree head already persisted here, by the client's merge rules: the older
 *       head must be proven a prefix of the newer one from the snapshot's tiles and the stored ones;</li>
 *   <li>toolchain existence records: each {@code .info} names its version, which a proven record lists;</li>
 *   <li>release archives: each archive's SHA-256 equals its entry in the carried listing and its
 *       {@code .sha256}, and its detached signature verifies with the release key <em>this</em> Granary
 *       trusts ({@link DlTrust#forImport}: its keyring file, its stored key, or the carried key only when
 *       it holds the pinned fingerprint); nothing contradicts an archive stored here;</li>
 *   <li>pre-warm bundles: each passes {@link BundleReader}'s checks (manifest, every file's hash, every
 *       output's name) under the identity it is named by, its signature looks like one, and the carried
 *       index entries are the bundles' own. Bundles are vouched for by the snapshot's signature (there is
 *       no bundle keyring), so an unsigned snapshot may not carry them.</li>
 * </ol>
 * Any failure refuses the whole snapshot with a {@link SnapshotException} naming the member and why.
 */
public final class SnapshotVerifier {

    /**
     * What the verifier trusts.
     *
     * @param keyring       the trusted signing keys, or null
     * @param allowUnsigned skip the signature check (loudly; checksum-database proofs are still checked)
     * @param sumdbKey      the configured checksum database's verifier key, or null when none is configured
     * @param noSumdb       private-module patterns (GONOSUMDB syntax): the only modules accepted without a proof
     * @param dl            the trust root of release archives, or null when none is configured
     */
    public record Trust(Keyring keyring, boolean allowUnsigned, String sumdbKey, String noSumdb, DlTrust dl) {
        /** Trust for snapshots without release archives. */
        public Trust(Keyring keyring, boolean allowUnsigned, String sumdbKey, String noSumdb) {
            this(keyring, allowUnsigned, sumdbKey, noSumdb, null);
        }
    }

    private final StagedSnapshot staged;
    private final Trust trust;
    private final BlobStore store;
    private final Progress progress;

    private SnapshotVerifier(StagedSnapshot staged, Trust trust, BlobStore store, Progress progress) {
        this.staged = staged;
        this.trust = trust;
        this.store = store;
        this.progress = progress;
    }

    /**
     * Verifies {@code staged} against {@code trust} and what {@code store} holds.
     *
     * @throws SnapshotException when anything does not verify
     * @throws IOException       when the staged files or the store cannot be read
     */
    public static VerifiedSnapshot verify(StagedSnapshot staged, Trust trust, BlobStore store, Progress progress)
            throws SnapshotException, IOException {
        return new SnapshotVerifier(staged, trust, store, progress).run();
    }

    private VerifiedSnapshot run() throws SnapshotException, IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        byte[] sums = staged.read(SnapshotFormat.SUMS)
                .orElseThrow(() -> new SnapshotException(
                        "no " + SnapshotFormat.SUMS + " member: the file is truncated, or not a Granary snapshot"));
        Optional<VerifiedSignature> signer = checkSignature(sums, files);
        files.put(SnapshotFormat.SUMS, sums);

        Map<String, String> listed = Sha256Sums.parse(sums);
        for (StagedSnapshot.Member m : staged.members()) {
            if (m.name().equals(SnapshotFormat.SUMS) || m.name().equals(SnapshotFormat.SIGNATURE)) {
                continue;
            }
            String want = listed.get(m.name());
            if (want == null) {
                throw SnapshotException.member(
                        SnapshotFormat.printable(m.name()), "is not listed in " + SnapshotFormat.SUMS);
            }
            if (!want.equals(m.sha256())) {
                throw SnapshotException.member(
                        SnapshotFormat.printable(m.name()),
                        "SHA-256 " + m.sha256() + " differs from " + want + " listed in " + SnapshotFormat.SUMS
                                + ": the file was altered or damaged");
            }
        }
        for (String name : listed.keySet()) {
            if (staged.member(name).isEmpty()) {
                throw SnapshotException.member(
                        SnapshotFormat.printable(name),
                        "is listed in " + SnapshotFormat.SUMS + " but missing from the archive (truncated or altered)");
            }
            if (!SnapshotFormat.isOwnFile(name)) {
                SnapshotFormat.kindOf(name);
            }
        }
        byte[] manifestBytes = staged.read(SnapshotFormat.MANIFEST)
                .orElseThrow(() -> new SnapshotException("no " + SnapshotFormat.MANIFEST + " member"));
        if (!listed.containsKey(SnapshotFormat.MANIFEST)) {
            throw SnapshotException.member(SnapshotFormat.MANIFEST, "is not listed in " + SnapshotFormat.SUMS);
        }
        SnapshotManifest manifest = SnapshotManifest.parse(manifestBytes);
        files.put(SnapshotFormat.MANIFEST, manifestBytes);

        Map<ModuleVersion, SnapshotManifest.Entry> entries = new TreeMap<>(SnapshotOrder.VERSIONS);
        for (SnapshotManifest.Entry e : manifest.versions()) {
            if (entries.put(ModuleVersion.of(e.path(), e.version()), e) != null) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST, "lists " + e.path() + "@" + e.version() + " twice");
            }
        }
        Set<ModuleVersion> toolchainInfos = new TreeSet<>(SnapshotOrder.VERSIONS);
        for (String v : manifest.toolchainInfos()) {
            if (!toolchainInfos.add(ModuleVersion.of(StorageLayout.TOOLCHAIN_MODULE, v))) {
                throw SnapshotException.member(SnapshotFormat.MANIFEST, "lists toolchain " + v + " twice");
            }
        }
        Accounting accounting = account(entries, toolchainInfos, manifest);
        if (signer.isEmpty()) {
            for (SnapshotManifest.Entry e : entries.values()) {
                if (!e.proof()) {
                    throw SnapshotException.member(
                            SnapshotFormat.MANIFEST,
                            e.path() + "@" + e.version() + " is a private module"
                                    + " (no checksum-database record): only a signature could vouch for it, and this snapshot's is not checked");
                }
            }
            if (!manifest.bundles().isEmpty()) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST,
                        "carries pre-warm bundles: only a signature could vouch for"
                                + " them, and this snapshot's is not checked");
            }
        }
        Map<ModuleVersion, GoSum> proven = new HashMap<>();
        Optional<VerifiedSnapshot.Sumdb> sumdb = checkSumdb(manifest, entries, toolchainInfos, accounting, proven);
        List<VerifiedSnapshot.Version> versions = checkVersions(
                entries, proven, sumdb.map(VerifiedSnapshot.Sumdb::db).orElse(null));
        List<VerifiedSnapshot.ToolchainInfo> infos = checkToolchainInfos(toolchainInfos, proven);
        VerifiedSnapshot.Releases releases = checkReleases(manifest);
        List<VerifiedSnapshot.Bundle> bundles = checkBundles(manifest);
        return new VerifiedSnapshot(
                SnapshotManifest.idOf(manifestBytes),
                manifest,
                files,
                signer,
                versions,
                sumdb,
                infos,
                releases,
                bundles);
    }

    // ---- 1. signature ---------------------------------------------------------------------------

    private Optional<VerifiedSignature> checkSignature(byte[] sums, Map<String, byte[]> files)
            throws SnapshotException, IOException {
        if (trust.allowUnsigned()) {
            return Optional.empty();
        }
        if (trust.keyring() == null) {
            throw new SnapshotException(
                    "no trusted keys: give --keyring (or --allow-unsigned to skip the signature check)");
        }
        byte[] sig = staged.read(SnapshotFormat.SIGNATURE)
                .orElseThrow(
                        () -> SnapshotException.member(
                                SnapshotFormat.SIGNATURE,
                                "is missing: the snapshot is not signed (--allow-unsigned imports it without a signature check)"));
        try (InputStream data = new ByteArrayInputStream(sums);
                InputStream s = new ByteArrayInputStream(sig)) {
            VerifiedSignature v = SignatureVerifier.of(trust.keyring()).verifyDetached(data, s);
            files.put(SnapshotFormat.SIGNATURE, sig);
            return Optional.of(v);
        } catch (PgpException e) {
            throw SnapshotException.member(SnapshotFormat.SIGNATURE, "signature refused: " + e.getMessage());
        }
    }

    // ---- 2. accounting --------------------------------------------------------------------------

    /** The members by role; every member must have one. */
    private record Accounting(Map<String, StagedSnapshot.Member> sumdb, Set<String> lookups, Set<String> tiles) {}

    private Accounting account(
            Map<ModuleVersion, SnapshotManifest.Entry> entries,
            Set<ModuleVersion> toolchainInfos,
            SnapshotManifest manifest)
            throws SnapshotException {
        Set<String> releases = new TreeSet<>();
        manifest.releases().forEach(r -> releases.add(r.filename()));
        Map<String, SnapshotManifest.Bundle> bundles = new TreeMap<>();
        for (SnapshotManifest.Bundle b : manifest.bundles()) {
            if (bundles.put(b.id(), b) != null) {
                throw SnapshotException.member(SnapshotFormat.MANIFEST, "lists bundle " + b.id() + " twice");
            }
        }
        if (releases.size() != manifest.releases().size()) {
            throw SnapshotException.member(SnapshotFormat.MANIFEST, "lists a release archive twice");
        }
        Set<String> modulePaths = new TreeSet<>();
        entries.keySet().forEach(mv -> modulePaths.add(mv.escapedPath()));
        Map<String, StagedSnapshot.Member> sumdb = new TreeMap<>();
        Set<String> lookups = new TreeSet<>();
        Set<String> tiles = new TreeSet<>();
        for (StagedSnapshot.Member m : staged.members()) {
            String name = m.name();
            if (SnapshotFormat.isOwnFile(name)) {
                continue;
            }
            KeyKind kind = SnapshotFormat.kindOf(name);
            switch (kind) {
                case INFO, MOD, ZIP, SUM -> {
                    ModuleVersion mv = versionOf(name);
                    SnapshotManifest.Entry e = entries.get(mv);
                    if (e == null || (kind == KeyKind.ZIP && !e.zip())) {
                        throw SnapshotException.member(
                                SnapshotFormat.printable(name), "is not listed in " + SnapshotFormat.MANIFEST);
                    }
                }
                case LIST -> {
                    String path = name.substring(0, name.length() - "/@v/list".length());
                    if (!modulePaths.contains(path)) {
                        throw SnapshotException.member(
                                SnapshotFormat.printable(name),
                                "lists versions of a module the manifest does not name");
                    }
                }
                case TOOLCHAIN_INFO -> {
                    Optional<ModuleVersion> mv = StorageLayout.versionOfToolchainInfo(BlobKey.of(name));
                    if (mv.isEmpty() || !toolchainInfos.contains(mv.get())) {
                        throw SnapshotException.member(
                                SnapshotFormat.printable(name), "is not listed in " + SnapshotFormat.MANIFEST);
                    }
                }
                case DL_ARCHIVE, DL_SIGNATURE, DL_SHA256 -> {
                    if (!releases.contains(SnapshotFormat.dlFilename(name))) {
                        throw SnapshotException.member(
                                SnapshotFormat.printable(name), "is not listed in " + SnapshotFormat.MANIFEST);
                    }
                }
                case DL_LISTING, DL_SIGNING_KEY -> {
                    if (releases.isEmpty()) {
                        throw SnapshotException.member(
                                name, "comes without release archives in " + SnapshotFormat.MANIFEST);
                    }
                }
                case GOCACHE_BUNDLE, GOCACHE_BUNDLE_SIGNATURE -> {
                    String id = name.substring(
                                    StorageLayout.gocacheBundlesDir().value().length() + 1)
                            .substring(0, 32);
                    SnapshotManifest.Bundle b = bundles.get(id);
                    if (b == null || kind == KeyKind.GOCACHE_BUNDLE_SIGNATURE && !b.signed()) {
                        throw SnapshotException.member(
                                SnapshotFormat.printable(name), "is not listed in " + SnapshotFormat.MANIFEST);
                    }
                }
                case GOCACHE_BUNDLE_INDEX -> {
                    if (bundles.isEmpty()) {
                        throw SnapshotException.member(
                                name, "comes without pre-warm bundles in " + SnapshotFormat.MANIFEST);
                    }
                }
                default -> {
                    sumdb.put(name, m);
                    if (kind == KeyKind.SUMDB_LOOKUP) {
                        lookups.add(name);
                    } else if (kind == KeyKind.SUMDB_TILE) {
                        tiles.add(name);
                    }
                }
            }
        }
        return new Accounting(sumdb, lookups, tiles);
    }

    private static ModuleVersion versionOf(String name) throws SnapshotException {
        int at = name.lastIndexOf("/@v/");
        int dot = name.lastIndexOf('.');
        try {
            return ModuleVersion.of(
                    ModuleEscaping.unescapePath(name.substring(0, at)),
                    ModuleEscaping.unescapeVersion(name.substring(at + 4, dot)));
        } catch (ProxyException | StringIndexOutOfBoundsException e) {
            throw SnapshotException.member(SnapshotFormat.printable(name), "does not name a valid module version");
        }
    }

    // ---- 3 and 5. checksum database -------------------------------------------------------------

    private Optional<VerifiedSnapshot.Sumdb> checkSumdb(
            SnapshotManifest manifest,
            Map<ModuleVersion, SnapshotManifest.Entry> entries,
            Set<ModuleVersion> toolchainInfos,
            Accounting acc,
            Map<ModuleVersion, GoSum> proven)
            throws SnapshotException, IOException {
        boolean anyProof =
                entries.values().stream().anyMatch(SnapshotManifest.Entry::proof) || !toolchainInfos.isEmpty();
        if (!anyProof && acc.sumdb().isEmpty()) {
            return Optional.empty();
        }
        if (trust.sumdbKey() == null) {
            throw new SnapshotException(
                    "the snapshot carries checksum-database proofs, but no checksum database is configured"
                            + " here (--sumdb): there is no key to check them with");
        }
        // A throwaway client only parses the key; nothing it does touches storage.
        String db = new SumdbClient(
                        trust.sumdbKey(),
                        p -> {
                            throw new FileNotFoundException(p);
                        },
                        TreeHeadStore.inMemory(),
                        TileCache.none())
                .name();
        String prefix = "sumdb/" + db + "/";
        for (String name : acc.sumdb().keySet()) {
            if (!name.startsWith(prefix)) {
                throw SnapshotException.member(
                        SnapshotFormat.printable(name),
                        "belongs to a checksum database other than the " + "configured " + db);
            }
        }
        String latestName = prefix + "latest";
        byte[] latest = staged.read(latestName)
                .orElseThrow(() -> SnapshotException.member(
                        latestName, "is missing: the snapshot" + " has no tree head for checksum database " + db));
        StagedSnapshot.Member supported = acc.sumdb().get(prefix + "supported");
        if (supported != null && supported.size() != 0) {
            throw SnapshotException.member(prefix + "supported", "must be empty");
        }
        SumdbStorage inside = new SumdbStorage(store);
        Map<String, String> authenticated = new HashMap<>();
        TileCache recording = recordingCache(inside.tiles(db), authenticated);
        SumdbFetcher fetcher = path -> staged.read(prefix + path)
                .orElseThrow(() -> new FileNotFoundException("the snapshot has no member " + prefix + path));

        // 3. The head and every record, proven from the snapshot alone (the head held here is not consulted yet).
        SumdbClient pinned = new SumdbClient(trust.sumdbKey(), fetcher, TreeHeadStore.inMemory(), recording);
        Tree tree;
        try {
            tree = pinned.refresh();
        } catch (ProxyException e) {
            throw SnapshotException.member(latestName, "tree head refused: " + e.getMessage());
        }
        SnapshotManifest.TreeHead head = manifest.treeHead(db)
                .orElseThrow(() -> SnapshotException.member(
                        SnapshotFormat.MANIFEST, "names no tree head for checksum database " + db));
        if (head.size() != tree.n() || !Arrays.equals(head.note().getBytes(StandardCharsets.UTF_8), latest)) {
            throw SnapshotException.member(
                    SnapshotFormat.MANIFEST,
                    "names tree#" + head.size() + ", but " + latestName + " is tree#" + tree.n());
        }
        Set<String> expectedLookups = new TreeSet<>();
        Map<ModuleVersion, Boolean> needProof = new TreeMap<>(SnapshotOrder.VERSIONS);
        entries.forEach((mv, e) -> needProof.put(mv, e.proof()));
        toolchainInfos.forEach(mv -> needProof.merge(mv, true, Boolean::logicalOr));
        for (Map.Entry<ModuleVersion, Boolean> e : needProof.entrySet()) {
            ModuleVersion mv = e.getKey();
            String name = StorageLayout.sumdbLookup(db, mv).value();
            if (!e.getValue()) {
                if (acc.lookups().contains(name)) {
                    throw SnapshotException.member(name, "is present for a version the manifest says has no proof");
                }
                continue;
            }
            expectedLookups.add(name);
            byte[] response = staged.read(name)
                    .orElseThrow(() -> SnapshotException.member(
                            name, "is missing: " + mv + " has no checksum-database record in the snapshot"));
            try {
                TlogRecord rec = TlogRecord.parseRecord(response);
                if (!Arrays.equals(rec.rest(), latest)) {
                    throw SnapshotException.member(name, "is not pinned to the snapshot's tree head " + latestName);
                }
            } catch (TlogException ex) {
                throw SnapshotException.member(name, "is not a checksum-database record: " + ex.getMessage());
            }
            try {
                proven.put(mv, pinned.lookup(mv).sums());
            } catch (ProxyException ex) {
                throw SnapshotException.member(name, "inclusion proof refused: " + ex.getMessage());
            }
            progress.add(0, 1);
        }
        for (String l : acc.lookups()) {
            if (!expectedLookups.contains(l)) {
                throw SnapshotException.member(l, "is a record of a version the manifest does not list");
            }
        }

        // 5. Consistency with the head this Granary already holds, by the verifying client's merge rules.
        Optional<byte[]> held = inside.treeHead(db).load();
        long heldSize = 0;
        if (held.isPresent()) {
            TreeHeadStore heads = TreeHeadStore.inMemory();
            heads.save(held.get());
            SumdbClient merging = new SumdbClient(trust.sumdbKey(), fetcher, heads, recording);
            Tree heldTree;
            try {
                heldTree = merging.verifiedTree(held.get());
            } catch (ProxyException e) {
                throw new SnapshotException("the tree head stored here for " + db
                        + " does not verify with the configured key: " + e.getMessage());
            }
            heldSize = heldTree.n();
            try {
                merging.refresh();
            } catch (SumdbForkException e) {
                throw SnapshotException.member(latestName, e.getMessage() + "\n" + e.evidence());
            } catch (ProxyException e) {
                throw SnapshotException.member(latestName, consistencyHint(heldTree, tree) + ": " + e.getMessage());
            }
        }

        // Every tile shipped must be one the proofs used, or the very tile already stored here.
        for (String t : acc.tiles()) {
            String path = t.substring(prefix.length());
            StagedSnapshot.Member m = acc.sumdb().get(t);
            String sha = authenticated.get(path);
            if (sha != null) {
                if (!sha.equals(m.sha256())) {
                    throw SnapshotException.member(t, "differs from the tile the proofs authenticated");
                }
                continue;
            }
            Optional<byte[]> here = inside.tiles(db).get(path);
            if (here.isEmpty() || !sha256(here.get()).equals(m.sha256())) {
                throw SnapshotException.member(
                        t, "is not part of any proof in the snapshot; refusing unauthenticated data");
            }
        }
        Map<String, Path> files = new TreeMap<>();
        for (Map.Entry<String, StagedSnapshot.Member> e : acc.sumdb().entrySet()) {
            if (!e.getKey().equals(latestName)) {
                files.put(e.getKey(), e.getValue().file());
            }
        }
        return Optional.of(new VerifiedSnapshot.Sumdb(db, tree, latest, files, held, heldSize));
    }

    private static String consistencyHint(Tree held, Tree snapshot) {
        if (held.n() > snapshot.n()) {
            return "this Granary already holds tree#" + held.n() + ", newer than the snapshot's tree#" + snapshot.n()
                    + ", and the snapshot cannot prove its tree a prefix of it (import snapshots in the order they were exported)";
        }
        return "cannot prove that tree#" + held.n() + " held here is a prefix of the snapshot's tree#" + snapshot.n()
                + " (export it with --since the snapshot imported here last, so that it carries the consistency proof)";
    }

    /** Reads authenticated tiles from storage; records the tiles the client authenticates from the snapshot. */
    private static TileCache recordingCache(TileCache stored, Map<String, String> authenticated) {
        return new TileCache() {
            @Override
            public Optional<byte[]> get(String path) throws IOException {
                return stored.get(path);
            }

            @Override
            public void put(String path, byte[] data) {
                authenticated.put(path, sha256(data));
            }
        };
    }

    // ---- 4. module versions ---------------------------------------------------------------------

    private List<VerifiedSnapshot.Version> checkVersions(
            Map<ModuleVersion, SnapshotManifest.Entry> entries, Map<ModuleVersion, GoSum> proven, String db)
            throws SnapshotException, IOException {
        List<VerifiedSnapshot.Version> out = new ArrayList<>(entries.size());
        for (Map.Entry<ModuleVersion, SnapshotManifest.Entry> en : entries.entrySet()) {
            ModuleVersion mv = en.getKey();
            SnapshotManifest.Entry e = en.getValue();
            String base = StorageLayout.path(mv, "");
            byte[] info = need(base + ".info");
            byte[] mod = need(base + ".mod");
            byte[] sumBytes = need(base + ".sum");
            StagedSnapshot.Member zip = e.zip()
                    ? staged.member(base + ".zip")
                            .orElseThrow(() -> SnapshotException.member(
                                    base + ".zip", "is missing, but the manifest lists " + mv + " with its zip"))
                    : null;
            Optional<ExpectedSums> expected;
            if (e.proof()) {
                expected = Optional.of(ExpectedSums.fromDatabase(proven.get(mv), db));
            } else {
                if (!ModulePatterns.matchPrefixPatterns(
                        trust.noSumdb(), mv.path().value())) {
                    throw SnapshotException.member(
                            base + ".sum",
                            mv + " has no checksum-database record (a private module where it was"
                                    + " exported); this Granary accepts such modules only for paths in its --nosumdb patterns");
                }
                GoSum signed = parseSum(base + ".sum", sumBytes, mv);
                expected = Optional.of(ExpectedSums.fromPin(signed));
            }
            GoSum actual;
            String member = base + ".info";
            try {
                VersionChecks.checkInfo(mv, info);
                member = base + ".mod";
                String modH1 = VersionChecks.checkMod(mv, mod, expected);
                if (zip != null) {
                    member = base + ".zip";
                    actual = VersionChecks.checkZip(mv, zip.file(), mod, modH1, expected);
                } else {
                    actual = GoSum.of(mv, null, modH1);
                }
            } catch (ProxyException ex) {
                // The shared checks speak of "the upstream"; here the content comes from the snapshot.
                throw SnapshotException.member(
                        member,
                        ex.getMessage()
                                .replace("the upstream served", "the snapshot carries")
                                .replace("upstream:", "snapshot:")
                                .replace("upstream .info", "its .info"));
            } catch (IOException ex) {
                throw SnapshotException.member(member, "cannot be read as a zip: " + ex.getMessage());
            }
            if (!Arrays.equals(actual.bytes(), sumBytes)) {
                throw SnapshotException.member(
                        base + ".sum",
                        "does not list the hashes of the version's files: "
                                + actual.text().strip());
            }
            checkAgainstStored(mv, actual, base, e.proof());
            out.add(new VerifiedSnapshot.Version(mv, info, mod, zip == null ? null : zip.file(), actual, e.proof()));
            progress.add(0, 1);
        }
        return out;
    }

    // ---- 6. toolchain existence records --------------------------------------------------------

    private List<VerifiedSnapshot.ToolchainInfo> checkToolchainInfos(
            Set<ModuleVersion> versions, Map<ModuleVersion, GoSum> proven) throws SnapshotException, IOException {
        List<VerifiedSnapshot.ToolchainInfo> out = new ArrayList<>();
        for (ModuleVersion mv : versions) {
            String name = StorageLayout.toolchainInfo(mv).value();
            byte[] info = need(name);
            if (!proven.containsKey(mv)) {
                throw SnapshotException.member(name, "no proven checksum-database record lists " + mv);
            }
            try {
                VersionChecks.checkInfo(mv, info);
            } catch (ProxyException ex) {
                throw SnapshotException.member(name, ex.getMessage().replace("upstream .info", "its .info"));
            }
            out.add(new VerifiedSnapshot.ToolchainInfo(mv, info));
            progress.add(0, 1);
        }
        return out;
    }

    // ---- 7. release archives ------------------------------------------------------------------

    private VerifiedSnapshot.Releases checkReleases(SnapshotManifest manifest) throws SnapshotException, IOException {
        if (manifest.releases().isEmpty()) {
            return VerifiedSnapshot.Releases.NONE;
        }
        String listingName = SnapshotFormat.DL_LISTING;
        String keyName = StorageLayout.dlSigningKey().value();
        if (trust.dl() == null) {
            throw new SnapshotException(
                    "the snapshot carries Go release archives, but this Granary has no release signing key"
                            + " configured to check them (dl.keyring, dl.key-fingerprint)");
        }
        byte[] listingBytes = need(listingName);
        ReleaseListing listing;
        try {
            listing = ReleaseListing.parse(listingBytes);
        } catch (ProxyException e) {
            throw SnapshotException.member(listingName, e.getMessage());
        }
        Set<String> carried = new TreeSet<>();
        manifest.releases().forEach(r -> carried.add(r.filename()));
        for (String f : listing.filenames()) {
            if (!carried.contains(f)) {
                throw SnapshotException.member(
                        listingName, "lists " + SnapshotFormat.printable(f) + ", which the snapshot does not carry");
            }
        }
        DlTrust.ImportKeys keys;
        try {
            keys = trust.dl().forImport(staged.read(keyName));
        } catch (RefusedException e) {
            throw SnapshotException.member(keyName, e.getMessage());
        } catch (ProxyException e) {
            throw new SnapshotException("the release signing key: " + e.getMessage(), e);
        }
        List<VerifiedSnapshot.ReleaseArchive> archives = new ArrayList<>();
        List<String> signers = new ArrayList<>();
        for (SnapshotManifest.Release r : manifest.releases()) {
            String f = r.filename();
            String archiveName = StorageLayout.dlArchive(f).value();
            String shaName = StorageLayout.dlSha256(f).value();
            String sigName = StorageLayout.dlSignature(f).value();
            ReleaseListing.ReleaseFile entry = listing.find(f)
                    .orElseThrow(() -> SnapshotException.member(
                            listingName, "has no entry for " + f + ": the archive cannot be checked against it"));
            if (!entry.hasSha256()) {
                throw SnapshotException.member(
                        listingName, "gives no SHA-256 for " + f + ": the archive cannot be checked");
            }
            StagedSnapshot.Member archive = staged.member(archiveName)
                    .orElseThrow(() -> SnapshotException.member(archiveName, "is missing, but the manifest lists it"));
            String listed = new String(need(shaName), StandardCharsets.US_ASCII).strip();
            if (!listed.equals(entry.sha256())) {
                throw SnapshotException.member(
                        shaName,
                        "says " + SnapshotFormat.printable(listed) + ", the release listing " + entry.sha256());
            }
            if (!r.sha256().equals(entry.sha256())) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST,
                        "gives " + f + " SHA-256 " + r.sha256() + ", the release listing " + entry.sha256());
            }
            if (!archive.sha256().equals(entry.sha256())) {
                throw SnapshotException.member(
                        archiveName,
                        "SHA-256 " + archive.sha256() + " differs from " + entry.sha256()
                                + " in the release listing: the archive was altered or damaged");
            }
            if (entry.size() > 0 && archive.size() != entry.size()) {
                throw SnapshotException.member(
                        archiveName, "is " + archive.size() + " bytes, the release listing says " + entry.size());
            }
            byte[] signature = need(sigName);
            VerifiedSignature signed;
            try (InputStream in = staged.open(archive)) {
                signed = keys.verifier().verifyDetached(in, new ByteArrayInputStream(signature));
            } catch (PgpException e) {
                throw SnapshotException.member(
                        sigName,
                        "signature refused: " + e.getMessage() + " (this Granary trusts release keys "
                                + String.join(", ", keys.fingerprints()) + ")");
            }
            Optional<byte[]> here = read(StorageLayout.dlSha256(f));
            if (here.isPresent()
                    && !new String(here.get(), StandardCharsets.US_ASCII)
                            .strip()
                            .equals(entry.sha256())) {
                throw SnapshotException.member(
                        archiveName,
                        "is stored here with SHA-256 "
                                + SnapshotFormat.printable(new String(here.get(), StandardCharsets.US_ASCII).strip())
                                + "; refusing to replace it");
            }
            if (!signers.contains(signed.keyFingerprint())) {
                signers.add(signed.keyFingerprint());
            }
            archives.add(new VerifiedSnapshot.ReleaseArchive(f, entry.sha256(), archive.file(), signature));
            progress.add(0, 1);
        }
        return new VerifiedSnapshot.Releases(
                archives, listingBytes, keys.toStore().orElse(null), signers);
    }

    // ---- 8. pre-warm bundles ------------------------------------------------------------------

    private List<VerifiedSnapshot.Bundle> checkBundles(SnapshotManifest manifest)
            throws SnapshotException, IOException {
        if (manifest.bundles().isEmpty()) {
            return List.of();
        }
        String indexName = StorageLayout.gocacheBundleIndex().value();
        BundleStore.Index carried;
        try {
            carried = BundleStore.parseIndex(need(indexName));
        } catch (IOException e) {
            throw SnapshotException.member(indexName, "not a bundle index: " + e.getMessage());
        }
        List<VerifiedSnapshot.Bundle> out = new ArrayList<>();
        for (SnapshotManifest.Bundle b : manifest.bundles()) {
            String name = StorageLayout.gocacheBundle(b.id()).value();
            StagedSnapshot.Member file = staged.member(name)
                    .orElseThrow(() -> SnapshotException.member(name, "is missing, but the manifest lists it"));
            BundleManifest m;
            try (BundleReader reader = BundleReader.open(staged.open(file))) {
                m = reader.manifest();
                if (!m.id().equals(b.id())) {
                    throw SnapshotException.member(name, "is bundle " + m.id() + " by its manifest, not " + b.id());
                }
                reader.verify();
            } catch (BundleException e) {
                throw SnapshotException.member(name, "bundle refused: " + e.getMessage());
            } catch (IOException e) {
                throw SnapshotException.member(name, "bundle refused: it cannot be read whole: " + e.getMessage());
            }
            if (!file.sha256().equals(b.sha256()) || file.size() != b.size()) {
                throw SnapshotException.member(
                        name, "differs from the bundle " + SnapshotFormat.MANIFEST + " lists (SHA-256, size)");
            }
            byte[] signature = null;
            if (b.signed()) {
                String sigName = StorageLayout.gocacheBundleSignature(b.id()).value();
                StagedSnapshot.Member sig =
                        staged.member(sigName).orElseThrow(() -> SnapshotException.member(sigName, "is missing"));
                if (!BundleStore.isSignature(sig.file())) {
                    throw SnapshotException.member(sigName, "is not a detached OpenPGP signature");
                }
                signature = Files.readAllBytes(sig.file());
            }
            BundleStore.IndexEntry entry = BundleStore.entry(m, file.size(), b.signed());
            BundleStore.IndexEntry listed = carried.bundles().stream()
                    .filter(e -> b.id().equals(e.id()))
                    .findFirst()
                    .orElseThrow(() -> SnapshotException.member(indexName, "has no entry for bundle " + b.id()));
            if (!listed.equals(entry)) {
                throw SnapshotException.member(
                        indexName, "describes bundle " + b.id() + " otherwise than its manifest does");
            }
            out.add(new VerifiedSnapshot.Bundle(b.id(), file.file(), file.sha256(), signature, entry));
            progress.add(0, 1);
        }
        if (carried.bundles().size() != out.size()) {
            throw SnapshotException.member(indexName, "lists bundles the snapshot does not carry");
        }
        return out;
    }

    /** Nothing already stored here may disagree: a committed version's .sum, a private module's pin. */
    private void checkAgainstStored(ModuleVersion mv, GoSum actual, String base, boolean proven)
            throws SnapshotException, IOException {
        Optional<byte[]> sum = read(StorageLayout.sum(mv));
        if (sum.isPresent() && exists(StorageLayout.info(mv))) {
            GoSum stored = GoSum.find(new String(sum.get(), StandardCharsets.UTF_8), mv);
            if (stored == null || conflicts(stored, actual)) {
                throw SnapshotException.member(
                        base + ".sum",
                        mv + " is stored here with different content:\n"
                                + (stored == null ? "(unreadable)\n" : stored.text()) + "refusing to replace it");
            }
        }
        if (!proven) {
            Optional<byte[]> pin = read(StorageLayout.pin(mv));
            if (pin.isPresent()) {
                GoSum pinned = GoSum.find(new String(pin.get(), StandardCharsets.UTF_8), mv);
                if (pinned == null || conflicts(pinned, actual)) {
                    throw SnapshotException.member(
                            base + ".sum",
                            "private module " + mv + " differs from its pin here (first seen as:\n"
                                    + (pinned == null ? "(unreadable)\n" : pinned.text()) + "): a retagged version?");
                }
            }
        }
    }

    private static boolean conflicts(GoSum a, GoSum b) {
        return (a.zipH1() != null && b.zipH1() != null && !a.zipH1().equals(b.zipH1()))
                || (a.modH1() != null && b.modH1() != null && !a.modH1().equals(b.modH1()));
    }

    private static GoSum parseSum(String name, byte[] bytes, ModuleVersion mv) throws SnapshotException {
        try {
            GoSum s = GoSum.find(new String(bytes, StandardCharsets.UTF_8), mv);
            if (s != null) {
                return s;
            }
        } catch (ProxyException e) {
            throw SnapshotException.member(name, e.getMessage());
        }
        throw SnapshotException.member(name, "does not list " + mv);
    }

    private byte[] need(String name) throws SnapshotException, IOException {
        return staged.read(name).orElseThrow(() -> SnapshotException.member(name, "is missing"));
    }

    private Optional<byte[]> read(BlobKey key) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(blob.readAllBytes());
        }
    }

    private boolean exists(BlobKey key) throws IOException {
        return store.exists(key);
    }

    static String sha256(byte[] data) {
        MessageDigest md = SnapshotWriter.sha256();
        return HexFormat.of().formatHex(md.digest(data));
    }
}
