package dev.granary.server.http;

/** The one place that decides Cache-Control for every kind of answer. */
public final class CachePolicy {
    /** Committed versions never change: cache for a year. */
    public static final String IMMUTABLE = "public, max-age=31536000, immutable";
    /** list, @latest and queries change when a version is tagged upstream. */
    public static final String SHORT = "public, max-age=60";
    /** Errors, health and metrics are never cached. */
    public static final String NO_STORE = "no-store";

    private CachePolicy() {
    }

    public static String forAnswer(boolean immutable) {
        return immutable ? IMMUTABLE : SHORT;
    }
}
