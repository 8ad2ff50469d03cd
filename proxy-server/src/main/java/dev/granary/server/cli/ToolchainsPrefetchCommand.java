package dev.granary.server.cli;

import dev.granary.core.ProxyException;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.toolchain.Toolchains;
import dev.granary.server.Services;
import dev.granary.server.config.GranaryConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code granary toolchains prefetch}: fills the mirror with toolchain modules ahead of need. */
@Command(
        name = "prefetch",
        mixinStandardHelpOptions = true,
        description = {
            "Fetch Go toolchain modules (golang.org/toolchain@v0.0.1-go<version>.<goos>-<goarch>) into storage, "
                    + "each verified as every module is (zip rules, h1 against the checksum database).",
            "For every version it also records the .info of the linux-amd64 build: the go command checks that a "
                    + "toolchain exists by that .info, on every platform, so GOTOOLCHAIN switching works from storage alone.",
            "Uses the same configuration as serve (--storage, --upstream, --sumdb, ...).",
            "Exit status: 0 everything stored; 1 a version had no toolchain, or a fetch was refused or failed "
                    + "(one line each on stderr); 2 configuration error."
        })
public final class ToolchainsPrefetchCommand extends ConfiguredCommand {

    @Option(
            names = "--versions",
            paramLabel = "SPECS",
            split = ",",
            required = true,
            description =
                    "Go versions, comma-separated: 1.26.3 (or go1.26.3) exactly, or 1.26.x for the newest 1.26 release")
    List<String> versions;

    @Option(
            names = "--platforms",
            paramLabel = "GOOS/GOARCH",
            split = ",",
            required = true,
            description = "platforms whose zips are fetched, comma-separated, such as linux/amd64,darwin/arm64")
    List<String> platforms;

    @Override
    protected int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err) {
        List<GoPlatform> parsed = new ArrayList<>();
        try {
            for (String p : platforms) {
                parsed.add(GoPlatform.parse(p));
            }
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, "--platforms: " + e.getMessage());
        }
        Services services = Prefetch.services(config, env, err);
        if (services == null) {
            return Cli.USAGE;
        }
        try {
            Toolchains toolchains = new Toolchains(services.modules());
            Toolchains.Selection selection;
            try {
                selection = toolchains.select(versions, parsed);
            } catch (ProxyException e) {
                return Cli.fail(err, Cli.REFUSED, "cannot list the toolchains: " + e.getMessage());
            }
            int failures = selection.problems().size();
            for (String p : selection.problems()) {
                Cli.fail(err, Cli.REFUSED, p);
            }
            for (Toolchains.Outcome o : toolchains.prefetch(selection)) {
                if (o.failure().isEmpty()) {
                    out.printf("ok %s %s%n", o.version(), o.zip() ? "zip" : "info");
                } else {
                    failures++;
                    Cli.fail(
                            err,
                            Cli.REFUSED,
                            o.version() + (o.zip() ? "" : " (.info)") + ": "
                                    + o.failure().get());
                }
            }
            out.flush();
            return failures == 0 ? Cli.OK : Cli.REFUSED;
        } finally {
            Prefetch.close(services);
        }
    }
}
