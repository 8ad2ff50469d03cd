package dev.granary.core.fetch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.granary.core.ProxyException;
import dev.granary.core.upstream.UpstreamBusyException;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Answers remembered briefly so a burst of requests does not reach the upstream again: not-found
 * for the not-found TTL (the go command probes {@code a/b/c}, {@code a/b} and {@code a} in parallel);
 * upstream failures and refusals for the failure TTL, or as long as the upstream's Retry-After asked
 * (bounded). Local storage failures are never remembered. Also used by the release archive mirror.
 *
 * <p>What is remembered is a value {@code V} that carries its failure: the exception itself, or a
 * whole failed version fetch whose stages that did pass (an {@code .info} already answered) keep
 * answering as they did. Values are weighed (in KiB they hold, at least 1) and the total is bounded.
 *
 * @param <K> what failed (a module version, a request key)
 * @param <V> what is remembered of the failure
 */
public final class RecentFailures<K, V> {
    /** The longest an upstream's Retry-After keeps a failure remembered. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);
    /** The most remembered, in weight units: 100,000 failures, or 100 MB of answers kept with them. */
    private static final long MAX_WEIGHT = 100_000;

    private final Cache<K, V> failures;
    private final Function<V, ProxyException> failureOf;

    /**
     * @param failureOf the failure a remembered value stands for
     * @param kibHeld   how many KiB a remembered value holds in memory
     */
    public RecentFailures(
            Duration notFoundTtl,
            Duration failureTtl,
            Function<V, ProxyException> failureOf,
            ToIntFunction<V> kibHeld) {
        this.failureOf = failureOf;
        this.failures = Caffeine.newBuilder()
                .maximumWeight(MAX_WEIGHT)
                .weigher((K key, V value) -> Math.max(1, kibHeld.applyAsInt(value)))
                .expireAfter(new Expiry<K, V>() {
                    @Override
                    public long expireAfterCreate(K key, V value, long now) {
                        ProxyException e = failureOf.apply(value);
                        if (Failures.isNotFound(e)) {
                            return notFoundTtl.toNanos();
                        }
                        Duration ttl = failureTtl;
                        if (e instanceof UpstreamBusyException busy
                                && busy.retryAfter().isPresent()) {
                            Duration asked = busy.retryAfter().get();
                            ttl = asked.compareTo(MAX_RETRY_AFTER) > 0
                                    ? MAX_RETRY_AFTER
                                    : asked.compareTo(ttl) > 0 ? asked : ttl;
                        }
                        return ttl.toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(K key, V value, long now, long current) {
                        return expireAfterCreate(key, value, now);
                    }

                    @Override
                    public long expireAfterRead(K key, V value, long now, long current) {
                        return current;
                    }
                })
                .build();
    }

    /** Failures remembered as the exceptions themselves. */
    public static <K> RecentFailures<K, ProxyException> ofExceptions(Duration notFoundTtl, Duration failureTtl) {
        return new RecentFailures<>(notFoundTtl, failureTtl, e -> e, e -> 1);
    }

    /** Remembers {@code value} for {@code key} when its failure is worth remembering. */
    public void remember(K key, V value) {
        ProxyException e = failureOf.apply(value);
        if (Failures.isNotFound(e) || Failures.isRemembered(e)) {
            failures.put(key, value);
        }
    }

    /** What is remembered of a recent failure of {@code key}, or null. */
    public V recent(K key) {
        return failures.getIfPresent(key);
    }

    /** Throws the remembered failure of {@code key}, if any. */
    public void check(K key) {
        V recent = failures.getIfPresent(key);
        if (recent != null) {
            throw Waits.rethrown(failureOf.apply(recent));
        }
    }
}
