package dev.granary.core.fsck;

import dev.granary.core.ProxyException;
import dev.granary.core.fetch.VersionChecks;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.sumdb.note.NoteException;
import dev.granary.core.sumdb.note.NoteVerifier;
import dev.granary.core.sumdb.note.NoteVerifiers;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TileAudit;
import dev.granary.core.sumdb.tlog.TileHashReader;
import dev.granary.core.sumdb.tlog.TileReader;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.TlogRecord;
import dev.granary.core.sumdb.tlog.Tree;
import dev.granary.core.zip.Dirhash;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code granary fsck}: re-verifies what storage holds, as if it had just been fetched, and reports
 * what no longer checks out; with repair, moves it aside so that it is fetched again.
 * <ul>
 *   <li><b>Checksum-database state</b>, per database: the stored tree head's signature (for
 *       configured databases), every stored tile against it ({@link TileAudit}), every stored lookup
 *       (it parses, names its version, and its record is proven in the tree by the stored tiles).</li>
 *   <li><b>Every committed version</b>: {@code .info} names the version; the zip obeys the module zip
 *       rules and carries the same go.mod as {@code .mod} ({@link VersionChecks}); the h1 of zip and
 *       go.mod, computed anew, equal the stored {@code .sum}, every sound stored lookup of the version,
 *       and its pin (private modules). A version a snapshot carried with its go.mod alone (its
 *       {@code .sum} has no zip line, and it has no zip) is checked without one.</li>
 *   <li>Files of versions without an {@code .info} (a commit cut short) are reported, and removed
 *       with repair once an hour old (a younger one may be a commit in progress).</li>
 * </ul>
 * Repair copies each damaged object under {@code quarantine/<stamp>/} (evidence for the operator)
 * before removing it: a version through {@link VersionCommitter#remove} ({@code .info} first, so it is
 * never half there; the next request fetches and verifies it again), a tile, lookup or tree head by
 * deleting it (the checksum-database client fetches and authenticates it again when needed). Pins
 * are never changed: they are the only memory of what a private version was; a version that differs
 * from its pin is quarantined, and a refetch that still differs is refused.
 */
public final class StorageCheck {
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration INCOMPLETE_AGE = Duration.ofHours(1);

    /** How bad a finding is: CORRUPT makes fsck fail (and repair act); NOTICE is information. */
    public enum Severity {
        CORRUPT,
        NOTICE
    }

    /**
     * One thing found.
     *
     * @param what     version, lookup, tile, tree-head, pin or incomplete
     * @param subject  what it is about ({@code module@version}, a key)
     * @param problem  what is wrong
     * @param repaired whether repair moved it aside or removed it
     */
    public record Finding(Severity severity, String what, String subject, String problem, boolean repaired) {}

    /** What a run examined and found. */
    public record Report(
            int versions,
            int lookups,
            int pins,
            int tiles,
            int databases,
            List<Finding> findings,
            Optional<BlobKey> quarantine) {
        public long corrupt() {
            return findings.stream()
                    .filter(f -> f.severity() == Severity.CORRUPT)
                    .count();
        }
    }

    private final BlobStore store;
    private final VersionCommitter committer;
    private final Map<String, SumdbSpec> configured = new LinkedHashMap<>();
    private final Path tempDir;
    private final Clock clock;

    /**
     * @param databases the configured checksum databases (their keys check stored tree heads)
     * @param tempDir   where zips are copied to be checked
     */
    public StorageCheck(
            BlobStore store, VersionCommitter committer, List<SumdbSpec> databases, Path tempDir, Clock clock) {
        this.store = store;
        this.committer = committer;
        databases.forEach(d -> configured.put(d.name(), d));
        this.tempDir = tempDir;
        this.clock = clock;
    }

    /** One checksum database's stored state. */
    private static final class Db {
        final String name;
        BlobKey latest;
        final Map<Tile, BlobKey> tiles = new TreeMap<>((a, b) -> a.path().compareTo(b.path()));
        final Map<ModuleVersion, BlobKey> lookups =
                new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        Tree tree;
        /** Stored tiles found sound, readable for proofs. */
        final Map<Tile, byte[]> sound = new HashMap<>();
        /** Sound lookups: what the database says of each version. */
        final Map<ModuleVersion, GoSum> says = new HashMap<>();

        Db(String name) {
            this.name = name;
        }
    }

    /**
     * Checks everything once.
     *
     * @param repair move what is damaged aside
     * @param each   told of each finding as it is made
     */
    public Report run(boolean repair, Consumer<Finding> each) throws IOException {
        String stamp = STAMP.format(clock.instant());
        Run run = new Run(repair, stamp, each);
        List<ModuleVersion> versions = new ArrayList<>();
        Map<ModuleVersion, List<BlobKey>> files =
                new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        Map<ModuleVersion, BlobKey> pins = new HashMap<>();
        Map<String, Db> dbs = new TreeMap<>();
        for (BlobKey k : store.list(null)) {
            KeyKind kind = StorageLayout.kindOf(k);
            switch (kind) {
                case INFO -> StorageLayout.versionOfInfo(k).ifPresent(versions::add);
                case MOD, ZIP, SUM ->
                    versionOfArtifact(k)
                            .ifPresent(mv -> files.computeIfAbsent(mv, x -> new ArrayList<>())
                                    .add(k));
                case PIN ->
                    versionOfArtifact(BlobKey.of(k.value().substring("pins/".length())))
                            .ifPresent(mv -> pins.put(mv, k));
                case SUMDB_LATEST, SUMDB_TILE, SUMDB_LOOKUP -> sumdbKey(k, kind, dbs);
                default -> {}
            }
        }
        for (Db db : dbs.values()) {
            checkDatabase(db, run);
        }
        int lookups = dbs.values().stream().mapToInt(d -> d.lookups.size()).sum();
        int tiles = dbs.values().stream().mapToInt(d -> d.tiles.size()).sum();
        TreeSet<ModuleVersion> committed = new TreeSet<>((a, b) -> a.toString().compareTo(b.toString()));
        committed.addAll(versions);
        for (ModuleVersion mv : committed) {
            checkVersion(mv, dbs, pins.get(mv), run);
        }
        for (Map.Entry<ModuleVersion, List<BlobKey>> e : files.entrySet()) {
            if (!committed.contains(e.getKey())) {
                incomplete(e.getKey(), e.getValue(), run);
            }
        }
        return new Report(
                committed.size(),
                lookups,
                pins.size(),
                tiles,
                dbs.size(),
                List.copyOf(run.findings),
                run.quarantined
                        ? Optional.of(StorageLayout.quarantine(stamp, BlobKey.of("x"))
                                .parent()
                                .orElseThrow())
                        : Optional.empty());
    }

    /** The state of one run: findings so far, and whether anything went to quarantine. */
    private final class Run {
        final boolean repair;
        final String stamp;
        final Consumer<Finding> each;
        final List<Finding> findings = new ArrayList<>();
        boolean quarantined;

        Run(boolean repair, String stamp, Consumer<Finding> each) {
            this.repair = repair;
            this.stamp = stamp;
            this.each = each;
        }

        void report(Severity s, String what, String subject, String problem, boolean repaired) {
            Finding f = new Finding(s, what, subject, problem, repaired);
            findings.add(f);
            each.accept(f);
        }

        /** Copies {@code key} into quarantine, if it still exists. */
        void keep(BlobKey key) throws IOException {
            Optional<Blob> b = store.get(key);
            if (b.isEmpty()) {
                return;
            }
            try (Blob blob = b.get();
                    InputStream in = blob.openStream()) {
                store.put(StorageLayout.quarantine(stamp, key), in, blob.size(), PutMode.REPLACE);
            }
            quarantined = true;
        }

        /** Moves a single object aside. */
        boolean moveAside(BlobKey key) throws IOException {
            if (!repair) {
                return false;
            }
            keep(key);
            store.delete(key);
            return true;
        }
    }

    // ---- checksum databases --------------------------------------------------------------------

    private static void sumdbKey(BlobKey k, KeyKind kind, Map<String, Db> dbs) {
        String v = k.value().substring("sumdb/".length());
        String marker = switch (kind) {
            case SUMDB_LOOKUP -> "/lookup/";
            case SUMDB_TILE -> "/tile/";
            default -> "/latest";
        };
        int at = v.indexOf(marker);
        if (at <= 0) {
            return;
        }
        Db db = dbs.computeIfAbsent(v.substring(0, at), Db::new);
        String rest = v.substring(at + 1);
        switch (kind) {
            case SUMDB_LATEST -> db.latest = k;
            case SUMDB_TILE -> {
                try {
                    db.tiles.put(Tile.parseTilePath(rest), k);
                } catch (TlogException e) {
                    // Not a tile path Granary writes: not ours to judge.
                }
            }
            default -> {
                String mv = rest.substring("lookup/".length());
                int atSign = mv.lastIndexOf('@');
                if (atSign > 0) {
                    versionOfArtifact(BlobKey.of(mv.substring(0, atSign) + "/@v/" + mv.substring(atSign + 1) + ".mod"))
                            .ifPresent(x -> db.lookups.put(x, k));
                }
            }
        }
    }

    private void checkDatabase(Db db, Run run) throws IOException {
        SumdbSpec spec = configured.get(db.name);
        if (db.latest != null) {
            byte[] note = read(db.latest).orElse(null);
            try {
                String text;
                if (spec != null) {
                    NoteVerifier v = NoteVerifier.parse(spec.verifierKey());
                    text = Notes.open(note, NoteVerifiers.of(v)).text();
                } else {
                    text = unsignedText(note);
                    run.report(
                            Severity.NOTICE,
                            "tree-head",
                            db.latest.value(),
                            "checksum database " + db.name + " is not configured: its signature was not checked",
                            false);
                }
                db.tree = Tree.parseTree(text);
            } catch (NoteException | TlogException | RuntimeException e) {
                run.report(
                        Severity.CORRUPT,
                        "tree-head",
                        db.latest.value(),
                        "does not verify: " + e.getMessage(),
                        run.moveAside(db.latest));
            }
        }
        if (db.tree == null) {
            if (!db.tiles.isEmpty()) {
                run.report(
                        Severity.NOTICE,
                        "tile",
                        "sumdb/" + db.name + "/tile/...",
                        db.tiles.size() + " tiles not checked: no sound tree head of " + db.name + " is stored",
                        false);
            }
        } else {
            Map<Tile, byte[]> data = new LinkedHashMap<>();
            for (Map.Entry<Tile, BlobKey> e : db.tiles.entrySet()) {
                read(e.getValue()).ifPresent(d -> data.put(e.getKey(), d));
            }
            for (TileAudit.Result r : TileAudit.audit(db.tree, data)) {
                BlobKey key = db.tiles.get(r.tile());
                switch (r.verdict()) {
                    case OK -> db.sound.put(r.tile(), data.get(r.tile()));
                    case CORRUPT -> run.report(Severity.CORRUPT, "tile", key.value(), r.reason(), run.moveAside(key));
                    default -> run.report(Severity.NOTICE, "tile", key.value(), "not checked: " + r.reason(), false);
                }
            }
        }
        for (Map.Entry<ModuleVersion, BlobKey> e : db.lookups.entrySet()) {
            checkLookup(db, e.getKey(), e.getValue(), run);
        }
    }

    private void checkLookup(Db db, ModuleVersion mv, BlobKey key, Run run) throws IOException {
        Optional<byte[]> bytes = read(key);
        if (bytes.isEmpty()) {
            return;
        }
        TlogRecord rec;
        GoSum sums;
        try {
            rec = TlogRecord.parseRecord(bytes.get());
            sums = GoSum.find(rec.text(), mv);
            if (sums == null) {
                throw new TlogException("the record does not list " + mv);
            }
        } catch (TlogException | ProxyException e) {
            run.report(Severity.CORRUPT, "lookup", key.value(), "unreadable: " + e.getMessage(), run.moveAside(key));
            return;
        }
        if (db.tree != null && rec.id() < db.tree.n()) {
            try {
                Hash leaf = new TileHashReader(db.tree, new StoredTiles(db.sound))
                        .readHashes(new long[] {Tlog.storedHashIndex(0, rec.id())})
                        .get(0);
                if (!leaf.equals(Tlog.recordHash(rec.textBytes()))) {
                    run.report(
                            Severity.CORRUPT,
                            "lookup",
                            key.value(),
                            "record " + rec.id() + " is not the one the signed tree holds",
                            run.moveAside(key));
                    return;
                }
            } catch (IOException | TlogException e) {
                run.report(
                        Severity.NOTICE,
                        "lookup",
                        key.value(),
                        "not proven: the tiles to prove record " + rec.id() + " are not all stored and sound",
                        false);
            }
        }
        db.says.put(mv, sums);
    }

    /** The text of a signed note, its signatures unchecked: everything up to the blank line before them. */
    private static String unsignedText(byte[] note) throws NoteException {
        String s = new String(note, StandardCharsets.UTF_8);
        int end = s.lastIndexOf("\n\n");
        if (end < 0) {
            throw new NoteException(NoteException.Reason.MALFORMED_NOTE, "malformed note");
        }
        return s.substring(0, end + 1);
    }

    /** Sound stored tiles, for proofs; nothing is fetched and nothing saved. */
    private record StoredTiles(Map<Tile, byte[]> sound) implements TileReader {
        @Override
        public int height() {
            return 8;
        }

        @Override
        public List<byte[]> readTiles(List<Tile> tiles) throws IOException {
            List<byte[]> out = new ArrayList<>();
            for (Tile t : tiles) {
                byte[] d = sound.get(t);
                if (d == null) {
                    // A wider sound copy holds the narrower tile as its prefix.
                    for (Map.Entry<Tile, byte[]> e : sound.entrySet()) {
                        Tile s = e.getKey();
                        if (s.l() == t.l() && s.n() == t.n() && s.w() > t.w()) {
                            d = Arrays.copyOf(e.getValue(), t.w() * Hash.SIZE);
                            break;
                        }
                    }
                }
                if (d == null) {
                    throw new IOException(t.path() + " is not stored");
                }
                out.add(d);
            }
            return out;
        }

        @Override
        public void saveTiles(List<Tile> tiles, List<byte[]> data) {}
    }

    // ---- versions ------------------------------------------------------------------------------

    private void checkVersion(ModuleVersion mv, Map<String, Db> dbs, BlobKey pin, Run run) throws IOException {
        List<String> problems = new ArrayList<>();
        GoSum actual = null;
        try {
            Optional<byte[]> info = read(StorageLayout.info(mv));
            Optional<byte[]> mod = read(StorageLayout.mod(mv));
            Optional<byte[]> sum = read(StorageLayout.sum(mv));
            if (info.isEmpty()) {
                return; // removed since the listing
            }
            try {
                VersionChecks.checkInfo(mv, info.get());
            } catch (ProxyException e) {
                problems.add(".info: " + e.getMessage());
            }
            if (mod.isEmpty()) {
                problems.add(".mod is missing");
            }
            GoSum stored = null;
            if (sum.isEmpty()) {
                problems.add(".sum is missing");
            } else {
                try {
                    stored = GoSum.find(new String(sum.get(), StandardCharsets.UTF_8), mv);
                } catch (ProxyException e) {
                    // reported below
                }
                if (stored == null || stored.modH1() == null) {
                    problems.add(".sum is unreadable");
                    stored = null;
                }
            }
            // A version imported from a snapshot with its go.mod alone has a .sum without a zip line, and no zip.
            boolean goModOnly = stored != null && stored.zipH1() == null && !store.exists(StorageLayout.zip(mv));
            if (stored != null && stored.zipH1() == null && !goModOnly) {
                problems.add(".sum has no zip line, but a zip is stored");
            }
            if (mod.isPresent()) {
                actual = goModOnly
                        ? GoSum.of(mv, null, Dirhash.hashGoMod(mod.get()))
                        : checkZip(mv, mod.get(), problems);
            }
            if (actual != null) {
                if (stored != null && !stored.sameHashes(actual)) {
                    problems.add("h1 " + describe(actual) + " differs from the stored .sum " + describe(stored));
                }
                for (Db db : dbs.values()) {
                    GoSum says = db.says.get(mv);
                    if (says != null && !agrees(says, actual)) {
                        problems.add("h1 " + describe(actual) + " differs from checksum database " + db.name + ": "
                                + describe(says));
                    }
                }
                if (pin != null) {
                    GoSum pinned = read(pin)
                            .map(b -> {
                                try {
                                    return GoSum.find(new String(b, StandardCharsets.UTF_8), mv);
                                } catch (ProxyException e) {
                                    return null;
                                }
                            })
                            .orElse(null);
                    if (pinned == null) {
                        run.report(
                                Severity.CORRUPT,
                                "pin",
                                pin.value(),
                                "unreadable; pins are never changed by repair: restore it "
                                        + "from a backup, or delete it to pin the version's next fetch",
                                false);
                    } else if (!agrees(pinned, actual)) {
                        problems.add("h1 " + describe(actual) + " differs from its pin " + describe(pinned));
                    }
                }
            }
        } catch (IOException e) {
            problems.add("unreadable: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            boolean repaired = false;
            if (run.repair) {
                for (BlobKey k : List.of(
                        StorageLayout.info(mv), StorageLayout.sum(mv), StorageLayout.mod(mv), StorageLayout.zip(mv))) {
                    run.keep(k);
                }
                repaired = committer.remove(mv, v -> true);
            }
            run.report(Severity.CORRUPT, "version", mv.toString(), String.join("; ", problems), repaired);
        }
    }

    /** The zip's checks and both hashes computed anew; null (with the problem noted) when it cannot be checked. */
    private GoSum checkZip(ModuleVersion mv, byte[] mod, List<String> problems) throws IOException {
        Optional<Blob> zip = store.get(StorageLayout.zip(mv));
        if (zip.isEmpty()) {
            problems.add(".zip is missing");
            return null;
        }
        Files.createDirectories(tempDir);
        // The ".tmp-" prefix keeps it out of listings and lets a crash's leftover be swept.
        Path tmp = Files.createTempFile(tempDir, ".tmp-fsck-", ".zip");
        try (Blob blob = zip.get();
                InputStream in = blob.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return VersionChecks.checkZip(mv, tmp, mod, Dirhash.hashGoMod(mod), Optional.empty());
        } catch (ProxyException e) {
            problems.add("zip: " + e.getMessage());
            return null;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static boolean agrees(GoSum authority, GoSum actual) {
        return (authority.zipH1() == null || authority.zipH1().equals(actual.zipH1()))
                && (authority.modH1() == null || authority.modH1().equals(actual.modH1()));
    }

    private static String describe(GoSum s) {
        return "(zip " + s.zipH1() + ", go.mod " + s.modH1() + ")";
    }

    private void incomplete(ModuleVersion mv, List<BlobKey> keys, Run run) throws IOException {
        boolean old = true;
        for (BlobKey k : keys) {
            Optional<BlobStat> st = store.stat(k);
            if (st.isPresent()
                    && st.get().lastModified().isAfter(clock.instant().minus(INCOMPLETE_AGE))) {
                old = false;
            }
        }
        boolean removed = false;
        if (run.repair && old) {
            for (BlobKey k : keys) {
                store.delete(k);
            }
            removed = true;
        }
        run.report(
                Severity.NOTICE,
                "incomplete",
                mv.toString(),
                "files without an .info (a commit cut short): "
                        + keys.stream().map(BlobKey::name).toList()
                        + (old ? "" : "; less than an hour old, perhaps a commit in progress"),
                removed);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** The version a {@code .mod}, {@code .zip} or {@code .sum} key belongs to. */
    private static Optional<ModuleVersion> versionOfArtifact(BlobKey k) {
        String v = k.value();
        int dot = v.lastIndexOf('.');
        if (dot < 0 || v.lastIndexOf('/') > dot) {
            return Optional.empty();
        }
        String info = v.substring(0, dot) + ".info";
        return BlobKey.isValid(info) ? StorageLayout.versionOfInfo(BlobKey.of(info)) : Optional.empty();
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
}
