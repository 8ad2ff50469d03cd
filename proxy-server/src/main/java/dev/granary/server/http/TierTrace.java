package dev.granary.server.http;

import dev.granary.storage.BlobKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where the answer being computed on this thread came from, for the access log: the storage tiers
 * report every lookup ({@link #lookup}, from the metrics observer) on the thread that asked, and the
 * route names the keys that matter ({@link #decide}). The tier is that of the first tier that held
 * the artifact (hot, disk, s3), or {@code upstream} when the version was not stored when the request
 * came (it was fetched for it), or {@code -} when no stored artifact was served.
 */
public final class TierTrace {
    private static final ThreadLocal<TierTrace> CURRENT = new ThreadLocal<>();
    /** The tier of an answer that no stored artifact served. */
    static final String NONE = "-";

    private final Map<BlobKey, String> hits = new HashMap<>();
    private final Set<BlobKey> looked = new HashSet<>();
    private String tier = NONE;

    private TierTrace() {}

    /** Starts tracing the answer computed on this thread. */
    static TierTrace open() {
        TierTrace t = new TierTrace();
        CURRENT.set(t);
        return t;
    }

    /** Stops tracing; returns the tier decided, or {@code -}. */
    String close() {
        CURRENT.remove();
        return tier;
    }

    /** A storage tier looked {@code key} up on this thread; ignored when nothing is traced. */
    public static void lookup(String tier, BlobKey key, boolean hit) {
        TierTrace t = CURRENT.get();
        if (t != null) {
            t.looked.add(key);
            if (hit) {
                t.hits.putIfAbsent(key, tier);
            }
        }
    }

    /**
     * Decides the tier of an answer that served {@code artifact} of the version whose commit marker is
     * {@code info}: upstream when the marker was looked up and found nowhere (the version was fetched
     * for this request), else the tier that held the artifact.
     */
    static void decide(BlobKey info, BlobKey artifact) {
        TierTrace t = CURRENT.get();
        if (t == null) {
            return;
        }
        if (t.looked.contains(info) && !t.hits.containsKey(info)) {
            t.tier = "upstream";
        } else {
            t.tier = t.hits.getOrDefault(artifact, NONE);
        }
    }

    /** Names the tier outright (a redirect to S3). */
    static void decide(String tier) {
        TierTrace t = CURRENT.get();
        if (t != null) {
            t.tier = tier;
        }
    }
}
