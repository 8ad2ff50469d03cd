package dev.granary.core.fetch;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Runs at most one computation per key at a time; concurrent callers for the same key wait for and
 * share the one result.
 *
 * <p>The computation runs on its own executor, not on the caller's thread, so a caller that gives up
 * (a client that disconnects, a wait that times out) never cancels the work for the others: the
 * fetch completes and is committed for whoever asks next. Also used by the release archive mirror.
 */
public final class SingleFlight<K, V> {
    private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();
    private final Executor executor;
    private final Runnable onJoin;

    /** @param onJoin called when a caller joins a run in progress (a metric) */
    public SingleFlight(Executor executor, Runnable onJoin) {
        this.executor = executor;
        this.onJoin = onJoin;
    }

    /**
     * Runs {@code work} for {@code key}, or joins the run already in progress, and waits up to {@code wait}.
     *
     * @throws dev.granary.core.ProxyException the work's failure (a fresh copy per caller), or
     *     UPSTREAM_TIMEOUT when the wait ends first (the work goes on)
     */
    public V run(K key, Supplier<V> work, Duration wait) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
        if (running == null) {
            running = mine;
            executor.execute(() -> {
                // Leave the map before completing: a caller woken by the result must start a new run, not rejoin this
                // one.
                V value;
                try {
                    value = work.get();
                } catch (Throwable t) {
                    inFlight.remove(key, mine);
                    mine.completeExceptionally(t);
                    return;
                }
                inFlight.remove(key, mine);
                mine.complete(value);
            });
        } else {
            onJoin.run();
        }
        return Waits.await(running, wait, key);
    }
}
