package dev.granary.core.testing;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.sumdb.note.NoteSigner;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.HashReader;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.TlogRecord;
import dev.granary.core.sumdb.tlog.Tree;
import dev.granary.storage.BlobStore;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A checksum database's state built in memory and stored as Granary stores what it verified: the
 * given go.sum records first, then filler records up to {@code size}, its tiles (height 8), a signed
 * tree head, and a lookup answer for each go.sum record.
 */
public final class TestLog {
    public final String name;
    public final String verifierKey;
    public final Tree tree;
    public final List<Tile> tiles;

    private TestLog(String name, String verifierKey, Tree tree, List<Tile> tiles) {
        this.name = name;
        this.verifierKey = verifierKey;
        this.tree = tree;
        this.tiles = tiles;
    }

    /** Builds the log and writes it to {@code store} under {@code sumdb/<name>/}. */
    public static TestLog store(BlobStore store, String name, List<GoSum> records, int size) throws Exception {
        Notes.KeyPairStrings keys = Notes.generateKey(name);
        List<Hash> hashes = new ArrayList<>();
        List<byte[]> texts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            byte[] text = (i < records.size() ? records.get(i).text() : "example.com/filler v1.0." + i + " h1:AAAA=\n")
                    .getBytes(StandardCharsets.UTF_8);
            texts.add(text);
            hashes.addAll(Tlog.storedHashes(i, text, HashReader.of(hashes)));
        }
        Tree tree = new Tree(size, Tlog.treeHash(size, HashReader.of(hashes)));
        byte[] note = Notes.sign(tree.formatTree(), NoteSigner.parse(keys.signerKey()));
        store.put(StorageLayout.sumdb(name, "latest"), note);
        List<Tile> tiles = Tile.newTiles(8, 0, size);
        for (Tile t : tiles) {
            store.put(StorageLayout.sumdb(name, t.path()), Tile.readTileData(t, HashReader.of(hashes)));
        }
        for (int i = 0; i < records.size(); i++) {
            ByteArrayOutputStream lookup = new ByteArrayOutputStream();
            lookup.write(TlogRecord.formatRecord(i, texts.get(i)));
            lookup.write(note);
            store.put(StorageLayout.sumdbLookup(name, records.get(i).version()), lookup.toByteArray());
        }
        return new TestLog(name, keys.verifierKey(), tree, tiles);
    }
}
