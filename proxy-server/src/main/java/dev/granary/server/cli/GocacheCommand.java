package dev.granary.server.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code granary gocache}: pre-warm bundles of build cache entries. */
@Command(
        name = "gocache",
        mixinStandardHelpOptions = true,
        description =
                "Warm Go build caches for CI: build, publish and restore pre-warm bundles. Tokens for the build caches are client tokens "
                        + "(granary token new, rights cache-write and cache-read).",
        subcommands = {GocacheBuildCommand.class, GocacheRestoreCommand.class, GocachePublishCommand.class})
public final class GocacheCommand {

    /** The go binary: the one named, else {@code go} on the PATH of {@code env}. */
    static Path goBinary(Path named, Map<String, String> env) throws IOException {
        if (named != null) {
            if (!Files.isExecutable(named)) {
                throw new IOException(named + " is not an executable go command");
            }
            return named.toAbsolutePath();
        }
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path go = Path.of(dir, "go");
                if (Files.isExecutable(go)) {
                    return go;
                }
            }
        }
        throw new IOException("no go command on PATH: install Go or name it with --go");
    }

    /** The token in a file (its first line), for publishing; null without a file. */
    static String token(Path file) throws IOException {
        if (file == null) {
            return null;
        }
        String t = Files.readString(file).lines().findFirst().orElse("").strip();
        if (t.isEmpty()) {
            throw new IOException("token file " + file + " is empty");
        }
        return t;
    }
}
