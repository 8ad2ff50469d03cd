package dev.granary.server.cli;

import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command-line face of {@link ConfigKey}: one flag per key ({@link ConfigKey#flag()}), plus
 * {@code --config FILE}, added to every command that reads the configuration (serve, export, import,
 * ...), so flags are never listed twice and every key can be given on the command line.
 */
public final class ConfigOptions {
    static final String CONFIG = "--config";

    private ConfigOptions() {}

    /** A command whose options include every configuration key. */
    public interface Configured {
        CommandSpec spec();
    }

    /** Adds the configuration flags to every subcommand (recursively) whose object is {@link Configured}. */
    public static void install(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommand() instanceof Configured) {
                addTo(sub.getCommandSpec());
            }
            install(sub);
        }
    }

    static void addTo(CommandSpec spec) {
        for (ConfigKey k : ConfigKey.values()) {
            boolean bool = k.type() == ConfigKey.Type.BOOL;
            String dflt = k.type() == ConfigKey.Type.SECRET
                            || k.defaultValue() == null
                            || k.defaultValue().isEmpty()
                    ? ""
                    : "; default " + k.defaultValue();
            spec.addOption(OptionSpec.builder(k.flag())
                    .paramLabel(
                            k.type() == ConfigKey.Type.TEXT || k.type() == ConfigKey.Type.SECRET
                                    ? "VALUE"
                                    : k.type().name())
                    .type(bool ? Boolean.class : String.class)
                    .arity(bool ? "0..1" : "1")
                    // picocli formats descriptions with String.format: a literal % (as in "5%") must be doubled.
                    .description((k.description() + " (" + k.env() + dflt + ")").replace("%", "%%"))
                    .build());
        }
        spec.addOption(OptionSpec.builder(CONFIG)
                .paramLabel("FILE")
                .type(Path.class)
                .description("YAML configuration file (GRANARY_CONFIG)")
                .build());
    }

    /**
     * Resolves the configuration: flags given to {@code spec}, then the environment, then the YAML file
     * ({@code --config} or {@code GRANARY_CONFIG}), then the defaults.
     *
     * @throws IllegalArgumentException for an unreadable file, an unknown key in it, or a bad value
     */
    public static GranaryConfig load(CommandSpec spec, Map<String, String> env) {
        Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        for (ConfigKey k : ConfigKey.values()) {
            Object v = spec.findOption(k.flag()).getValue();
            if (v != null) {
                flags.put(k, v.toString());
            }
        }
        Path file = spec.findOption(CONFIG).getValue();
        Optional<Path> yaml = Optional.ofNullable(file)
                .or(() -> Optional.ofNullable(env.get("GRANARY_CONFIG"))
                        .filter(s -> !s.isBlank())
                        .map(Path::of));
        return GranaryConfig.load(flags, env, yaml);
    }
}
