package dev.granary.core.testing;

import java.time.Duration;

/** Assertions about what the code under test does in its own time (a reload, a metric, a rewrite after an answer). */
public final class Eventually {
    private Eventually() {}

    /** Retries {@code check} for up to 15 s until it passes; then its last failure is the test's. */
    public static void eventually(Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** A check that may throw. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }
}
