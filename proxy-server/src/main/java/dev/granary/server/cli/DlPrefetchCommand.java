package dev.granary.server.cli;

import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlMirror;
import dev.granary.server.Services;
import dev.granary.server.config.GranaryConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code granary dl prefetch}: fills the release archive mirror ahead of need. */
@Command(
        name = "prefetch",
        mixinStandardHelpOptions = true,
        description = {
            "Fetch Go release archives into the mirror's storage, each verified as a request would verify it: "
                    + "its SHA-256 against the release listing and its OpenPGP signature against the trusted key.",
            "Uses the same configuration as serve (--storage, --dl-upstream, --dl-keyring, ...); a running server "
                    + "on the same storage serves what this stores.",
            "Exit status: 0 every archive stored; 1 a version or platform had no archive, or an archive was "
                    + "refused or failed (one line each on stderr); 2 configuration error."
        })
public final class DlPrefetchCommand extends ConfiguredCommand {

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
            description =
                    "platforms, comma-separated, such as linux/amd64,darwin/arm64,windows/amd64; 'src' for the source archive")
    List<String> platforms;

    @Override
    protected int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err) {
        Services services = Prefetch.services(config, env, err);
        if (services == null) {
            return Cli.USAGE;
        }
        try {
            DlMirror dl = services.dl();
            DlMirror.Selection selection;
            try {
                selection = dl.select(versions, platforms);
            } catch (IllegalArgumentException e) {
                return Cli.fail(err, Cli.USAGE, e.getMessage());
            } catch (ProxyException e) {
                return Cli.fail(err, Cli.REFUSED, "cannot read the release listing: " + e.getMessage());
            }
            int failures = selection.problems().size();
            for (String p : selection.problems()) {
                Cli.fail(err, Cli.REFUSED, p);
            }
            for (DlMirror.Outcome o : dl.prefetch(selection)) {
                if (o.archive().isPresent()) {
                    DlMirror.Archive a = o.archive().get();
                    out.printf("ok %s %d bytes sha256 %s%n", a.filename(), a.size(), a.sha256());
                } else {
                    failures++;
                    Cli.fail(err, Cli.REFUSED, o.filename() + ": " + o.failure().orElse("failed"));
                }
            }
            out.flush();
            return failures == 0 ? Cli.OK : Cli.REFUSED;
        } finally {
            Prefetch.close(services);
        }
    }
}
