package dev.granary.core.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlMirror;
import dev.granary.core.dl.ReleaseListing;
import dev.granary.core.dl.ReleaseListing.ReleaseFile;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.fetch.VersionChecks;
import dev.granary.core.gocache.BundleException;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleReader;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoModFile;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.GoWorkFile;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModuleGraph;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModulePatterns;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import dev.granary.core.pgp.SigningKey;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.sumdb.SumdbClient;
import dev.granary.core.sumdb.SumdbDatabases;
import dev.granary.core.sumdb.SumdbStorage;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.TlogRecord;
import dev.granary.core.sumdb.tlog.Tree;
import dev.granary.core.toolchain.Toolchains;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Exports a snapshot ({@link SnapshotFormat}) of the module versions a selection names, from storage,
 * fetching what is missing through the module service's upstreams and verify-before-commit pipeline
 * (unless offline), with the checksum-database records and the tiles that prove them, pinned to one
 * signed tree head. It can carry the Go distribution too: release archives (fetched and verified by the
 * {@link DlMirror} when missing) with their listing entries, signatures and the trusted signing key, and
 * toolchain modules (zips for the platforms asked for, and the linux-amd64 existence {@code .info} of
 * every version, each proven like a module); and pre-warm bundles with their index entries. Memory does
 * not depend on the snapshot's size: files stream from storage into the archive, and proof tiles are
 * staged on disk.
 */
public final class SnapshotExporter {
    private static final int PARALLEL_FETCHES = 8;
    /** Proof tiles are staged in {@code .tmp-export-<pid>-<random>}. */
    static final String STAGING_PREFIX = ".tmp-export-";

    /**
     * What to export.
     *
     * @param goSums         go.sum files: every line's module version (zip lines with their zip)
     * @param goMods         go.mod files: the module graph the go command loads for them
     * @param goWorks        go.work files: the workspace's module graph
     * @param modules        {@code path@version}, {@code path@latest} or {@code path@all-tagged}
     * @param all            every version stored
     * @param since          earlier snapshots whose versions the other side already has
     * @param output         the snapshot file to write (replaced atomically)
     * @param zstd           compress the archive with zstd
     * @param signingKey     the key that signs SHA256SUMS, or null for an unsigned snapshot
     * @param granaryVersion recorded in the manifest
     * @param distribution   release archives, toolchains and bundles to carry too
     */
    public record Request(
            List<Path> goSums,
            List<Path> goMods,
            List<Path> goWorks,
            List<String> modules,
            boolean all,
            List<Previous> since,
            Path output,
            boolean zstd,
            SigningKey signingKey,
            String granaryVersion,
            Distribution distribution) {
        public Request {
            goSums = List.copyOf(goSums);
            goMods = List.copyOf(goMods);
            goWorks = List.copyOf(goWorks);
            modules = List.copyOf(modules);
            since = List.copyOf(since);
            distribution = distribution == null ? Distribution.NONE : distribution;
        }

        /** Module versions alone. */
        public Request(
                List<Path> goSums,
                List<Path> goMods,
                List<Path> goWorks,
                List<String> modules,
                boolean all,
                List<Previous> since,
                Path output,
                boolean zstd,
                SigningKey signingKey,
                String granaryVersion) {
            this(
                    goSums,
                    goMods,
                    goWorks,
                    modules,
                    all,
                    since,
                    output,
                    zstd,
                    signingKey,
                    granaryVersion,
                    Distribution.NONE);
        }
    }

    /**
     * The Go distribution and build caches to carry besides module versions.
     *
     * @param releases   release archives: Go version specs ({@code 1.26.3}, {@code go1.26.3}, {@code 1.26.x})
     * @param toolchains toolchain modules: Go version specs
     * @param platforms  the platforms of both ({@code linux/amd64}; {@code src} names the source archive)
     * @param allBundles every pre-warm bundle stored
     * @param bundles    pre-warm bundles by identity
     */
    public record Distribution(
            List<String> releases,
            List<String> toolchains,
            List<String> platforms,
            boolean allBundles,
            List<String> bundles) {
        /** Nothing besides module versions. */
        public static final Distribution NONE = new Distribution(List.of(), List.of(), List.of(), false, List.of());

        public Distribution {
            releases = List.copyOf(releases);
            toolchains = List.copyOf(toolchains);
            platforms = List.copyOf(platforms);
            bundles = List.copyOf(bundles);
        }
    }

    /** An earlier snapshot: its id and manifest. */
    public record Previous(String id, SnapshotManifest manifest) {

        /**
         * Reads an earlier snapshot's manifest from the snapshot file itself (plain or zstd; read as a
         * stream up to its manifest) or from its extracted {@code MANIFEST.json}.
         */
        public static Previous read(Path file) throws SnapshotException, IOException {
            byte[] manifest;
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
                raw.mark(8);
                byte[] head = raw.readNBytes(4);
                raw.reset();
                if (head.length > 0 && head[0] == '{') {
                    manifest = raw.readNBytes(64 << 20);
                } else {
                    manifest = manifestOf(
                            Arrays.equals(head, SnapshotFormat.ZSTD_MAGIC) ? new ZstdInputStream(raw) : raw, file);
                }
            }
            return new Previous(SnapshotManifest.idOf(manifest), SnapshotManifest.parse(manifest));
        }

        private static byte[] manifestOf(InputStream in, Path file) throws SnapshotException, IOException {
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (e.getName().equals(SnapshotFormat.MANIFEST) || e.getName().equals("./" + SnapshotFormat.MANIFEST)) {
                    return tar.readNBytes(64 << 20);
                }
            }
            throw new SnapshotException(file + " holds no " + SnapshotFormat.MANIFEST + ": not a snapshot");
        }
    }

    /** The snapshot written. */
    public record Result(String id, SnapshotManifest manifest, Path output, long fileBytes) {}

    /** A version to ship: its go.sum lines, and its checksum-database record (null for a private module). */
    private record Item(ModuleVersion mv, boolean zip, GoSum sums, long recordId, byte[] record, String recordText) {}

    /** A toolchain version shipped as its existence record: its .info, and its checksum-database record. */
    private record ToolchainInfo(ModuleVersion mv, byte[] info, long recordId, byte[] record, String recordText) {}

    /** A pre-warm bundle to ship: its index entry (computed from its manifest) and whether its signature goes with it. */
    private record BundleItem(BundleStore.IndexEntry entry, boolean signed) {}

    /** Release archives to ship: the listing's entries of them, the key material the signatures verify with. */
    private record Releases(ReleaseListing listing, List<ReleaseFile> files, byte[] key, List<String> fingerprints) {
        static final Releases NONE = new Releases(new ReleaseListing(List.of()), List.of(), null, List.of());
    }

    /** What a snapshot carries besides module versions. */
    private record Carried(List<ToolchainInfo> toolchainInfos, Releases releases, List<BundleItem> bundles) {}

    private final ModuleService modules;
    private final BlobStore store;
    private final Optional<SumdbDatabases.Database> db;
    private final SumdbStorage sumdbStorage;
    private final String noSumdb;
    private final boolean offline;
    private final Path tempDir;
    private final Progress.Factory progress;
    private final DlMirror dl;
    private final BundleStore bundles;

    /**
     * @param modules      fetches what is missing (unless offline) and answers lists and @latest
     * @param store        the storage exported from
     * @param db           the checksum database that proves the versions (the primary one), if configured
     * @param sumdbStorage its verified state in storage
     * @param noSumdb      private-module patterns: exported without records
     * @param offline      read storage only; never fetch
     * @param tempDir      where proof tiles are staged (removed afterwards)
     * @param progress     reporters for the fetching and writing phases
     */
    public SnapshotExporter(
            ModuleService modules,
            BlobStore store,
            Optional<SumdbDatabases.Database> db,
            SumdbStorage sumdbStorage,
            String noSumdb,
            boolean offline,
            Path tempDir,
            Progress.Factory progress) {
        this(modules, store, db, sumdbStorage, noSumdb, offline, tempDir, progress, null, null);
    }

    /**
     * An exporter that can also carry release archives and pre-warm bundles.
     *
     * @param dl      the release archive mirror (fetches and verifies what is missing unless offline), or null
     * @param bundles the pre-warm bundles, or null
     */
    public SnapshotExporter(
            ModuleService modules,
            BlobStore store,
            Optional<SumdbDatabases.Database> db,
            SumdbStorage sumdbStorage,
            String noSumdb,
            boolean offline,
            Path tempDir,
            Progress.Factory progress,
            DlMirror dl,
            BundleStore bundles) {
        this.dl = dl;
        this.bundles = bundles;
        this.modules = modules;
        this.store = store;
        this.db = db;
        this.sumdbStorage = sumdbStorage;
        this.noSumdb = noSumdb == null ? "" : noSumdb;
        this.offline = offline;
        this.tempDir = tempDir;
        this.progress = progress;
    }

    /** Writes the snapshot {@code r} asks for. */
    public Result export(Request r) throws SnapshotException, IOException {
        List<String> selection = new ArrayList<>();
        Map<ModuleVersion, Boolean> wanted = new TreeMap<>(SnapshotOrder.VERSIONS);
        Map<ModuleVersion, GoSum> fromGoSum = new TreeMap<>(SnapshotOrder.VERSIONS);
        select(r, selection, wanted, fromGoSum);
        Distribution dist = r.distribution();
        List<ModuleVersion> toolchainInfos = selectToolchains(dist, selection, wanted);
        Releases releases = selectReleases(dist, selection);
        List<BundleStore.IndexEntry> bundleEntries = selectBundles(dist, selection);
        String previousId = null;
        Optional<SnapshotManifest.TreeHead> previousHead = Optional.empty();
        for (Previous p : r.since()) {
            selection.add("since " + p.id());
            for (SnapshotManifest.Entry e : p.manifest().versions()) {
                ModuleVersion mv = ModuleVersion.of(e.path(), e.version());
                Boolean zip = wanted.get(mv);
                if (zip != null && (e.zip() || !zip)) {
                    wanted.remove(mv);
                }
                toolchainInfos.remove(mv);
            }
            toolchainInfos.removeIf(mv -> p.manifest().toolchainInfos().contains(mv.version()));
            releases = new Releases(
                    releases.listing(),
                    releases.files().stream()
                            .filter(f -> p.manifest().releases().stream()
                                    .noneMatch(x -> x.filename().equals(f.filename())
                                            && x.sha256().equals(f.sha256())))
                            .toList(),
                    releases.key(),
                    releases.fingerprints());
            bundleEntries.removeIf(b -> p.manifest().bundles().stream()
                    .anyMatch(x ->
                            x.id().equals(b.id()) && x.size() == b.size() && Objects.equals(x.created(), b.created())));
            Optional<SnapshotManifest.TreeHead> h = db.flatMap(d -> p.manifest().treeHead(d.name()));
            if (h.isPresent()
                    && (previousHead.isEmpty()
                            || h.get().size() > previousHead.get().size())) {
                previousHead = h;
                previousId = p.id();
            }
            if (previousId == null) {
                previousId = p.id();
            }
        }
        if (wanted.isEmpty()
                && toolchainInfos.isEmpty()
                && releases.files().isEmpty()
                && bundleEntries.isEmpty()
                && r.since().isEmpty()) {
            throw new SnapshotException(
                    "the selection names no module versions, toolchains, release archives or bundles");
        }

        List<Item> items = prepare(wanted, fromGoSum);
        Carried carried = new Carried(
                prepareToolchainInfos(toolchainInfos), prepareReleases(releases), prepareBundles(bundleEntries));
        Path staging = Files.createTempDirectory(
                Files.createDirectories(tempDir),
                STAGING_PREFIX + ProcessHandle.current().pid() + "-");
        try {
            return write(r, selection, previousId, previousHead, items, carried, staging);
        } finally {
            deleteTree(staging);
        }
    }

    // ---- selection ------------------------------------------------------------------------------

    private void select(
            Request r, List<String> selection, Map<ModuleVersion, Boolean> wanted, Map<ModuleVersion, GoSum> fromGoSum)
            throws SnapshotException, IOException {
        for (Path f : r.goSums()) {
            selection.add("gosum " + f.getFileName());
            List<GoSum> lines;
            try {
                lines = GoSum.parse(Files.readString(f));
            } catch (ProxyException e) {
                throw new SnapshotException(f + ": " + e.getMessage());
            }
            for (GoSum s : lines) {
                want(wanted, s.version(), s.zipH1() != null);
                fromGoSum.merge(
                        s.version(),
                        s,
                        (a, b) -> GoSum.of(
                                a.version(),
                                a.zipH1() != null ? a.zipH1() : b.zipH1(),
                                a.modH1() != null ? a.modH1() : b.modH1()));
            }
        }
        for (Path f : r.goMods()) {
            selection.add("gomod " + f.getFileName());
            ModuleGraph.Result g;
            try {
                g = ModuleGraph.load(
                        GoModFile.parse(f.toString(), Files.readAllBytes(f)),
                        f.toAbsolutePath().getParent(),
                        this::goMod);
            } catch (ProxyException | UncheckedIOException e) {
                throw new SnapshotException(f + ": loading its module graph: " + e.getMessage(), e);
            }
            addGraph(g, wanted);
        }
        for (Path f : r.goWorks()) {
            selection.add("gowork " + f.getFileName());
            ModuleGraph.Result g;
            try {
                g = ModuleGraph.loadWorkspace(
                        GoWorkFile.parse(f.toString(), Files.readAllBytes(f)),
                        f.toAbsolutePath().getParent(),
                        this::goMod);
            } catch (ProxyException | UncheckedIOException e) {
                throw new SnapshotException(f + ": loading the workspace's module graph: " + e.getMessage(), e);
            }
            addGraph(g, wanted);
        }
        for (String spec : r.modules()) {
            selection.add("module " + spec);
            for (ModuleVersion mv : resolve(spec)) {
                want(wanted, mv, true);
            }
        }
        if (r.all()) {
            selection.add("all");
            for (BlobKey k : store.list(null)) {
                if (StorageLayout.kindOf(k) == KeyKind.INFO && !k.value().startsWith("pins/")) {
                    Optional<ModuleVersion> mv = versionOf(k);
                    if (mv.isPresent()) {
                        want(wanted, mv.get(), store.exists(StorageLayout.zip(mv.get())));
                    }
                }
            }
        }
    }

    private static void addGraph(ModuleGraph.Result g, Map<ModuleVersion, Boolean> wanted) {
        g.goMods().forEach(mv -> want(wanted, mv, false));
        g.zips().forEach(mv -> want(wanted, mv, true));
    }

    private static void want(Map<ModuleVersion, Boolean> wanted, ModuleVersion mv, boolean zip) {
        wanted.merge(mv, zip, Boolean::logicalOr);
    }

    private byte[] goMod(ModuleVersion mv) throws IOException {
        if (offline) {
            return readStored(StorageLayout.mod(mv))
                    .orElseThrow(() -> new IOException(mv + ": its go.mod is not stored here (offline export)"));
        }
        try (Artifact a = modules.mod(mv)) {
            return a.blob().readAllBytes();
        } catch (ProxyException e) {
            throw new IOException(mv + ": " + e.getMessage(), e);
        }
    }

    /** {@code path@version}, {@code path@latest}, {@code path@all-tagged}. */
    private List<ModuleVersion> resolve(String spec) throws SnapshotException {
        int at = spec.lastIndexOf('@');
        if (at <= 0 || at == spec.length() - 1) {
            throw new SnapshotException("--module " + spec + ": expected PATH@VERSION, PATH@latest or PATH@all-tagged");
        }
        String path = spec.substring(0, at);
        String v = spec.substring(at + 1);
        try {
            ModulePath p = ModulePath.parse(path);
            if (v.equals("latest")) {
                try (Artifact a = modules.latest(p)) {
                    return List.of(ModuleVersion.of(
                            path, VersionChecks.infoVersion(a.blob().readAllBytes(), spec)));
                }
            }
            if (v.equals("all-tagged")) {
                List<ModuleVersion> out = new ArrayList<>();
                try (Artifact a = modules.list(p)) {
                    for (String line : new String(a.blob().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        if (!line.isBlank()
                                && Semver.isValid(line.strip())
                                && !PseudoVersion.isPseudoVersion(line.strip())) {
                            out.add(ModuleVersion.of(path, line.strip()));
                        }
                    }
                }
                if (out.isEmpty()) {
                    throw new SnapshotException("--module " + spec + ": no tagged versions");
                }
                return out;
            }
            return List.of(ModuleVersion.of(path, v));
        } catch (ProxyException e) {
            throw new SnapshotException("--module " + spec + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SnapshotException("--module " + spec + ": " + e.getMessage(), e);
        }
    }

    private static Optional<ModuleVersion> versionOf(BlobKey info) {
        String v = info.value();
        int at = v.lastIndexOf("/@v/");
        try {
            return Optional.of(ModuleVersion.of(
                    ModuleEscaping.unescapePath(v.substring(0, at)),
                    ModuleEscaping.unescapeVersion(v.substring(at + 4, v.length() - ".info".length()))));
        } catch (ProxyException | IndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    /**
     * Toolchain modules: the zip of every version for every platform asked for joins the module versions;
     * returned are the linux-amd64 versions whose existence {@code .info} travels alone (their zip was not
     * asked for).
     */
    private List<ModuleVersion> selectToolchains(
            Distribution d, List<String> selection, Map<ModuleVersion, Boolean> wanted)
            throws SnapshotException, IOException {
        if (d.toolchains().isEmpty()) {
            return new ArrayList<>();
        }
        selection.add("toolchains " + String.join(",", d.toolchains()) + " for " + String.join(",", d.platforms()));
        List<GoPlatform> platforms = new ArrayList<>();
        for (String p : d.platforms()) {
            if (!isSource(p)) {
                try {
                    platforms.add(GoPlatform.parse(p));
                } catch (IllegalArgumentException e) {
                    throw new SnapshotException("--platforms " + p + ": " + e.getMessage());
                }
            }
        }
        Toolchains toolchains = new Toolchains(modules);
        Toolchains.Selection sel;
        try {
            sel = offline
                    ? Toolchains.select(d.toolchains(), platforms, toolchains.stored(store))
                    : toolchains.select(d.toolchains(), platforms);
        } catch (ProxyException e) {
            throw new SnapshotException("--toolchains: cannot list the toolchains: " + e.getMessage(), e);
        }
        if (!sel.problems().isEmpty()) {
            throw new SnapshotException(
                    "--toolchains: " + String.join("; ", sel.problems()) + (offline ? " (stored here)" : ""));
        }
        sel.zips().forEach(mv -> want(wanted, mv, true));
        List<ModuleVersion> infos = new ArrayList<>();
        for (ModuleVersion mv : sel.infos()) {
            if (!sel.zips().contains(mv)) {
                infos.add(mv);
            }
        }
        return infos;
    }

    /** Release archives: the files of the listing the specs and platforms name. */
    private Releases selectReleases(Distribution d, List<String> selection) throws SnapshotException {
        if (d.releases().isEmpty()) {
            return Releases.NONE;
        }
        selection.add("dl " + String.join(",", d.releases()) + " for " + String.join(",", d.platforms()));
        if (dl == null) {
            throw new SnapshotException("--dl: this Granary has no release archive mirror");
        }
        if (d.platforms().isEmpty()) {
            throw new SnapshotException("--dl: give --platforms (such as linux/amd64, or src for the source archive)");
        }
        ReleaseListing listing;
        DlMirror.Selection sel;
        try {
            listing = offline ? dl.storedListing(true).orElse(new ReleaseListing(List.of())) : dl.releases();
            sel = DlMirror.select(d.releases(), d.platforms(), listing);
        } catch (ProxyException | IllegalArgumentException e) {
            throw new SnapshotException("--dl: " + e.getMessage(), e);
        }
        if (!sel.problems().isEmpty()) {
            throw new SnapshotException(
                    "--dl: " + String.join("; ", sel.problems()) + (offline ? " (in the listing stored here)" : ""));
        }
        List<ReleaseFile> files = sel.files().stream().distinct().toList();
        for (ReleaseFile f : files) {
            if (!f.hasSha256()) {
                throw new SnapshotException("--dl: " + f.filename()
                        + ": the release listing gives no SHA-256 for it, so it cannot be checked");
            }
        }
        return new Releases(listing, files, null, List.of());
    }

    /** Pre-warm bundles: every one stored, or those named. */
    private List<BundleStore.IndexEntry> selectBundles(Distribution d, List<String> selection)
            throws SnapshotException, IOException {
        if (!d.allBundles() && d.bundles().isEmpty()) {
            return new ArrayList<>();
        }
        if (bundles == null) {
            throw new SnapshotException("--gocache-bundles: this Granary has no bundle store");
        }
        List<BundleStore.IndexEntry> index = bundles.index().bundles();
        List<BundleStore.IndexEntry> out = new ArrayList<>();
        if (d.allBundles()) {
            selection.add("gocache-bundles all");
            out.addAll(index);
        }
        for (String id : d.bundles()) {
            selection.add("gocache-bundle " + id);
            BundleStore.IndexEntry e = index.stream()
                    .filter(x -> x.id().equals(id))
                    .findFirst()
                    .orElseThrow(() -> new SnapshotException(
                            "--gocache-bundle " + SnapshotFormat.printable(id) + ": no such bundle is stored here"));
            if (!out.contains(e)) {
                out.add(e);
            }
        }
        return out;
    }

    private static boolean isSource(String platform) {
        return platform.strip().equalsIgnoreCase("src") || platform.strip().equalsIgnoreCase("source");
    }

    // ---- fetching and records -------------------------------------------------------------------

    /**
     * The existence {@code .info} of each toolchain version (recorded, or committed with its version),
     * fetched and checked by the module service first when online, with its checksum-database record.
     */
    private List<ToolchainInfo> prepareToolchainInfos(List<ModuleVersion> versions)
            throws SnapshotException, IOException {
        List<ToolchainInfo> out = new ArrayList<>();
        if (!versions.isEmpty() && db.isEmpty()) {
            throw new SnapshotException(
                    "no checksum database is configured (--sumdb), so the snapshot could not prove its toolchains");
        }
        for (ModuleVersion mv : versions) {
            Optional<byte[]> info = modules.recordedToolchainInfo(mv).or(() -> readQuietly(StorageLayout.info(mv)));
            if (info.isEmpty()) {
                if (offline) {
                    throw new SnapshotException(
                            mv + ": not known here (no .info of it is stored), and the export is offline");
                }
                try (Artifact a = modules.info(mv)) {
                    info = Optional.of(a.blob().readAllBytes());
                } catch (ProxyException e) {
                    throw new SnapshotException(mv + ": " + e.getMessage(), e);
                }
            }
            byte[] response = lookup(mv);
            TlogRecord rec;
            try {
                rec = TlogRecord.parseRecord(response);
            } catch (TlogException e) {
                throw new SnapshotException(
                        mv + ": the stored checksum-database record is unreadable: " + e.getMessage());
            }
            if (GoSum.find(rec.text(), mv) == null) {
                throw new SnapshotException(mv + ": the checksum-database record does not name it");
            }
            out.add(new ToolchainInfo(
                    mv,
                    info.get(),
                    rec.id(),
                    Arrays.copyOf(response, response.length - rec.rest().length),
                    rec.text()));
        }
        return out;
    }

    /**
     * Every selected archive stored (fetched and verified by the mirror first when online), its stored
     * SHA-256 the listing's; and the signing key material the mirror trusts.
     */
    private Releases prepareReleases(Releases r) throws SnapshotException {
        if (r.files().isEmpty()) {
            return r;
        }
        for (ReleaseFile f : r.files()) {
            DlMirror.Archive a;
            try {
                a = offline
                        ? dl.stored(f.filename())
                                .orElseThrow(() -> new SnapshotException(
                                        f.filename() + ": not stored here, and the export is offline"))
                        : dl.ensure(f.filename());
            } catch (ProxyException e) {
                throw new SnapshotException(f.filename() + ": " + e.getMessage(), e);
            }
            if (!a.sha256().equals(f.sha256())) {
                throw new SnapshotException(f.filename() + ": stored with SHA-256 " + a.sha256()
                        + ", the release listing says " + f.sha256());
            }
        }
        byte[] key;
        List<String> fingerprints;
        try {
            key = dl.trust().keyMaterial().orElse(null);
            fingerprints = dl.trust().fingerprints();
        } catch (ProxyException e) {
            throw new SnapshotException("the release signing key: " + e.getMessage(), e);
        }
        Set<String> names = new HashSet<>();
        r.files().forEach(f -> names.add(f.filename()));
        return new Releases(r.listing().filter(f -> names.contains(f.filename())), r.files(), key, fingerprints);
    }

    /** Each bundle's index entry, computed from its own manifest (as a publish computes it). */
    private List<BundleItem> prepareBundles(List<BundleStore.IndexEntry> selected)
            throws SnapshotException, IOException {
        List<BundleItem> out = new ArrayList<>();
        for (BundleStore.IndexEntry e : selected) {
            BlobKey key = StorageLayout.gocacheBundle(e.id());
            long size = store.stat(key)
                    .orElseThrow(
                            () -> new SnapshotException("bundle " + e.id() + " is listed in the index but not stored"))
                    .size();
            BundleManifest m;
            try (Blob b = store.get(key).orElseThrow(() -> new SnapshotException(key + " vanished from storage"));
                    BundleReader reader = BundleReader.open(b.openStream())) {
                m = reader.manifest();
            } catch (BundleException ex) {
                throw new SnapshotException("bundle " + e.id() + ": " + ex.getMessage(), ex);
            }
            if (!m.id().equals(e.id())) {
                throw new SnapshotException("bundle " + e.id() + ": its manifest names identity " + m.id());
            }
            boolean signed = store.exists(StorageLayout.gocacheBundleSignature(e.id()));
            out.add(new BundleItem(BundleStore.entry(m, size, signed), signed));
        }
        return out;
    }

    private Optional<byte[]> readQuietly(BlobKey key) {
        try {
            return readStored(key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Item> prepare(Map<ModuleVersion, Boolean> wanted, Map<ModuleVersion, GoSum> fromGoSum)
            throws SnapshotException, IOException {
        ensureStored(wanted);
        boolean anyPublic = wanted.keySet().stream().anyMatch(mv -> !isPrivate(mv));
        if (anyPublic && db.isEmpty()) {
            throw new SnapshotException(
                    "no checksum database is configured (--sumdb), so the snapshot could not prove its modules;"
                            + " list private modules in --nosumdb");
        }
        List<Item> items = new ArrayList<>(wanted.size());
        for (Map.Entry<ModuleVersion, Boolean> w : wanted.entrySet()) {
            ModuleVersion mv = w.getKey();
            GoSum stored = readStored(StorageLayout.sum(mv))
                    .map(b -> GoSum.find(new String(b, StandardCharsets.UTF_8), mv))
                    .orElseThrow(() -> new SnapshotException(mv + ": its .sum is missing from storage"));
            GoSum listed = fromGoSum.get(mv);
            if (listed != null
                    && ((listed.zipH1() != null && !listed.zipH1().equals(stored.zipH1()))
                            || (listed.modH1() != null && !listed.modH1().equals(stored.modH1())))) {
                throw new SnapshotException("go.sum lists for " + mv + ":\n" + listed.text()
                        + "but the verified content has:\n" + stored.text()
                        + "SECURITY ERROR: the go.sum does not match what the checksum database proves");
            }
            if (isPrivate(mv)) {
                items.add(new Item(mv, w.getValue(), stored, -1, null, null));
                continue;
            }
            byte[] response = lookup(mv);
            TlogRecord rec;
            try {
                rec = TlogRecord.parseRecord(response);
            } catch (TlogException e) {
                throw new SnapshotException(
                        mv + ": the stored checksum-database record is unreadable: " + e.getMessage());
            }
            GoSum recorded = GoSum.find(rec.text(), mv);
            if (recorded == null
                    || !recorded.sameHashes(stored)
                            && !(stored.zipH1() == null && recorded.modH1().equals(stored.modH1()))) {
                throw new SnapshotException(mv + ": the checksum-database record does not match the stored .sum");
            }
            byte[] record = Arrays.copyOf(response, response.length - rec.rest().length);
            items.add(new Item(mv, w.getValue(), stored, rec.id(), record, rec.text()));
        }
        return items;
    }

    private boolean isPrivate(ModuleVersion mv) {
        // The go command checks toolchains against the checksum database whatever GONOSUMDB says.
        return !mv.path().equals(Toolchains.MODULE)
                && ModulePatterns.matchPrefixPatterns(noSumdb, mv.path().value());
    }

    /** Fetches (through the verifying pipeline) every version not stored yet; offline, names what is missing. */
    private void ensureStored(Map<ModuleVersion, Boolean> wanted) throws SnapshotException, IOException {
        List<ModuleVersion> missing = new ArrayList<>();
        for (Map.Entry<ModuleVersion, Boolean> w : wanted.entrySet()) {
            ModuleVersion mv = w.getKey();
            if (!modules.isStored(mv) || (w.getValue() && !store.exists(StorageLayout.zip(mv)))) {
                missing.add(mv);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        if (offline) {
            throw new SnapshotException(
                    missing.size() + " module version(s) are not stored here, and the export is offline: "
                            + String.join(
                                    ", ",
                                    missing.stream()
                                            .limit(20)
                                            .map(ModuleVersion::toString)
                                            .toList())
                            + (missing.size() > 20 ? ", ..." : ""));
        }
        try (Progress p = progress.start("fetching", 0, missing.size());
                ExecutorService ex = Executors.newFixedThreadPool(
                        PARALLEL_FETCHES, Thread.ofVirtual().factory())) {
            List<Future<?>> fs = new ArrayList<>();
            for (ModuleVersion mv : missing) {
                boolean zip = wanted.get(mv);
                fs.add(ex.submit(() -> {
                    modules.ensureVersion(mv);
                    if (zip) {
                        try (Artifact a = modules.zip(mv)) {
                            a.blob().size();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    p.add(0, 1);
                    return null;
                }));
            }
            for (int i = 0; i < fs.size(); i++) {
                try {
                    fs.get(i).get();
                } catch (ExecutionException e) {
                    throw new SnapshotException(
                            missing.get(i) + ": "
                                    + (e.getCause() == null ? e : e.getCause().getMessage()),
                            e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SnapshotException("interrupted while fetching");
                }
            }
        }
    }

    /** The version's checksum-database record: stored, or (online) looked up, verified and stored. */
    private byte[] lookup(ModuleVersion mv) throws SnapshotException, IOException {
        SumdbDatabases.Database d = db.orElseThrow();
        BlobKey key = StorageLayout.sumdbLookup(d.name(), mv);
        Optional<byte[]> stored = readStored(key);
        if (stored.isPresent()) {
            return stored.get();
        }
        if (offline) {
            throw new SnapshotException(
                    mv + ": no checksum-database record of it is stored here, and the export is offline");
        }
        try {
            SumdbClient.Lookup l = d.client().lookup(mv);
            store.put(key, l.response());
            return l.response();
        } catch (ProxyException e) {
            throw new SnapshotException(mv + ": " + e.getMessage(), e);
        }
    }

    // ---- writing --------------------------------------------------------------------------------

    private Result write(
            Request r,
            List<String> selection,
            String previousId,
            Optional<SnapshotManifest.TreeHead> previousHead,
            List<Item> items,
            Carried carried,
            Path staging)
            throws SnapshotException, IOException {
        List<ToolchainInfo> infos = carried.toolchainInfos();
        List<SnapshotManifest.TreeHead> heads = new ArrayList<>();
        ProofTiles proofs = null;
        byte[] note = null;
        String dbName = null;
        boolean anyProof = items.stream().anyMatch(i -> i.record() != null) || !infos.isEmpty();
        if (db.isPresent() && (anyProof || previousHead.isPresent())) {
            SumdbDatabases.Database d = db.get();
            dbName = d.name();
            long need = Math.max(
                    items.stream().mapToLong(i -> i.recordId() + 1).max().orElse(0),
                    infos.stream().mapToLong(i -> i.recordId() + 1).max().orElse(0));
            Tree tree;
            try {
                tree = d.client().latest();
                if (!offline
                        && (tree.n() < need
                                || tree.n()
                                        < previousHead
                                                .map(SnapshotManifest.TreeHead::size)
                                                .orElse(0L))) {
                    tree = d.client().refresh();
                }
                note = d.client().latestNote();
            } catch (ProxyException e) {
                throw new SnapshotException("checksum database " + d.name() + ": " + e.getMessage(), e);
            }
            if (tree.n() < need) {
                throw new SnapshotException("checksum database " + d.name() + ": the newest tree head here (tree#"
                        + tree.n() + ") does not cover record " + (need - 1)
                        + (offline ? "; export without --offline" : ""));
            }
            proofs = new ProofTiles(sumdbStorage.tiles(d.name()), offline ? null : d.fetcher(), staging);
            try (Progress p = progress.start("proving", 0, items.size() + infos.size())) {
                for (Item i : items) {
                    if (i.record() != null) {
                        proofs.proveRecord(tree, i.recordId(), i.recordText().getBytes(StandardCharsets.UTF_8));
                    }
                    p.add(0, 1);
                }
                for (ToolchainInfo i : infos) {
                    proofs.proveRecord(tree, i.recordId(), i.recordText().getBytes(StandardCharsets.UTF_8));
                    p.add(0, 1);
                }
                if (previousHead.isPresent()) {
                    Tree older =
                            d.client().verifiedTree(previousHead.get().note().getBytes(StandardCharsets.UTF_8));
                    if (older.n() > tree.n()) {
                        throw new SnapshotException("the previous snapshot's tree#" + older.n() + " is newer than tree#"
                                + tree.n() + " held here" + (offline ? "; export without --offline" : ""));
                    }
                    proofs.proveConsistency(older, tree);
                }
            } catch (TlogException e) {
                throw new SnapshotException("checksum database " + d.name() + ": " + e.getMessage(), e);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (ProxyException e) {
                throw new SnapshotException("checksum database " + d.name() + ": " + e.getMessage(), e);
            }
            heads.add(new SnapshotManifest.TreeHead(
                    d.name(), tree.n(), tree.hash().toString(), new String(note, StandardCharsets.UTF_8)));
        }

        // Sizes first, for the progress report.
        long total = 0;
        Map<BlobKey, Long> sizes = new LinkedHashMap<>();
        for (Item i : items) {
            for (BlobKey k : keys(i)) {
                long size = store.stat(k)
                        .orElseThrow(() -> new SnapshotException(k + " vanished from storage"))
                        .size();
                sizes.put(k, size);
                total += size;
            }
        }
        for (BlobKey k : carriedKeys(carried)) {
            long size = store.stat(k)
                    .orElseThrow(() -> new SnapshotException(k + " vanished from storage"))
                    .size();
            sizes.put(k, size);
            total += size;
        }
        Instant created = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Path out = r.output().toAbsolutePath();
        Files.createDirectories(out.getParent());
        Path tmp = Files.createTempFile(out.getParent(), "." + out.getFileName() + ".", ".tmp");
        boolean done = false;
        int zips = 0;
        byte[] manifestBytes;
        SnapshotManifest manifest;
        try {
            try (OutputStream os =
                            Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    SnapshotWriter w = new SnapshotWriter(new BufferedOutputStream(os, 1 << 16), r.zstd(), created);
                    Progress p = progress.start("writing", total, sizes.size())) {
                Map<String, TreeSet<String>> lists = new TreeMap<>();
                int toolchains = 0;
                for (Item i : items) {
                    for (BlobKey k : keys(i)) {
                        long size = sizes.get(k);
                        try (Blob b = store.get(k)
                                        .orElseThrow(() -> new SnapshotException(k + " vanished from storage"));
                                InputStream in = b.openStream()) {
                            w.add(k.value(), in, size);
                        }
                        p.add(size, 1);
                    }
                    GoSum shipped = GoSum.of(
                            i.mv(), i.zip() ? i.sums().zipH1() : null, i.sums().modH1());
                    w.add(StorageLayout.sum(i.mv()).value(), shipped.bytes());
                    p.add(0, 1);
                    if (i.zip()) {
                        zips++;
                    }
                    if (i.mv().path().equals(Toolchains.MODULE)) {
                        toolchains++;
                    }
                    if (Semver.isValid(i.mv().version()) && !PseudoVersion.isPseudoVersion(i.mv().version())) {
                        lists.computeIfAbsent(i.mv().escapedPath(), x -> new TreeSet<>(Semver.ORDER))
                                .add(i.mv().version());
                    }
                }
                for (Map.Entry<String, TreeSet<String>> l : lists.entrySet()) {
                    w.add(
                            l.getKey() + "/@v/list",
                            (String.join("\n", l.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                long moduleBytes = w.bytes();
                for (ToolchainInfo i : infos) {
                    w.add(StorageLayout.toolchainInfo(i.mv()).value(), i.info());
                }
                int lookups = 0;
                if (dbName != null) {
                    w.add(StorageLayout.sumdb(dbName, "supported").value(), new byte[0]);
                    w.add(StorageLayout.sumdb(dbName, "latest").value(), note);
                    for (Item i : items) {
                        if (i.record() != null) {
                            // The record as the database served it, followed by the one head every proof is pinned to.
                            byte[] pinned = Arrays.copyOf(i.record(), i.record().length + note.length);
                            System.arraycopy(note, 0, pinned, i.record().length, note.length);
                            w.add(StorageLayout.sumdbLookup(dbName, i.mv()).value(), pinned);
                            lookups++;
                        }
                    }
                    for (ToolchainInfo i : infos) {
                        byte[] pinned = Arrays.copyOf(i.record(), i.record().length + note.length);
                        System.arraycopy(note, 0, pinned, i.record().length, note.length);
                        w.add(StorageLayout.sumdbLookup(dbName, i.mv()).value(), pinned);
                        lookups++;
                    }
                    for (Map.Entry<String, Path> t : proofs.tiles().entrySet()) {
                        w.add(StorageLayout.sumdb(dbName, t.getKey()).value(), Files.readAllBytes(t.getValue()));
                    }
                }
                long beforeReleases = w.bytes();
                List<SnapshotManifest.Release> releaseEntries = new ArrayList<>();
                Releases rel = carried.releases();
                for (ReleaseFile f : rel.files()) {
                    for (BlobKey k : DlMirror.keys(f.filename())) {
                        copy(w, k, sizes.get(k), p);
                    }
                    long size = sizes.get(StorageLayout.dlArchive(f.filename()));
                    releaseEntries.add(new SnapshotManifest.Release(f.filename(), f.sha256(), size));
                }
                if (!rel.files().isEmpty()) {
                    w.add(SnapshotFormat.DL_LISTING, rel.listing().toJson());
                    if (rel.key() != null) {
                        w.add(StorageLayout.dlSigningKey().value(), rel.key());
                    }
                }
                long releaseBytes = w.bytes() - beforeReleases;
                long beforeBundles = w.bytes();
                List<SnapshotManifest.Bundle> bundleEntries = new ArrayList<>();
                for (BundleItem b : carried.bundles()) {
                    BlobKey k = StorageLayout.gocacheBundle(b.entry().id());
                    copy(w, k, sizes.get(k), p);
                    if (b.signed()) {
                        BlobKey sig =
                                StorageLayout.gocacheBundleSignature(b.entry().id());
                        copy(w, sig, sizes.get(sig), p);
                    }
                    bundleEntries.add(new SnapshotManifest.Bundle(
                            b.entry().id(),
                            b.entry().name(),
                            b.entry().created(),
                            sizes.get(k),
                            w.sha256(k.value()),
                            b.signed()));
                }
                if (!carried.bundles().isEmpty()) {
                    w.add(
                            StorageLayout.gocacheBundleIndex().value(),
                            BundleStore.toJson(new BundleStore.Index(carried.bundles().stream()
                                    .map(BundleItem::entry)
                                    .toList())));
                }
                long bundleBytes = w.bytes() - beforeBundles;
                List<SnapshotManifest.Entry> entries = items.stream()
                        .map(i -> new SnapshotManifest.Entry(
                                i.mv().path().value(), i.mv().version(), i.zip(), i.record() != null))
                        .toList();
                manifest = new SnapshotManifest(
                        SnapshotFormat.VERSION,
                        created.toString(),
                        r.granaryVersion(),
                        selection,
                        previousId,
                        heads,
                        new SnapshotManifest.Counts(
                                items.size(),
                                zips,
                                lookups,
                                proofs == null ? 0 : proofs.tiles().size(),
                                w.files(),
                                w.bytes(),
                                moduleBytes,
                                toolchains,
                                infos.size(),
                                releaseEntries.size(),
                                releaseBytes,
                                bundleEntries.size(),
                                bundleBytes),
                        entries,
                        infos.stream().map(i -> i.mv().version()).toList(),
                        releaseEntries,
                        rel.files().isEmpty() ? List.of() : rel.fingerprints(),
                        bundleEntries);
                manifestBytes = manifest.toJson();
                w.add(SnapshotFormat.MANIFEST, manifestBytes);
                byte[] sums = w.writeSums();
                if (r.signingKey() != null) {
                    w.writeSignature(r.signingKey().sign(new ByteArrayInputStream(sums)));
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            return new Result(SnapshotManifest.idOf(manifestBytes), manifest, out, Files.size(out));
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Streams a stored file into the archive. */
    private void copy(SnapshotWriter w, BlobKey k, long size, Progress p) throws SnapshotException, IOException {
        try (Blob b = store.get(k).orElseThrow(() -> new SnapshotException(k + " vanished from storage"));
                InputStream in = b.openStream()) {
            w.add(k.value(), in, size);
        }
        p.add(size, 1);
    }

    /** The stored files of the release archives and bundles that go into the snapshot. */
    private static List<BlobKey> carriedKeys(Carried c) {
        List<BlobKey> out = new ArrayList<>();
        for (ReleaseFile f : c.releases().files()) {
            out.addAll(DlMirror.keys(f.filename()));
        }
        for (BundleItem b : c.bundles()) {
            out.add(StorageLayout.gocacheBundle(b.entry().id()));
            if (b.signed()) {
                out.add(StorageLayout.gocacheBundleSignature(b.entry().id()));
            }
        }
        return out;
    }

    /** The stored files of an item that go into the snapshot ({@code .sum} is written from its hashes). */
    private static List<BlobKey> keys(Item i) {
        List<BlobKey> k = new ArrayList<>(List.of(StorageLayout.info(i.mv()), StorageLayout.mod(i.mv())));
        if (i.zip()) {
            k.add(StorageLayout.zip(i.mv()));
        }
        return k;
    }

    private Optional<byte[]> readStored(BlobKey key) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(blob.readAllBytes());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
