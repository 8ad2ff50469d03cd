package dev.granary.server;

import dev.granary.server.cli.ConfigOptions;
import dev.granary.server.cli.DlCommand;
import dev.granary.server.cli.ExportCommand;
import dev.granary.server.cli.FsckCommand;
import dev.granary.server.cli.GcCommand;
import dev.granary.server.cli.GocacheCommand;
import dev.granary.server.cli.ImportCommand;
import dev.granary.server.cli.KeysCommand;
import dev.granary.server.cli.SignatureCommand;
import dev.granary.server.cli.TokenCommand;
import dev.granary.server.cli.ToolchainsCommand;
import dev.granary.server.cli.VerifyCommand;
import dev.granary.server.config.ConfigKey;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The command line: {@code granary [serve] [options]}. */
@Command(
        name = "granary",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A caching, verifying Go module proxy.",
        subcommands = {
            Main.Serve.class,
            Main.ConfigKeys.class,
            SignatureCommand.class,
            KeysCommand.class,
            GcCommand.class,
            FsckCommand.class,
            DlCommand.class,
            ToolchainsCommand.class,
            TokenCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            VerifyCommand.class,
            GocacheCommand.class
        })
public final class Main implements Callable<Integer> {

    public static void main(String[] args) {
        // No arguments at all: serve on the embedded defaults.
        String[] effective = args.length == 0 ? new String[] {"serve"} : args;
        int code = commandLine().execute(effective);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** The command line with every subcommand and, on those that read the configuration, one flag per key. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        ConfigOptions.install(cl);
        return cl;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** {@code granary serve}: runs the proxy until SIGTERM/SIGINT. */
    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description =
                    "Run the proxy. Every option also reads GRANARY_* environment variables and the YAML config file.")
    static final class Serve implements Callable<Integer>, ConfigOptions.Configured {
        @Spec
        CommandSpec spec;

        @Override
        public CommandSpec spec() {
            return spec;
        }

        @Override
        public Integer call() throws Exception {
            Map<String, String> env = System.getenv();
            GranaryServer server;
            try {
                server = new GranaryServer(ConfigOptions.load(spec, env), env);
            } catch (IllegalArgumentException e) {
                System.err.println("granary: " + e.getMessage());
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                server.close();
                                GranaryServer.flushAccessLog();
                                stopped.countDown();
                            },
                            "granary-shutdown"));
            server.start();
            stopped.await();
            return 0;
        }
    }

    /** {@code granary config-keys}: prints every key with its environment variable and default. */
    @Command(name = "config-keys", description = "List every configuration key, its environment variable and default.")
    static final class ConfigKeys implements Callable<Integer> {
        @Override
        public Integer call() {
            for (ConfigKey k : ConfigKey.values()) {
                System.out.printf(
                        "%-24s %-32s %-26s %s%n",
                        k.path(), k.env(), k.defaultValue() == null ? "-" : k.defaultValue(), k.description());
            }
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"granary " + (v == null ? "dev" : v)};
        }
    }
}
