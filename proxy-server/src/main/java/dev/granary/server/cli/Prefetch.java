package dev.granary.server.cli;

import dev.granary.server.Metrics;
import dev.granary.server.Services;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;

/** What the prefetch commands share: the services serve builds, assembled without listening. */
final class Prefetch {
    private Prefetch() {}

    /**
     * Storage, upstreams, checksum databases and the services over them, as {@code serve} assembles
     * them, without binding a port. Null (after printing why) when the configuration is unusable.
     */
    static Services services(GranaryConfig config, Map<String, String> env, PrintWriter err) {
        try {
            return new Services(config, env, new Metrics());
        } catch (IllegalArgumentException | IOException e) {
            Cli.fail(err, Cli.USAGE, e.getMessage());
            return null;
        }
    }

    /** Closes what {@link #services} opened, its metrics too. */
    static void close(Services services) {
        services.close();
        services.metrics().close();
    }
}
