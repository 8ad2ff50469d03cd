package dev.granary.core.fetch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import dev.granary.core.upstream.Upstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers that change over time: {@code @v/list}, {@code @latest} and queries (a branch, a commit,
 * a version prefix, a version not valid for its path). Upstream answers are fresh for the list TTL and
 * coalesced; when the upstream fails they are answered stale, or computed from storage, so a module
 * Granary holds never disappears because the upstream did. Not-found answers are remembered for the
 * not-found TTL (the go command probes {@code a/b/c}, {@code a/b} and {@code a} in parallel), other
 * upstream failures for the failure TTL.
 */
final class MutableAnswers {
    private static final Logger log = LoggerFactory.getLogger(MutableAnswers.class);

    private record Fresh(byte[] bytes, long fetchedAtNanos) {}

    private final Upstream upstream;
    private final ModuleIndex index;
    private final FetchSettings settings;
    private final SingleFlight<String, byte[]> fetches;
    /** Last upstream answers; fresh within the list TTL, the stale fallback after. */
    private final Cache<String, Fresh> answers =
            Caffeine.newBuilder().maximumSize(50_000).build();

    private final RecentFailures<String, ProxyException> recent;
    /** Merged list answers, so a burst of list requests neither lists storage nor merges again; dropped on commit. */
    private final Cache<String, Fresh> lists;

    MutableAnswers(
            Upstream upstream, ModuleIndex index, FetchSettings settings, Executor executor, MeterRegistry registry) {
        this.upstream = upstream;
        this.index = index;
        this.settings = settings;
        Counter joins = Counter.builder(Meters.SINGLEFLIGHT_JOINS)
                .description("Requests that joined a fetch already in progress")
                .register(registry);
        this.fetches = new SingleFlight<>(executor, joins::increment);
        this.recent = RecentFailures.ofExceptions(settings.notFoundTtl(), settings.failureTtl());
        // Freshness is checked exactly (isFresh); expiry only frees what nobody asks for any more.
        this.lists = Caffeine.newBuilder()
                .maximumSize(50_000)
                .expireAfterWrite(settings.listTtl().plusSeconds(1))
                .build();
    }

    /** A version of {@code p} was committed: its merged list is out of date. */
    void committed(ModuleVersion mv) {
        lists.invalidate(mv.path().value());
    }

    /** {@code <module>/@v/list}: tagged versions from upstream and storage, semver-sorted. */
    byte[] list(ModulePath p) {
        Fresh cached = lists.getIfPresent(p.value());
        if (isFresh(cached)) {
            return cached.bytes();
        }
        String key = "list:" + p.value();
        List<String> versions = index.storedVersions(p);
        boolean stored = !versions.isEmpty();
        byte[] upstreamList;
        try {
            upstreamList = fetch(key, p.escaped() + "/@v/list");
        } catch (ProxyException e) {
            Optional<byte[]> stale = stale(key, e);
            if (stale.isPresent()) {
                log.warn("serving stale list of {}: {}", p.value(), e.getMessage());
                upstreamList = stale.get();
            } else if (stored) {
                upstreamList = new byte[0];
            } else {
                throw e;
            }
        }
        for (String line : new String(upstreamList, StandardCharsets.UTF_8).split("\n")) {
            versions.add(line.strip().split("\\s+")[0]);
        }
        byte[] merged = ModuleIndex.listText(versions).getBytes(StandardCharsets.UTF_8);
        lists.put(p.value(), new Fresh(merged, System.nanoTime()));
        return merged;
    }

    /**
     * {@code <module>/@latest}: the upstream's answer, or the version to answer from storage when the
     * upstream cannot say (release > pre-release > newest pseudo-version).
     */
    Latest latest(ModulePath p) {
        String key = "latest:" + p.value();
        try {
            byte[] info = fetch(key, p.escaped() + "/@latest");
            VersionChecks.infoVersion(info, p.escaped() + "/@latest");
            return new Latest(Optional.of(info), Optional.empty());
        } catch (ProxyException e) {
            Optional<byte[]> stale = stale(key, e);
            if (stale.isPresent()) {
                return new Latest(stale, Optional.empty());
            }
            Optional<ModuleVersion> local = latestFromList(p);
            if (local.isEmpty()) {
                throw e;
            }
            return new Latest(Optional.empty(), local);
        }
    }

    /** Either the upstream's {@code @latest} bytes, or a stored version to answer with. */
    record Latest(Optional<byte[]> info, Optional<ModuleVersion> stored) {}

    /** The canonical version a query resolves to upstream ({@code <module>/@v/<query>.info}). */
    ModuleVersion resolve(ModulePath p, String query) {
        String key = "query:" + p.value() + "@" + query;
        byte[] info;
        try {
            info = fetch(key, p.escaped() + "/@v/" + ModuleEscaping.escapeVersion(query) + ".info");
        } catch (ProxyException e) {
            info = stale(key, e).orElseThrow(() -> e);
        }
        String version = VersionChecks.infoVersion(info, p.value() + "@" + query);
        try {
            return ModuleVersion.of(p.value(), version);
        } catch (ProxyException e) {
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED,
                    p.value() + "@" + query + ": upstream resolved to an invalid version " + version);
        }
    }

    private boolean isFresh(Fresh f) {
        return f != null
                && System.nanoTime() - f.fetchedAtNanos() < settings.listTtl().toNanos();
    }

    /** The last upstream answer for {@code key}, when the failure {@code e} allows answering stale. */
    private Optional<byte[]> stale(String key, ProxyException e) {
        Fresh f = answers.getIfPresent(key);
        return e.isNotFound() || f == null ? Optional.empty() : Optional.of(f.bytes());
    }

    /** go.dev/ref/mod#version-queries: release > pre-release > newest pseudo-version. */
    private Optional<ModuleVersion> latestFromList(ModulePath p) {
        List<String> candidates = new ArrayList<>();
        try {
            for (String v : new String(list(p), StandardCharsets.UTF_8).split("\n")) {
                if (!v.isEmpty()) {
                    candidates.add(v);
                }
            }
        } catch (ProxyException e) {
            // The upstream failed and nothing is stored for the module's list: fall back to the stored versions below.
            log.debug("list for latest of {} failed: {}", p.value(), e.getMessage());
        }
        Optional<String> best = pickLatest(candidates);
        if (best.isEmpty()) {
            best = pickLatest(index.storedVersions(p));
        }
        return best.map(v -> ModuleVersion.of(p.value(), v));
    }

    static Optional<String> pickLatest(Collection<String> versions) {
        String release = null;
        String pre = null;
        String pseudo = null;
        for (String v : versions) {
            if (!Semver.isValid(v)) {
                continue;
            }
            if (PseudoVersion.isPseudoVersion(v)) {
                pseudo = max(pseudo, v);
            } else if (Semver.prerelease(v).isEmpty()) {
                release = max(release, v);
            } else {
                pre = max(pre, v);
            }
        }
        return Optional.ofNullable(release != null ? release : pre != null ? pre : pseudo);
    }

    private static String max(String a, String b) {
        return a == null || Semver.compare(b, a) > 0 ? b : a;
    }

    /** Fetches a mutable answer: fresh within the TTL, coalesced, with recent failures remembered. */
    private byte[] fetch(String key, String path) {
        Fresh f = answers.getIfPresent(key);
        if (isFresh(f)) {
            return f.bytes();
        }
        recent.check(key);
        return fetches.run(
                key,
                () -> {
                    try {
                        byte[] bytes = upstream.fetch(path, settings.maxModBytes());
                        answers.put(key, new Fresh(bytes, System.nanoTime()));
                        return bytes;
                    } catch (ProxyException e) {
                        recent.remember(key, e);
                        throw e;
                    }
                },
                settings.fetchWait());
    }
}
