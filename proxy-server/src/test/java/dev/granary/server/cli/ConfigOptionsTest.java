package dev.granary.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.ConfigSamples;
import dev.granary.server.config.GranaryConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

class ConfigOptionsTest {

    @Command(name = "probe")
    static final class Probe implements Callable<Integer>, ConfigOptions.Configured {
        @Spec
        CommandSpec spec;

        GranaryConfig loaded;

        @Override
        public CommandSpec spec() {
            return spec;
        }

        @Override
        public Integer call() {
            loaded = ConfigOptions.load(spec, Map.of("GRANARY_UPSTREAM", "https://from-env.example"));
            return 0;
        }
    }

    @Command(name = "root", subcommands = Probe.class)
    static final class Root implements Callable<Integer> {
        @Override
        public Integer call() {
            return 0;
        }
    }

    private static Probe run(String... args) {
        CommandLine cl = new CommandLine(new Root());
        ConfigOptions.install(cl);
        List<String> all = new ArrayList<>(List.of("probe"));
        all.addAll(List.of(args));
        assertThat(cl.execute(all.toArray(String[]::new))).isZero();
        return cl.getSubcommands().get("probe").getCommand();
    }

    @Test
    void everyKeyHasAFlagAndFlagsWinOverTheEnvironment() {
        List<String> args = new ArrayList<>();
        for (ConfigKey k : ConfigKey.values()) {
            args.add(k.flag());
            args.add(ConfigSamples.of(k));
        }
        GranaryConfig c = run(args.toArray(String[]::new)).loaded;
        for (ConfigKey k : ConfigKey.values()) {
            assertThat(c.get(k)).as(k.flag()).isEqualTo(ConfigSamples.of(k));
            assertThat(c.source(k)).as(k.flag()).isEqualTo("flag");
        }
    }

    @Test
    void theFlagsOutsideToolsUseKeepTheirNames() {
        GranaryConfig c = run(
                        "--listen",
                        "127.0.0.1:9",
                        "--storage",
                        "/s",
                        "--upstream",
                        "off",
                        "--sumdb",
                        "off",
                        "--nosumdb",
                        "corp.example",
                        "--s3-endpoint",
                        "http://127.0.0.1:1",
                        "--s3-bucket",
                        "b",
                        "--s3-prefix",
                        "p",
                        "--s3-region",
                        "eu-west-1",
                        "--s3-path-style")
                .loaded;
        assertThat(c.port()).isEqualTo(9);
        assertThat(c.get(ConfigKey.STORAGE)).isEqualTo("/s");
        assertThat(c.get(ConfigKey.UPSTREAM)).isEqualTo("off");
        assertThat(c.get(ConfigKey.NOSUMDB)).isEqualTo("corp.example");
        assertThat(c.get(ConfigKey.S3_BUCKET)).isEqualTo("b");
        assertThat(c.bool(ConfigKey.S3_PATH_STYLE)).isTrue();
    }

    @Test
    void unsetFlagsFallBackToTheEnvironmentThenDefaults() {
        GranaryConfig c = run().loaded;
        assertThat(c.get(ConfigKey.UPSTREAM)).isEqualTo("https://from-env.example");
        assertThat(c.source(ConfigKey.LISTEN)).isEqualTo("default");
    }
}
