package dev.granary.server.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request rate per key (client address, token name): {@code rate} requests per second on
 * average, up to {@code burst} more at once. The generic cell rate algorithm, i.e. a token bucket
 * kept as one number per key, its theoretical arrival time: a request at time {@code now} moves it
 * to {@code max(tat, now) + 1/rate}, and is refused when that lies more than {@code burst/rate}
 * ahead of {@code now} (the refused request does not move it). Lock-free; keys not seen for ten
 * minutes are forgotten (a full bucket again), and the table is bounded.
 */
final class RateLimiter<K> {
    private final long intervalNanos;
    private final long toleranceNanos;
    private final Cache<K, AtomicLong> cells = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(10))
            .maximumSize(1_000_000)
            .build();

    /**
     * @param rate  requests per second, at least 1
     * @param burst requests allowed at once above the rate
     */
    RateLimiter(int rate, int burst) {
        if (rate < 1 || burst < 0) {
            throw new IllegalArgumentException(
                    "a rate limit needs a rate of at least 1 per second and a non-negative burst");
        }
        this.intervalNanos = 1_000_000_000L / rate;
        this.toleranceNanos = intervalNanos * Math.max(1, burst);
    }

    /** @return 0 when the request may go on, else how many nanoseconds until it would */
    long acquire(K key) {
        AtomicLong tat = cells.get(key, k -> new AtomicLong(Long.MIN_VALUE));
        long now = System.nanoTime();
        while (true) {
            long t = tat.get();
            long start = t == Long.MIN_VALUE || t - now < 0 ? now : t;
            long next = start + intervalNanos;
            long ahead = next - now;
            if (ahead > toleranceNanos) {
                return ahead - toleranceNanos;
            }
            if (tat.compareAndSet(t, next)) {
                return 0;
            }
        }
    }
}
