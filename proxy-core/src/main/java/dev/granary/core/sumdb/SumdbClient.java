package dev.granary.core.sumdb;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.note.Note;
import dev.granary.core.sumdb.note.NoteException;
import dev.granary.core.sumdb.note.NoteVerifier;
import dev.granary.core.sumdb.note.NoteVerifiers;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TileHashReader;
import dev.granary.core.sumdb.tlog.TileReader;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.TlogRecord;
import dev.granary.core.sumdb.tlog.Tree;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A verifying client of one Go checksum database (go.dev/ref/mod#checksum-database), after
 * golang.org/x/mod/sumdb/client.go:
 * <ol>
 *   <li>{@link #lookup} fetches {@code lookup/M@V}: a record and the database's signed tree head;</li>
 *   <li>the head's signature is checked with the verifier key, and the head is merged with the
 *       newest head trusted so far (from {@link TreeHeadStore}): whichever is smaller must be a
 *       prefix of the larger, proven by recomputing its root from the larger tree's authenticated
 *       tiles; a larger head becomes the new trusted head and is saved; a mismatch is a
 *       {@link SumdbForkException};</li>
 *   <li>the record's leaf hash is read from tiles authenticated against the trusted head (an
 *       inclusion proof) and must equal the hash of the record text.</li>
 * </ol>
 * Tiles come from the {@link TileCache} when present (only authenticated tiles are put there), else
 * from the database ({@code tile/8/...}; a missing partial tile falls back to the full tile).
 *
 * <p>Errors are {@link ProxyException}s: {@code NOT_FOUND} when the database does not know the
 * module version (404), {@code UPSTREAM_FAILED} when it cannot be reached, {@code STORAGE_UNAVAILABLE}
 * when the tree-head store or tile cache fails, {@code VERIFICATION_FAILED} when anything does not
 * verify ({@link SumdbForkException} for a fork). Thread-safe; head merges are serialized.
 */
public final class SumdbClient {

    /** Tile height used by the Go checksum database and the go command. */
    public static final int TILE_HEIGHT = 8;

    private final NoteVerifier verifier;
    private final NoteVerifiers verifiers;
    private final SumdbFetcher fetcher;
    private final TreeHeadStore store;
    private final TileCache cache;

    private final Object lock = new Object();
    private boolean loaded;
    private Tree latest = new Tree(0, Hash.ZERO);
    private byte[] latestNote = new byte[0];

    /**
     * @param verifierKey the database's verifier key, e.g. {@code sum.golang.org+033de0ae+Ac4z...}
     * @param fetcher     fetches paths relative to the database URL
     * @param store       persists the newest verified tree head
     * @param cache       stores authenticated tiles ({@link TileCache#none()} to disable)
     * @throws ProxyException INVALID if the verifier key cannot be parsed
     */
    public SumdbClient(String verifierKey, SumdbFetcher fetcher, TreeHeadStore store, TileCache cache) {
        try {
            this.verifier = NoteVerifier.parse(verifierKey);
        } catch (NoteException e) {
            throw new ProxyException(Kind.INVALID, "checksum database verifier key: " + e.getMessage(), e);
        }
        this.verifiers = NoteVerifiers.of(verifier);
        this.fetcher = fetcher;
        this.store = store;
        this.cache = cache;
    }

    /** The database name (from the verifier key). */
    public String name() {
        return verifier.name();
    }

    /** The newest tree head verified so far (size 0 before any). */
    public Tree latest() {
        synchronized (lock) {
            loadStored();
            return latest;
        }
    }

    /**
     * Fetches {@code latest} from the database and merges it into the trusted timeline.
     *
     * @return the newest trusted tree head afterwards
     */
    public Tree refresh() {
        byte[] msg = fetch("latest", false);
        mergeLatest(msg);
        return latest();
    }

    /** A verified lookup: the version's go.sum lines and the database's response exactly as it was signed. */
    public record Lookup(GoSum sums, byte[] response) {}

    /**
     * Looks up the go.sum lines of a module version and verifies them as described above.
     *
     * @throws ProxyException NOT_FOUND when the database does not know the version
     */
    public Lookup lookup(ModuleVersion mv) {
        byte[] resp = fetch("lookup/" + mv.escapedPath() + "@" + mv.escapedVersion(), true);
        TlogRecord rec;
        try {
            rec = TlogRecord.parseRecord(resp);
        } catch (TlogException e) {
            throw failed(mv + ": " + e.getMessage(), e);
        }
        mergeLatest(rec.rest());
        checkRecord(mv.toString(), rec);
        GoSum sums;
        try {
            sums = GoSum.find(rec.text(), mv);
        } catch (ProxyException e) {
            throw failed(mv + ": record " + rec.id() + ": " + e.getMessage(), e);
        }
        if (sums == null) {
            throw failed(mv + ": record " + rec.id() + " does not list this module version", null);
        }
        return new Lookup(sums, resp);
    }

    /** The newest verified signed tree head, exactly as the database signed it; empty before any. */
    public byte[] latestNote() {
        synchronized (lock) {
            loadStored();
            return latestNote.clone();
        }
    }

    /**
     * A hash tile ({@code tile/8/L/N[.p/W]}) authenticated against the newest verified tree head
     * (refreshed once from the database when the tile lies beyond it). Authenticated tiles land in the
     * tile cache, so later requests for the same tile are answered locally.
     *
     * @throws ProxyException INVALID for a malformed or data-tile path, NOT_FOUND when the tile lies
     *     beyond every tree head the database presents
     */
    public byte[] tile(String tilePath) {
        Tile t;
        try {
            t = Tile.parseTilePath(tilePath);
        } catch (TlogException e) {
            throw new ProxyException(Kind.INVALID, "checksum database " + name() + ": " + e.getMessage(), e);
        }
        if (t.l() < 0 || t.h() != TILE_HEIGHT) {
            throw new ProxyException(
                    Kind.INVALID,
                    "checksum database " + name() + ": only hash tiles of height " + TILE_HEIGHT + " are proxied: "
                            + tilePath);
        }
        int shift = t.l() * t.h();
        long first = t.n() << t.h();
        long need = first + t.w();
        Tree tree = latest();
        if ((tree.n() >> shift) < need) {
            tree = refresh();
        }
        if ((tree.n() >> shift) < need) {
            throw new ProxyException(
                    Kind.NOT_FOUND, "checksum database " + name() + ": " + tilePath + " lies beyond tree#" + tree.n());
        }
        Tiles reader = new Tiles();
        try {
            new TileHashReader(tree, reader).readHashes(new long[] {Tlog.storedHashIndex(shift, need - 1)});
        } catch (TlogException e) {
            throw failed(tilePath + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, "checksum database " + name() + ": " + e.getMessage(), e);
        }
        // The tile read for this tree has the tree's width; the one asked for is a prefix of it.
        int treeWidth = (int) Math.min(1L << t.h(), (tree.n() >> shift) - first);
        byte[] data = reader.authenticated.get(new Tile(t.h(), t.l(), t.n(), treeWidth));
        if (data == null) {
            try {
                data = cache.get(new Tile(t.h(), t.l(), t.n(), treeWidth).path())
                        .orElse(null);
            } catch (IOException e) {
                throw new ProxyException(
                        Kind.STORAGE_UNAVAILABLE, "checksum database " + name() + ": " + e.getMessage(), e);
            }
        }
        if (data == null || data.length < t.w() * Hash.SIZE) {
            throw failed(tilePath + ": tile could not be authenticated", null);
        }
        return Arrays.copyOf(data, t.w() * Hash.SIZE);
    }

    private void checkRecord(String what, TlogRecord rec) {
        Tree tree = latest();
        if (rec.id() < 0 || rec.id() >= tree.n()) {
            throw failed(what + ": cannot validate record " + rec.id() + " in tree of size " + tree.n(), null);
        }
        Hash leaf;
        try {
            leaf = new TileHashReader(tree, new Tiles())
                    .readHashes(new long[] {Tlog.storedHashIndex(0, rec.id())})
                    .get(0);
        } catch (TlogException e) {
            throw failed(what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, "checksum database " + name() + ": " + e.getMessage(), e);
        }
        if (!leaf.equals(Tlog.recordHash(rec.textBytes()))) {
            throw failed(what + ": cannot authenticate record data in server response", null);
        }
    }

    private ProxyException failed(String message, Throwable cause) {
        return new ProxyException(Kind.VERIFICATION_FAILED, "checksum database " + name() + ": " + message, cause);
    }

    private byte[] fetch(String path, boolean notFoundOk) {
        try {
            return fetcher.fetch(path);
        } catch (FileNotFoundException | NoSuchFileException e) {
            if (notFoundOk) {
                throw new ProxyException(
                        Kind.NOT_FOUND, "checksum database " + name() + ": " + path + ": not found", e);
            }
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED, "checksum database " + name() + ": " + path + ": not found", e);
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED, "checksum database " + name() + ": " + path + ": " + e.getMessage(), e);
        }
    }

    // Must hold lock.
    private void loadStored() {
        if (loaded) {
            return;
        }
        Optional<byte[]> stored = loadStore();
        if (stored.isPresent()) {
            latest = openTree(stored.get());
            latestNote = stored.get();
        }
        loaded = true;
    }

    private Optional<byte[]> loadStore() {
        try {
            return store.load();
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE,
                    "checksum database " + name() + ": loading tree head: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Opens a signed tree note with this database's verifier key and returns its tree head, without
     * merging it into the trusted timeline.
     *
     * @throws ProxyException VERIFICATION_FAILED when the note is not signed by this database or is malformed
     */
    public Tree verifiedTree(byte[] signedNote) {
        return openTree(signedNote);
    }

    private Tree openTree(byte[] msg) {
        try {
            Note note = Notes.open(msg, verifiers);
            return Tree.parseTree(note.text());
        } catch (NoteException | TlogException e) {
            throw failed(
                    "reading tree note: " + e.getMessage() + "\nnote:\n" + new String(msg, StandardCharsets.UTF_8), e);
        }
    }

    /** golang.org/x/mod/sumdb/client.go: mergeLatest — extend or confirm the trusted timeline with msg. */
    private void mergeLatest(byte[] msg) {
        Tree tree = openTree(msg);
        synchronized (lock) {
            loadStored();
            if (tree.equals(latest)) {
                return; // the same signed head we already trust
            }
            if (tree.n() <= latest.n()) {
                checkTrees(tree, msg, latest, latestNote);
                return;
            }
            checkTrees(latest, latestNote, tree, msg);
            // Another process sharing the store may have moved on: merge its head before saving ours.
            Optional<byte[]> stored = loadStore();
            if (stored.isPresent() && !Arrays.equals(stored.get(), latestNote)) {
                Tree st = openTree(stored.get());
                if (st.n() <= tree.n()) {
                    checkTrees(st, stored.get(), tree, msg);
                } else {
                    checkTrees(tree, msg, st, stored.get());
                    latest = st;
                    latestNote = stored.get();
                    return;
                }
            }
            latest = tree;
            latestNote = msg.clone();
            try {
                store.save(latestNote);
            } catch (IOException e) {
                throw new ProxyException(
                        Kind.STORAGE_UNAVAILABLE,
                        "checksum database " + name() + ": saving tree head: " + e.getMessage(),
                        e);
            }
        }
    }

    /** golang.org/x/mod/sumdb/client.go: checkTrees — older must be a prefix of newer. */
    private void checkTrees(Tree older, byte[] olderNote, Tree newer, byte[] newerNote) {
        if (older.n() == 0) {
            return; // the empty tree is a prefix of every tree
        }
        Hash h;
        try {
            h = Tlog.treeHash(older.n(), new TileHashReader(newer, new Tiles()));
        } catch (TlogException e) {
            throw failed("checking tree#" + older.n() + " against tree#" + newer.n() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, "checksum database " + name() + ": " + e.getMessage(), e);
        }
        if (!h.equals(older.hash())) {
            throw new SumdbForkException(
                    "SECURITY ERROR: checksum database " + name() + " misbehaved: tree#" + older.n() + " ("
                            + older.hash() + ") is not a prefix of tree#" + newer.n() + " (which implies " + h
                            + " for it)",
                    olderNote,
                    newerNote);
        }
    }

    /** Tiles from the cache, else from the database; authenticated tiles go to the cache. */
    private final class Tiles implements TileReader {
        private final Set<Tile> fromCache = new HashSet<>();
        /** Tiles authenticated by the last read, with their data. */
        final Map<Tile, byte[]> authenticated = new HashMap<>();

        @Override
        public int height() {
            return TILE_HEIGHT;
        }

        @Override
        public List<byte[]> readTiles(List<Tile> tiles) throws IOException {
            List<byte[]> out = new ArrayList<>(tiles.size());
            for (Tile t : tiles) {
                out.add(readTile(t));
            }
            return out;
        }

        private byte[] readTile(Tile t) throws IOException {
            int want = t.w() * Hash.SIZE;
            Optional<byte[]> c = cache.get(t.path());
            if (c.isPresent() && c.get().length == want) {
                fromCache.add(t);
                return c.get();
            }
            Tile full = t.full();
            if (!t.isFull()) {
                Optional<byte[]> f = cache.get(full.path());
                if (f.isPresent() && f.get().length == full.w() * Hash.SIZE) {
                    fromCache.add(t);
                    return Arrays.copyOf(f.get(), want);
                }
            }
            try {
                return fetcher.fetch(t.path());
            } catch (FileNotFoundException | NoSuchFileException e) {
                // A partial tile may be gone once the tile is complete: use the prefix of the full one.
                if (t.isFull()) {
                    throw e;
                }
                byte[] f = fetcher.fetch(full.path());
                return f.length >= want ? Arrays.copyOf(f, want) : f;
            }
        }

        @Override
        public void saveTiles(List<Tile> tiles, List<byte[]> data) {
            for (int i = 0; i < tiles.size(); i++) {
                Tile t = tiles.get(i);
                authenticated.put(t, data.get(i));
                if (fromCache.contains(t)) {
                    continue;
                }
                try {
                    cache.put(t.path(), data.get(i));
                } catch (IOException e) {
                    // A cache that cannot store only costs a refetch later.
                }
            }
        }
    }
}
