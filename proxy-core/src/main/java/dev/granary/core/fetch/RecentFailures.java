package dev.granary.core.fetch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.granary.core.ProxyException;
import dev.granary.core.upstream.UpstreamBusyException;
import java.time.Duration;

/**
 * Answers remembered briefly so a burst of requests does not reach the upstream again: not-found
 * for the not-found TTL (the go command probes {@code a/b/c}, {@code a/b} and {@code a} in parallel);
 * upstream failures and refusals for the failure TTL, or as long as the upstream's Retry-After asked
 * (bounded). Local storage failures are never remembered. Also used by the release archive mirror.
 */
public final class RecentFailures<K> {
    /** The longest an upstream's Retry-After keeps a failure remembered. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);

    private final Cache<K, ProxyException> failures;

    public RecentFailures(Duration notFoundTtl, Duration failureTtl) {
        this.failures = Caffeine.newBuilder().maximumSize(100_000).expireAfter(new Expiry<K, ProxyException>() {
            @Override
            public long expireAfterCreate(K key, ProxyException e, long now) {
                if (Failures.isNotFound(e)) {
                    return notFoundTtl.toNanos();
                }
                Duration ttl = failureTtl;
                if (e instanceof UpstreamBusyException busy && busy.retryAfter().isPresent()) {
                    Duration asked = busy.retryAfter().get();
                    ttl = asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked.compareTo(ttl) > 0 ? asked : ttl;
                }
                return ttl.toNanos();
            }

            @Override
            public long expireAfterUpdate(K key, ProxyException e, long now, long current) {
                return expireAfterCreate(key, e, now);
            }

            @Override
            public long expireAfterRead(K key, ProxyException e, long now, long current) {
                return current;
            }
        }).build();
    }

    /** Remembers {@code e} for {@code key} when it is worth remembering. */
    public void remember(K key, ProxyException e) {
        if (Failures.isNotFound(e) || Failures.isRemembered(e)) {
            failures.put(key, e);
        }
    }

    /** Throws the remembered answer for {@code key}, if any. */
    public void check(K key) {
        ProxyException recent = failures.getIfPresent(key);
        if (recent != null) {
            throw Waits.rethrown(recent);
        }
    }
}
