package dev.granary.core.upstream;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/** An upstream whose every request is timed by artifact kind and result ({@code granary_upstream_fetch_seconds}). */
public final class MeteredUpstream implements Upstream {
    private final Upstream delegate;
    private final MeterRegistry registry;

    public MeteredUpstream(Upstream delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        return timed(path, () -> delegate.fetch(path, maxBytes));
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        return timed(path, () -> delegate.download(path, target, maxBytes));
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    private <T> T timed(String path, Supplier<T> call) {
        return timed(registry, StorageLayout.label(path), call);
    }

    /**
     * Runs an upstream request of {@code kind} and records it under {@link Meters#UPSTREAM_FETCH} by
     * its result; also for upstream requests that do not go through an {@link Upstream} (release archives).
     */
    public static <T> T timed(MeterRegistry registry, String kind, Supplier<T> call) {
        long start = System.nanoTime();
        String result = "ok";
        try {
            return call.get();
        } catch (ProxyException e) {
            result = switch (e.kind()) {
                case NOT_FOUND -> "not_found";
                case GONE -> "gone";
                case UPSTREAM_TIMEOUT -> "timeout";
                case STORAGE_UNAVAILABLE -> "storage";
                default -> "error";
            };
            throw e;
        } finally {
            Timer.builder(Meters.UPSTREAM_FETCH)
                    .description("Requests to the upstream chain by artifact kind and result")
                    .tag("kind", kind)
                    .tag("result", result)
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
