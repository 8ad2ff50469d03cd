package dev.granary.server.cli;

import dev.granary.server.GranaryServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/** What the prefetch commands share: the services serve builds, assembled without listening. */
final class Prefetch {
    private Prefetch() {
    }

    /**
     * Storage, upstreams, checksum databases and the services over them, as {@code serve} assembles
     * them, without binding a port. Null (after printing why) when the configuration is unusable.
     */
    static GranaryServer services(CommandSpec spec, Map<String, String> env, PrintWriter err) {
        try {
            return new GranaryServer(ConfigOptions.load(spec, env), env);
        } catch (IllegalArgumentException | IOException e) {
            Cli.fail(err, Cli.USAGE, e.getMessage());
            return null;
        }
    }
}
