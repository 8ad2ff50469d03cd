package dev.granary.core.sumdb.tlog;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tamper-evident log of the Go checksum database: record and node hashes, the dense storage
 * order of tree hashes, tree hashes, and inclusion ("record") and consistency ("tree") proofs.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>A Java port of {@code golang.org/x/mod/sumdb/tlog} (tlog.go), which follows RFC 6962
 *       (Certificate Transparency) section 2.1: leaf hash {@code SHA-256(0x00 || data)}, interior
 *       node hash {@code SHA-256(0x01 || left || right)}; the tree of {@code n} records splits into
 *       a left subtree of {@code k} leaves, {@code k} the largest power of two smaller than
 *       {@code n}, and the rest on the right. The proofs are therefore interchangeable with CT's
 *       audit paths and consistency proofs (see the Argon 2020 vectors in the tests).</li>
 *   <li>Hashes live in a single dense sequence, the "stored hash index" (Crosby and Wallach,
 *       "Efficient Data Structures for Tamper-Evident Logging", section 3.3): hashes are stored in the
 *       order they become computable, so appending record {@code n} appends its leaf hash and then
 *       the roots of the {@code trailingZeros(n+1)} subtrees it completes ({@link #storedHashes}).</li>
 *   <li>Every function that needs stored hashes first computes the exact list of indexes it
 *       needs (in increasing order), asks a {@link HashReader} once, then consumes the answer in
 *       the same order. The paired "index" and "compute" walks below must therefore recurse in
 *       the same order; {@link IllegalStateException} marks a broken pairing (a bug, never input).</li>
 *   <li>Proof lists are ordered leaf-side first (deepest sibling first), as in Go and RFC 6962.</li>
 *   <li>Bad inputs (sizes out of range) and failed proofs raise {@link TlogException}.</li>
 * </ul>
 */
public final class Tlog {

    private Tlog() {}

    /** Coordinates of a tree node: {@code level} (0 = leaves) and index {@code n} within the level. */
    public record Node(int level, long n) {}

    // golang.org/x/mod/sumdb/tlog: maxpow2 — the largest power of two smaller than n (for n >= 2), as its log2.
    private static int maxpow2Log(long n) {
        if (n <= 1) {
            return 0;
        }
        return 63 - Long.numberOfLeadingZeros(n - 1);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The hash of a record: {@code SHA-256(0x00 || data)} (RFC 6962 section 2.1). */
    public static Hash recordHash(byte[] data) {
        MessageDigest md = sha256();
        md.update((byte) 0x00);
        md.update(data);
        return Hash.of(md.digest());
    }

    /** The hash of an interior node: {@code SHA-256(0x01 || left || right)} (RFC 6962 section 2.1). */
    public static Hash nodeHash(Hash left, Hash right) {
        byte[] buf = new byte[1 + 2 * Hash.SIZE];
        buf[0] = 0x01;
        left.copyTo(buf, 1);
        right.copyTo(buf, 1 + Hash.SIZE);
        return Hash.of(sha256().digest(buf));
    }

    /**
     * Maps tree coordinates to the dense storage order.
     * golang.org/x/mod/sumdb/tlog: StoredHashIndex.
     */
    public static long storedHashIndex(int level, long n) {
        // Level L's n'th hash is stored right after level L+1's (2n+1)'th: walk down to level 0.
        for (int l = level; l > 0; l--) {
            n = 2 * n + 1;
        }
        // Level 0's n'th hash is at n + n/2 + n/4 + ...
        long i = 0;
        for (; n > 0; n >>= 1) {
            i += n;
        }
        return i + level;
    }

    /**
     * Inverse of {@link #storedHashIndex}.
     * golang.org/x/mod/sumdb/tlog: SplitStoredHashIndex.
     */
    public static Node splitStoredHashIndex(long index) {
        // storedHashIndex(0, n) < 2n, so the record that wrote this index is in [index/2, index/2 + log2(index)].
        long n = index / 2;
        long indexN = storedHashIndex(0, n);
        if (indexN > index) {
            throw new IllegalStateException("bad math in splitStoredHashIndex");
        }
        while (true) {
            // Record n adds 1 + trailingZeros(n+1) hashes.
            long x = indexN + 1 + Long.numberOfTrailingZeros(n + 1);
            if (x > index) {
                break;
            }
            n++;
            indexN = x;
        }
        // The hash was written with record n: it is one of (0, n), (1, n/2), (2, n/4), ...
        int level = (int) (index - indexN);
        return new Node(level, n >> level);
    }

    /**
     * The number of stored hashes of a tree with {@code n} records.
     * golang.org/x/mod/sumdb/tlog: StoredHashCount.
     */
    public static long storedHashCount(long n) {
        if (n == 0) {
            return 0;
        }
        long numHash = storedHashIndex(0, n - 1) + 1;
        for (long i = n - 1; (i & 1) != 0; i >>>= 1) {
            numHash++;
        }
        return numHash;
    }

    /**
     * The hashes to append to storage when writing record {@code n} with the given data; they go
     * at {@code storedHashIndex(0, n)} onwards. Reads up to log2(n) earlier hashes from {@code r}.
     * golang.org/x/mod/sumdb/tlog: StoredHashes.
     */
    public static List<Hash> storedHashes(long n, byte[] data, HashReader r) throws IOException, TlogException {
        return storedHashesForRecordHash(n, recordHash(data), r);
    }

    /** Like {@link #storedHashes} but given {@code recordHash(data)}. */
    public static List<Hash> storedHashesForRecordHash(long n, Hash h, HashReader r) throws IOException, TlogException {
        List<Hash> hashes = new ArrayList<>();
        hashes.add(h);
        // Each trailing 1 bit of n completes a subtree and consumes a hash of its left sibling.
        int m = Long.numberOfTrailingZeros(n + 1);
        long[] indexes = new long[m];
        for (int i = 0; i < m; i++) {
            indexes[m - 1 - i] = storedHashIndex(i, (n >> i) - 1);
        }
        List<Hash> old = read(r, indexes);
        for (int i = 0; i < m; i++) {
            h = nodeHash(old.get(m - 1 - i), h);
            hashes.add(h);
        }
        return hashes;
    }

    private static List<Hash> read(HashReader r, long[] indexes) throws IOException, TlogException {
        if (indexes.length == 0) {
            return List.of();
        }
        List<Hash> hashes = r.readHashes(indexes);
        if (hashes.size() != indexes.length) {
            throw new TlogException("tlog: readHashes(" + indexes.length + " indexes) = " + hashes.size() + " hashes");
        }
        return hashes;
    }

    /**
     * The root hash of the tree with {@code n} records; the empty tree's is all zeros. Makes one
     * {@link HashReader#readHashes} call for at most 1 + log2(n) hashes.
     * golang.org/x/mod/sumdb/tlog: TreeHash.
     */
    public static Hash treeHash(long n, HashReader r) throws IOException, TlogException {
        if (n < 0) {
            throw new TlogException("tlog: invalid tree size " + n);
        }
        if (n == 0) {
            return Hash.ZERO;
        }
        LongList need = new LongList();
        subTreeIndex(0, n, need);
        Cursor c = new Cursor(read(r, need.toArray()));
        Hash h = subTreeHash(0, n, c);
        c.expectEnd("treeHash");
        return h;
    }

    /** The stored indexes whose hashes yield the hash of the subtree of records [lo, hi) (RFC 6962 2.1). */
    static void subTreeIndex(long lo, long hi, LongList need) {
        while (lo < hi) {
            int level = maxpow2Log(hi - lo + 1);
            long k = 1L << level;
            if ((lo & (k - 1)) != 0) {
                throw new IllegalStateException("tlog: bad math in subTreeIndex");
            }
            need.add(storedHashIndex(level, lo >> level));
            lo += k;
        }
    }

    /** Computes the hash of records [lo, hi) from the hashes subTreeIndex(lo, hi) asked for. */
    static Hash subTreeHash(long lo, long hi, Cursor c) {
        // The range splits into maximal complete subtrees, largest first; their hashes are stored.
        int numTree = 0;
        while (lo < hi) {
            long k = 1L << maxpow2Log(hi - lo + 1);
            if ((lo & (k - 1)) != 0) {
                throw new IllegalStateException("tlog: bad math in subTreeHash");
            }
            numTree++;
            lo += k;
        }
        List<Hash> parts = c.take(numTree);
        Hash h = parts.get(numTree - 1);
        for (int i = numTree - 2; i >= 0; i--) {
            h = nodeHash(parts.get(i), h);
        }
        return h;
    }

    /**
     * The proof that the tree of size {@code t} contains record {@code n} (RFC 6962 "audit path").
     * golang.org/x/mod/sumdb/tlog: ProveRecord.
     */
    public static List<Hash> proveRecord(long t, long n, HashReader r) throws IOException, TlogException {
        if (t < 0 || n < 0 || n >= t) {
            throw new TlogException("tlog: invalid inputs in proveRecord");
        }
        LongList need = new LongList();
        leafProofIndex(0, t, n, need);
        if (need.size() == 0) {
            return List.of();
        }
        Cursor c = new Cursor(read(r, need.toArray()));
        List<Hash> p = new ArrayList<>();
        leafProof(0, t, n, c, p);
        c.expectEnd("proveRecord");
        return List.copyOf(p);
    }

    // RFC 6962 2.1.1: the hashes needed to prove leaf n in the subtree [lo, hi).
    private static void leafProofIndex(long lo, long hi, long n, LongList need) {
        if (!(lo <= n && n < hi)) {
            throw new IllegalStateException("tlog: bad math in leafProofIndex");
        }
        if (lo + 1 == hi) {
            return;
        }
        long k = 1L << maxpow2Log(hi - lo);
        if (n < lo + k) {
            leafProofIndex(lo, lo + k, n, need);
            subTreeIndex(lo + k, hi, need);
        } else {
            subTreeIndex(lo, lo + k, need);
            leafProofIndex(lo + k, hi, n, need);
        }
    }

    // Appends to p the proof of leaf n in [lo, hi), deepest sibling first.
    private static void leafProof(long lo, long hi, long n, Cursor c, List<Hash> p) {
        if (!(lo <= n && n < hi)) {
            throw new IllegalStateException("tlog: bad math in leafProof");
        }
        if (lo + 1 == hi) {
            return; // the verifier knows the leaf hash
        }
        long k = 1L << maxpow2Log(hi - lo);
        if (n < lo + k) {
            leafProof(lo, lo + k, n, c, p);
            p.add(subTreeHash(lo + k, hi, c));
        } else {
            Hash th = subTreeHash(lo, lo + k, c);
            leafProof(lo + k, hi, n, c, p);
            p.add(th);
        }
    }

    /**
     * Checks that {@code p} proves that the tree of size {@code t} with root {@code th} has
     * record {@code n} with hash {@code h}.
     * golang.org/x/mod/sumdb/tlog: CheckRecord.
     *
     * @throws TlogException if the inputs are out of range or the proof does not prove it
     */
    public static void checkRecord(List<Hash> p, long t, Hash th, long n, Hash h) throws TlogException {
        if (t < 0 || n < 0 || n >= t) {
            throw new TlogException("tlog: invalid inputs in checkRecord");
        }
        Hash th2 = runRecordProof(p, p.size(), 0, t, n, h);
        if (!th2.equals(th)) {
            throw proofFailed();
        }
    }

    private static TlogException proofFailed() {
        return new TlogException("invalid transparency proof");
    }

    // Runs proof p[0..end) of leaf n in [lo, hi): returns the implied subtree hash.
    private static Hash runRecordProof(List<Hash> p, int end, long lo, long hi, long n, Hash leaf)
            throws TlogException {
        if (!(lo <= n && n < hi)) {
            throw new IllegalStateException("tlog: bad math in runRecordProof");
        }
        if (lo + 1 == hi) {
            if (end != 0) {
                throw proofFailed(); // unnecessary hashes
            }
            return leaf;
        }
        if (end == 0) {
            throw proofFailed();
        }
        long k = 1L << maxpow2Log(hi - lo);
        Hash sibling = p.get(end - 1);
        if (n < lo + k) {
            return nodeHash(runRecordProof(p, end - 1, lo, lo + k, n, leaf), sibling);
        }
        return nodeHash(sibling, runRecordProof(p, end - 1, lo + k, hi, n, leaf));
    }

    /**
     * The proof that the tree of size {@code t} contains the tree of size {@code n} as a prefix
     * (RFC 6962 "consistency proof").
     * golang.org/x/mod/sumdb/tlog: ProveTree.
     */
    public static List<Hash> proveTree(long t, long n, HashReader r) throws IOException, TlogException {
        if (t < 1 || n < 1 || n > t) {
            throw new TlogException("tlog: invalid inputs in proveTree");
        }
        LongList need = new LongList();
        treeProofIndex(0, t, n, need);
        if (need.size() == 0) {
            return List.of();
        }
        Cursor c = new Cursor(read(r, need.toArray()));
        List<Hash> p = new ArrayList<>();
        treeProof(0, t, n, c, p);
        c.expectEnd("proveTree");
        return List.copyOf(p);
    }

    // RFC 6962 2.1.2: indexes for the sub-proof of the subtree [lo, hi) against old size n.
    private static void treeProofIndex(long lo, long hi, long n, LongList need) {
        if (!(lo < n && n <= hi)) {
            throw new IllegalStateException("tlog: bad math in treeProofIndex");
        }
        if (n == hi) {
            if (lo != 0) {
                subTreeIndex(lo, hi, need);
            }
            return;
        }
        long k = 1L << maxpow2Log(hi - lo);
        if (n <= lo + k) {
            treeProofIndex(lo, lo + k, n, need);
            subTreeIndex(lo + k, hi, need);
        } else {
            subTreeIndex(lo, lo + k, need);
            treeProofIndex(lo + k, hi, n, need);
        }
    }

    private static void treeProof(long lo, long hi, long n, Cursor c, List<Hash> p) {
        if (!(lo < n && n <= hi)) {
            throw new IllegalStateException("tlog: bad math in treeProof");
        }
        if (n == hi) {
            if (lo != 0) {
                p.add(subTreeHash(lo, hi, c));
            }
            // lo == 0: exactly the old tree, whose hash the verifier knows.
            return;
        }
        long k = 1L << maxpow2Log(hi - lo);
        if (n <= lo + k) {
            treeProof(lo, lo + k, n, c, p);
            p.add(subTreeHash(lo + k, hi, c));
        } else {
            Hash th = subTreeHash(lo, lo + k, c);
            treeProof(lo + k, hi, n, c, p);
            p.add(th);
        }
    }

    /**
     * Checks that {@code p} proves that the tree of size {@code t} with root {@code th} contains
     * as a prefix the tree of size {@code n} with root {@code h}.
     * golang.org/x/mod/sumdb/tlog: CheckTree.
     *
     * @throws TlogException if the inputs are out of range or the proof does not prove it
     */
    public static void checkTree(List<Hash> p, long t, Hash th, long n, Hash h) throws TlogException {
        if (t < 1 || n < 1 || n > t) {
            throw new TlogException("tlog: invalid inputs in checkTree");
        }
        Hash[] hs = runTreeProof(p, p.size(), 0, t, n, h);
        if (!hs[0].equals(h) || !hs[1].equals(th)) {
            throw proofFailed();
        }
    }

    // Runs the sub-proof p[0..end) for [lo, hi); returns {old-tree hash, new-tree hash} of that subtree.
    private static Hash[] runTreeProof(List<Hash> p, int end, long lo, long hi, long n, Hash old) throws TlogException {
        if (!(lo < n && n <= hi)) {
            throw new IllegalStateException("tlog: bad math in runTreeProof");
        }
        if (n == hi) {
            if (lo == 0) {
                if (end != 0) {
                    throw proofFailed();
                }
                return new Hash[] {old, old};
            }
            if (end != 1) {
                throw proofFailed();
            }
            return new Hash[] {p.get(0), p.get(0)};
        }
        if (end == 0) {
            throw proofFailed();
        }
        long k = 1L << maxpow2Log(hi - lo);
        Hash sibling = p.get(end - 1);
        if (n <= lo + k) {
            Hash[] sub = runTreeProof(p, end - 1, lo, lo + k, n, old);
            return new Hash[] {sub[0], nodeHash(sub[1], sibling)};
        }
        Hash[] sub = runTreeProof(p, end - 1, lo + k, hi, n, old);
        return new Hash[] {nodeHash(sibling, sub[0]), nodeHash(sibling, sub[1])};
    }

    /** A growable list of longs (stored hash indexes). */
    static final class LongList {
        private long[] a = new long[8];
        private int size;

        void add(long v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        int size() {
            return size;
        }

        long get(int i) {
            return a[i];
        }

        long[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    /** Consumes hashes in the order they were requested. */
    static final class Cursor {
        private final List<Hash> hashes;
        private int pos;

        Cursor(List<Hash> hashes) {
            this.hashes = hashes;
        }

        List<Hash> take(int count) {
            if (hashes.size() - pos < count) {
                throw new IllegalStateException("tlog: bad index math (hashes exhausted)");
            }
            List<Hash> out = hashes.subList(pos, pos + count);
            pos += count;
            return out;
        }

        void expectEnd(String where) {
            if (pos != hashes.size()) {
                throw new IllegalStateException("tlog: bad index math in " + where);
            }
        }
    }
}
