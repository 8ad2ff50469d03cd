package dev.granary.server.cli;

import dev.granary.server.config.GranaryConfig;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A subcommand that works on what {@code serve} is configured with: it takes every configuration flag
 * ({@link ConfigOptions}), and a problem with its own options or a configuration that does not load is
 * a usage error (exit 2) before anything else happens.
 */
public abstract class ConfiguredCommand implements Callable<Integer>, ConfigOptions.Configured {

    @Spec
    CommandSpec spec;

    @Override
    public final CommandSpec spec() {
        return spec;
    }

    /** A problem with this command's own options, found before the configuration is read; null when there is none. */
    protected String usageProblem() {
        return null;
    }

    /** The command itself, with the loaded configuration; returns the exit status. */
    protected abstract int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err)
            throws Exception;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String problem = usageProblem();
        if (problem != null) {
            return Cli.fail(err, Cli.USAGE, problem);
        }
        Map<String, String> env = System.getenv();
        GranaryConfig config;
        try {
            config = ConfigOptions.load(spec, env);
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        }
        return run(config, env, out, err);
    }
}
