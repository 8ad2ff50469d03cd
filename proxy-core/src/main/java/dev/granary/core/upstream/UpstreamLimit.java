package dev.granary.core.upstream;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A bound on the upstream requests in progress at once, shared by every upstream it
 * {@linkplain #wrap wraps} (the module upstream chain and the checksum databases): a burst of cold
 * requests, or many large zips, cannot open more connections to the upstream than the operator
 * allows, nor use up threads, sockets and temporary disk without end. Requests beyond the bound wait
 * in arrival order; one that waited the queue timeout fails with {@code BUSY} (503 with the reason),
 * counted as {@code granary_limits_refusals_total{limit="upstream-concurrency"}}.
 *
 * <p>A request holds its slot only while it talks to the upstream and never waits for another slot
 * meanwhile (the pipeline's parallel .mod download and checksum lookup take slots of their own once
 * the .info request has returned its slot), so slots cannot deadlock.
 */
public final class UpstreamLimit {
    private final int max;
    private final Duration queueTimeout;
    private final Semaphore slots;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Counter refused;
    private final String wait;

    /**
     * @param max          upstream requests in progress at once
     * @param queueTimeout how long a request waits for a slot before it fails
     */
    public UpstreamLimit(int max, Duration queueTimeout, MeterRegistry registry) {
        if (max < 1) {
            throw new IllegalArgumentException("the upstream request bound must be at least 1");
        }
        this.max = max;
        this.queueTimeout = queueTimeout;
        this.wait =
                queueTimeout.toMillis() % 1000 == 0 ? queueTimeout.toSeconds() + " s" : queueTimeout.toMillis() + " ms";
        // Fair: the longest waiter goes first, so a steady stream of requests cannot starve one.
        this.slots = new Semaphore(max, true);
        Gauge.builder(Meters.UPSTREAM_IN_FLIGHT, () -> max - slots.availablePermits())
                .description("Upstream requests in progress now")
                .register(registry);
        Gauge.builder(Meters.UPSTREAM_WAITING, waiting::get)
                .description("Upstream requests waiting for a slot (fetch.max-concurrent)")
                .register(registry);
        this.refused = Counter.builder(Meters.LIMIT_REFUSALS)
                .description("Requests refused at a limit")
                .tag("limit", "upstream-concurrency")
                .register(registry);
    }

    /** An upstream whose requests take a slot of this bound while they run. */
    public Upstream wrap(Upstream delegate) {
        return new Upstream() {
            @Override
            public byte[] fetch(String path, long maxBytes) {
                return run(() -> delegate.fetch(path, maxBytes));
            }

            @Override
            public long download(String path, Path target, long maxBytes) {
                return run(() -> delegate.download(path, target, maxBytes));
            }

            @Override
            public String describe() {
                return delegate.describe();
            }
        };
    }

    /** Upstream requests in progress now. */
    public int inFlight() {
        return max - slots.availablePermits();
    }

    private <T> T run(Supplier<T> call) {
        acquire();
        try {
            return call.get();
        } finally {
            slots.release();
        }
    }

    private void acquire() {
        if (slots.tryAcquire()) {
            return;
        }
        waiting.incrementAndGet();
        try {
            if (!slots.tryAcquire(queueTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                refused.increment();
                throw new ProxyException(
                        Kind.BUSY,
                        "too many upstream fetches: all " + max + " are in progress and none ended within " + wait
                                + "; try again shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyException(Kind.INTERNAL, "interrupted waiting for an upstream slot");
        } finally {
            waiting.decrementAndGet();
        }
    }
}
