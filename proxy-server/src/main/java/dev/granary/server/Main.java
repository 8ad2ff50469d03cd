package dev.granary.server;

import dev.granary.server.cli.KeysCommand;
import dev.granary.server.cli.SignatureCommand;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code granary [serve] [options]}. */
@Command(name = "granary", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A caching, verifying Go module proxy.",
        subcommands = {Main.Serve.class, Main.ConfigKeys.class,
            SignatureCommand.class, KeysCommand.class})
public final class Main implements Callable<Integer> {

    public static void main(String[] args) {
        // No arguments at all: serve on the embedded defaults.
        String[] effective = args.length == 0 ? new String[] {"serve"} : args;
        int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(effective);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** {@code granary serve}: runs the proxy until SIGTERM/SIGINT. */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Run the proxy. Every option also reads GRANARY_* environment variables and the YAML config file.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--listen", paramLabel = "HOST:PORT", description = "address to listen on (GRANARY_LISTEN; default 0.0.0.0:3000)")
        String listen;

        @Option(names = "--storage", paramLabel = "DIR", description = "disk tier root (GRANARY_STORAGE; default <user cache dir>/granary)")
        String storage;

        @Option(names = "--upstream", paramLabel = "LIST", description = "upstreams in GOPROXY syntax, e.g. https://a,https://b|file:///c (GRANARY_UPSTREAM; default https://proxy.golang.org)")
        String upstream;

        @Option(names = "--sumdb", paramLabel = "DBS", description = "checksum databases, GOSUMDB syntax: \"<name>+<hash>+<key> [<url>]\", comma-separated; 'off' disables (GRANARY_SUMDB; default sum.golang.org)")
        String sumdb;

        @Option(names = "--nosumdb", paramLabel = "PATTERNS", description = "private module patterns, GONOSUMDB syntax; pinned instead of looked up (GRANARY_NOSUMDB)")
        String nosumdb;

        @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3-compatible endpoint (GRANARY_S3_ENDPOINT; default AWS)")
        String s3Endpoint;

        @Option(names = "--s3-bucket", paramLabel = "NAME", description = "S3 bucket: makes S3 the shared durable tier (GRANARY_S3_BUCKET)")
        String s3Bucket;

        @Option(names = "--s3-prefix", paramLabel = "P", description = "key prefix in the bucket (GRANARY_S3_PREFIX)")
        String s3Prefix;

        @Option(names = "--s3-region", paramLabel = "R", description = "S3 region (GRANARY_S3_REGION; default us-east-1)")
        String s3Region;

        @Option(names = "--s3-path-style", description = "path-style S3 addressing (GRANARY_S3_PATH_STYLE)")
        Boolean s3PathStyle;

        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (GRANARY_CONFIG)")
        Path config;

        @Override
        public Integer call() throws Exception {
            Map<String, String> env = System.getenv();
            Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
            put(flags, ConfigKey.LISTEN, listen);
            put(flags, ConfigKey.STORAGE, storage);
            put(flags, ConfigKey.UPSTREAM, upstream);
            put(flags, ConfigKey.SUMDB, sumdb);
            put(flags, ConfigKey.NOSUMDB, nosumdb);
            put(flags, ConfigKey.S3_ENDPOINT, s3Endpoint);
            put(flags, ConfigKey.S3_BUCKET, s3Bucket);
            put(flags, ConfigKey.S3_PREFIX, s3Prefix);
            put(flags, ConfigKey.S3_REGION, s3Region);
            put(flags, ConfigKey.S3_PATH_STYLE, s3PathStyle == null ? null : s3PathStyle.toString());
            Optional<Path> file = Optional.ofNullable(config)
                    .or(() -> Optional.ofNullable(env.get("GRANARY_CONFIG")).filter(s -> !s.isBlank()).map(Path::of));
            GranaryConfig cfg;
            GranaryServer server;
            try {
                cfg = GranaryConfig.load(flags, env, file);
                server = new GranaryServer(cfg, env);
            } catch (IllegalArgumentException e) {
                System.err.println("granary: " + e.getMessage());
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "granary-shutdown"));
            server.start();
            stopped.await();
            return 0;
        }

        private static void put(Map<ConfigKey, String> m, ConfigKey k, String v) {
            if (v != null) {
                m.put(k, v);
            }
        }
    }

    /** {@code granary config-keys}: prints every key with its environment variable and default. */
    @Command(name = "config-keys", description = "List every configuration key, its environment variable and default.")
    static final class ConfigKeys implements Callable<Integer> {
        @Override
        public Integer call() {
            for (ConfigKey k : ConfigKey.values()) {
                System.out.printf("%-24s %-32s %-26s %s%n", k.path(), k.env(),
                        k.defaultValue() == null ? "-" : k.defaultValue(), k.description());
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
