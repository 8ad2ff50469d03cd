package dev.granary.core.sumdb.tlog;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Re-verifies stored hash tiles against a signed tree head, offline, and says which tile is at fault.
 * Used by {@code granary fsck} to find tiles damaged on disk since they were authenticated.
 *
 * <p>How, after {@link TileHashReader}, but blaming single tiles rather than failing a read:
 * <ol>
 *   <li>the tiles that hold the tree's maximal complete subtrees (the "stx" tiles, at the tree's
 *       width) must hash to the tree's root hash; if they do, they are authentic, and if they do not,
 *       every tile that took part is suspect (with one such tile, as in any tree under 65,536 records,
 *       that is exactly the damaged one);</li>
 *   <li>every other full tile is authentic when its tile hash equals the hash its parent tile (already
 *       authentic: levels are checked from the top down) records for it;</li>
 *   <li>a narrower copy of an authentic tile (a partial tile kept from an older tree head) must be a
 *       prefix of it.</li>
 * </ol>
 * Tiles beyond the tree, or whose parent is not stored, cannot be checked and are said so.
 */
public final class TileAudit {

    /** What the audit found about a tile. */
    public enum Verdict {
        /** Proven to be what the signed tree implies. */
        OK,
        /** Differs from what the signed tree implies. */
        CORRUPT,
        /** Cannot be checked from what is stored (its parent or the wider copy is missing). */
        UNVERIFIABLE,
        /** Lies beyond the tree head, so nothing proves it. */
        BEYOND_TREE
    }

    /** One tile's verdict, with the reason for anything but OK. */
    public record Result(Tile tile, Verdict verdict, String reason) {}

    private record Position(int l, long n) {
        static Position of(Tile t) {
            return new Position(t.l(), t.n());
        }
    }

    private TileAudit() {}

    /**
     * Audits {@code stored} (tile -> its stored bytes) against {@code tree}.
     *
     * @return one result per stored tile, in the order given
     */
    public static List<Result> audit(Tree tree, Map<Tile, byte[]> stored) {
        Map<Tile, Result> out = new LinkedHashMap<>();
        stored.keySet().forEach(t -> out.put(t, null));
        Map<Position, byte[]> authentic = new HashMap<>();
        long n = tree.n();
        int h = 0;
        for (Map.Entry<Tile, byte[]> e : stored.entrySet()) {
            Tile t = e.getKey();
            h = t.h();
            if (t.l() < 0) {
                out.put(t, new Result(t, Verdict.UNVERIFIABLE, "data tiles are not audited"));
            } else if (e.getValue().length != t.w() * Hash.SIZE) {
                out.put(
                        t,
                        new Result(
                                t,
                                Verdict.CORRUPT,
                                "holds " + e.getValue().length + " bytes, not " + t.w() * Hash.SIZE));
            } else if ((t.n() << t.h()) + t.w() > (n >> (t.l() * t.h()))) {
                out.put(t, new Result(t, Verdict.BEYOND_TREE, "lies beyond tree#" + n));
            }
        }
        if (n == 0 || h == 0) {
            finish(out, stored);
            return List.copyOf(out.values());
        }
        authenticateRoot(tree, h, stored, out, authentic);

        // Parents before children: higher levels first; at one position the widest copy first.
        List<Tile> rest = new ArrayList<>(stored.keySet());
        rest.sort(Comparator.comparingInt(Tile::l)
                .reversed()
                .thenComparingLong(Tile::n)
                .thenComparing(Comparator.comparingInt(Tile::w).reversed()));
        for (Tile t : rest) {
            if (out.get(t) != null) {
                continue;
            }
            byte[] data = stored.get(t);
            byte[] known = authentic.get(Position.of(t));
            if (known != null && known.length >= data.length) {
                boolean same = Arrays.equals(data, 0, data.length, known, 0, data.length);
                out.put(
                        t,
                        same
                                ? new Result(t, Verdict.OK, null)
                                : new Result(
                                        t, Verdict.CORRUPT, "differs from the authenticated copy of the same tile"));
                continue;
            }
            if (!t.isFull()) {
                out.put(
                        t,
                        new Result(
                                t,
                                Verdict.UNVERIFIABLE,
                                "a partial tile of an older tree head whose full tile is not stored"));
                continue;
            }
            Tile parent = TileHashReader.tileParent(t, 1, n);
            byte[] pdata = parent == null ? null : authentic.get(Position.of(parent));
            long index = parent == null ? -1 : Tlog.storedHashIndex(parent.l() * parent.h(), t.n());
            Hash expected;
            try {
                expected = pdata == null
                        ? null
                        : Tile.hashFromTile(
                                new Tile(h, parent.l(), parent.n(), pdata.length / Hash.SIZE), pdata, index);
            } catch (TlogException e) {
                expected = null;
            }
            if (expected == null) {
                out.put(
                        t,
                        new Result(
                                t,
                                Verdict.UNVERIFIABLE,
                                "its parent tile is not stored or could not be authenticated"));
            } else if (expected.equals(Tile.tileHash(data, 0, data.length))) {
                authentic.put(Position.of(t), data);
                out.put(t, new Result(t, Verdict.OK, null));
            } else {
                out.put(
                        t,
                        new Result(
                                t,
                                Verdict.CORRUPT,
                                "does not hash to what its parent tile " + parent.path() + " records"));
            }
        }
        finish(out, stored);
        return List.copyOf(out.values());
    }

    /** Step 1: the stx tiles against the root hash; on success they become authentic, else they are suspect. */
    private static void authenticateRoot(
            Tree tree, int h, Map<Tile, byte[]> stored, Map<Tile, Result> out, Map<Position, byte[]> authentic) {
        Tlog.LongList stxList = new Tlog.LongList();
        Tlog.subTreeIndex(0, tree.n(), stxList);
        long[] stx = stxList.toArray();
        Tile[] at = new Tile[stx.length];
        Map<Tile, List<Tile>> candidates = new LinkedHashMap<>();
        for (int i = 0; i < stx.length; i++) {
            at[i] = TileHashReader.tileParent(Tile.tileForIndex(h, stx[i]), 0, tree.n());
            Tile need = at[i];
            if (candidates.containsKey(need)) {
                continue;
            }
            List<Tile> c = new ArrayList<>();
            for (Tile t : stored.keySet()) {
                if (t.l() == need.l() && t.n() == need.n() && t.w() >= need.w() && out.get(t) == null) {
                    c.add(t);
                }
            }
            // The copy of exactly the tree's width first: the one the client stored for this head.
            c.sort(Comparator.comparingInt(Tile::w));
            if (c.isEmpty()) {
                return; // cannot authenticate anything from the root; the rest is unverifiable
            }
            candidates.put(need, c);
        }
        Map<Tile, Tile> chosen = new HashMap<>();
        candidates.forEach((need, c) -> chosen.put(need, c.get(0)));
        if (!rootMatches(tree, h, stx, at, chosen, stored)) {
            // A damaged copy may sit beside a good one (a narrower or wider copy of the same tile): try each.
            boolean found = false;
            for (Map.Entry<Tile, List<Tile>> e : candidates.entrySet()) {
                for (Tile alt : e.getValue().subList(1, e.getValue().size())) {
                    Tile was = chosen.put(e.getKey(), alt);
                    if (rootMatches(tree, h, stx, at, chosen, stored)) {
                        found = true;
                        break;
                    }
                    chosen.put(e.getKey(), was);
                }
                if (found) {
                    break;
                }
            }
            if (!found) {
                // An edge tile that records exactly the hash of a stored full child is corroborated by it: blame the
                // others.
                List<Tile> blamed = new ArrayList<>();
                for (Tile t : chosen.values()) {
                    if (!corroborated(t, stored)) {
                        blamed.add(t);
                    }
                }
                if (blamed.isEmpty()) {
                    blamed.addAll(chosen.values());
                }
                for (Tile t : blamed) {
                    out.put(
                            t,
                            new Result(
                                    t,
                                    Verdict.CORRUPT,
                                    "the tiles at the tree's edge do not hash to the signed tree head"
                                            + (blamed.size() > 1
                                                    ? " (one of " + blamed.size() + " tiles is damaged)"
                                                    : "")));
                }
                return;
            }
        }
        chosen.forEach(
                (need, t) -> authentic.put(Position.of(need), Arrays.copyOf(stored.get(t), need.w() * Hash.SIZE)));
    }

    /** True when some stored full tile one level down hashes to what {@code t} records for it. */
    private static boolean corroborated(Tile t, Map<Tile, byte[]> stored) {
        if (t.l() == 0) {
            return false;
        }
        byte[] data = stored.get(t);
        for (Map.Entry<Tile, byte[]> e : stored.entrySet()) {
            Tile c = e.getKey();
            if (c.l() == t.l() - 1
                    && c.isFull()
                    && (c.n() >> t.h()) == t.n()
                    && e.getValue().length == c.w() * Hash.SIZE) {
                try {
                    Hash recorded = Tile.hashFromTile(t, data, Tlog.storedHashIndex(t.l() * t.h(), c.n()));
                    if (recorded.equals(Tile.tileHash(e.getValue(), 0, e.getValue().length))) {
                        return true;
                    }
                } catch (TlogException ex) {
                    // not recorded in this copy
                }
            }
        }
        return false;
    }

    private static boolean rootMatches(
            Tree tree, int h, long[] stx, Tile[] at, Map<Tile, Tile> chosen, Map<Tile, byte[]> stored) {
        try {
            Hash th = null;
            for (int i = stx.length - 1; i >= 0; i--) {
                byte[] data = stored.get(chosen.get(at[i]));
                Hash sh = Tile.hashFromTile(at[i], data, stx[i]);
                th = th == null ? sh : Tlog.nodeHash(sh, th);
            }
            return tree.hash().equals(th);
        } catch (TlogException e) {
            return false;
        }
    }

    private static void finish(Map<Tile, Result> out, Map<Tile, byte[]> stored) {
        for (Tile t : stored.keySet()) {
            if (out.get(t) == null) {
                out.put(t, new Result(t, Verdict.UNVERIFIABLE, "no authenticated tile leads to it"));
            }
        }
    }
}
