package dev.granary.core.sumdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our note and tlog code against the reference implementation: a real checksum database built
 * from golang.org/x/mod/sumdb, spoken to over HTTP.
 */
class TestSumdbIT {

    @TempDir
    static Path tmp;

    static TestSumdb db;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        Path proxy = tmp.resolve("proxy");
        TestSumdb.writeModule(proxy, "example.com/hello", "v1.0.0", Map.of("hello.go", "package hello\n"));
        TestSumdb.writeModule(proxy, "example.com/hello", "v1.1.0", Map.of("hello.go", "package hello // 1.1\n"));
        TestSumdb.writeModule(proxy, "github.com/Azure/thing", "v0.3.0-rc.1", Map.of("a.go", "package thing\n"));
        db = TestSumdb.start(proxy);
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    static byte[] get(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(db.url() + "/" + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException(path + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    /** Tiles of height 8 over HTTP, recording what was fetched. */
    static final class HttpTiles implements TileReader {
        final List<String> fetched = new ArrayList<>();
        final List<String> saved = new ArrayList<>();

        @Override
        public int height() {
            return 8;
        }

        @Override
        public List<byte[]> readTiles(List<Tile> tiles) throws IOException {
            List<byte[]> out = new ArrayList<>();
            for (Tile t : tiles) {
                fetched.add(t.path());
                try {
                    out.add(get(t.path()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            return out;
        }

        @Override
        public void saveTiles(List<Tile> tiles, List<byte[]> data) {
            tiles.forEach(t -> saved.add(t.path()));
        }
    }

    /** h1 of a go.mod, computed here from the definition (golang.org/x/mod/sumdb/dirhash Hash1). */
    static String h1GoMod(String goMod) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        String fileHash = HexFormat.of().formatHex(sha.digest(goMod.getBytes(StandardCharsets.UTF_8)));
        String summary = fileHash + "  go.mod\n";
        return "h1:" + Base64.getEncoder().encodeToString(sha.digest(summary.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void lookupIsProvenByTilesAgainstTheSignedTreeHead() throws Exception {
        NoteVerifier verifier = NoteVerifier.parse(db.verifierKey());
        assertThat(db.initialSize()).isEqualTo(3);
        assertThat(db.name()).isEqualTo(verifier.name());

        // The signed tree head.
        Note latest = Notes.open(get("latest"), NoteVerifiers.of(verifier));
        Tree tree = Tree.parseTree(latest.text());
        assertThat(tree.n()).isEqualTo(3);

        // A lookup: record, then the signed tree note. The Go client sends '!' literally.
        byte[] resp = get("lookup/github.com/!azure/thing@v0.3.0-rc.1");
        TlogRecord rec = TlogRecord.parseRecord(resp);
        assertThat(rec.text())
                .isEqualTo("github.com/Azure/thing v0.3.0-rc.1 " + lineHash(rec.text(), 0) + "\n"
                        + "github.com/Azure/thing v0.3.0-rc.1/go.mod " + h1GoMod("module github.com/Azure/thing\n")
                        + "\n");
        assertThat(rec.id()).isEqualTo(2); // sorted: example.com/hello@v1.0.0, @v1.1.0, github.com/Azure/thing
        Note signed = Notes.open(rec.rest(), NoteVerifiers.of(verifier));
        Tree lookupTree = Tree.parseTree(signed.text());
        assertThat(lookupTree).isEqualTo(tree);

        // Inclusion: read the record's leaf hash through tiles authenticated against the root.
        HttpTiles tiles = new HttpTiles();
        TileHashReader thr = new TileHashReader(lookupTree, tiles);
        Hash leaf =
                thr.readHashes(new long[] {Tlog.storedHashIndex(0, rec.id())}).get(0);
        assertThat(leaf).isEqualTo(Tlog.recordHash(rec.textBytes()));
        assertThat(tiles.fetched).containsOnly("tile/8/0/000.p/3");
        assertThat(tiles.saved).containsOnly("tile/8/0/000.p/3");

        // And as an explicit audit path.
        List<Hash> proof = Tlog.proveRecord(lookupTree.n(), rec.id(), thr);
        Tlog.checkRecord(proof, lookupTree.n(), lookupTree.hash(), rec.id(), Tlog.recordHash(rec.textBytes()));

        // The data tile holds the same record.
        byte[] data = get(new Tile(8, -1, 0, 3).path());
        assertThat(new String(data, StandardCharsets.UTF_8)).contains(rec.text());

        // Negative: a tampered record does not hash to the leaf; a tampered note does not open.
        assertThat(Tlog.recordHash(rec.text().replace("h1:", "h2:").getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(leaf);
        byte[] tampered = new String(rec.rest(), StandardCharsets.UTF_8)
                .replace("\n3\n", "\n2\n")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Notes.open(tampered, NoteVerifiers.of(verifier)))
                .isInstanceOfSatisfying(
                        NoteException.class,
                        e -> assertThat(e.reason()).isEqualTo(NoteException.Reason.INVALID_SIGNATURE));
        // Tiles checked against a wrong tree size fail.
        TileHashReader wrong = new TileHashReader(new Tree(2, lookupTree.hash()), new HttpTiles());
        assertThatThrownBy(() -> wrong.readHashes(new long[] {0})).isInstanceOf(TlogException.class);
    }

    private static String lineHash(String text, int line) {
        return text.split("\n")[line].split(" ")[2];
    }

    @Test
    void unknownModuleIsNotFound() {
        assertThatThrownBy(() -> get("lookup/example.com/nope@v1.0.0")).hasMessageContaining("HTTP 404");
    }
}
