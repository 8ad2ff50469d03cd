package dev.granary.server.cli;

import dev.granary.core.gocache.BundleException;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleReader;
import dev.granary.core.gocache.BundleStore;
import dev.granary.server.Maintenance;
import dev.granary.server.config.GranaryConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granary gocache publish}: a pre-warm bundle into a Granary, over HTTP or straight into its storage. */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = {
            "Publish a pre-warm bundle (and FILE.asc, its signature, when present) so that it is served at "
                    + "/gocache/bundles/<id>.tar.zst and listed in /gocache/bundles/index.json.",
            "With --url: PUT to that Granary with a token that has the cache-write right. Without: written straight into the storage that the "
                    + "configuration names (disk or S3), as a running Granary would; the bundle is checked whole first either way.",
            "Exit status: 0 published; 1 refused (damaged bundle, no write right); 2 usage error."
        })
public final class GocachePublishCommand implements Callable<Integer>, ConfigOptions.Configured {

    @Parameters(paramLabel = "FILE", description = "the bundle (.tar.zst)")
    Path file;

    @Option(
            names = "--signature",
            paramLabel = "FILE.asc",
            description = "its detached signature (default: FILE.asc when it exists)")
    Path signature;

    @Option(names = "--url", paramLabel = "URL", description = "the Granary to publish to over HTTP")
    String url;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "a token with the cache-write right, for --url (first line)")
    Path tokenFile;

    @Spec
    CommandSpec spec;

    @Override
    public CommandSpec spec() {
        return spec;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(file)) {
            return Cli.fail(err, Cli.USAGE, file + " does not exist");
        }
        Path sig = signature != null ? signature : file.resolveSibling(file.getFileName() + ".asc");
        if (signature != null && !Files.isRegularFile(signature)) {
            return Cli.fail(err, Cli.USAGE, signature + " does not exist");
        }
        if (!Files.isRegularFile(sig)) {
            sig = null;
        }
        String id;
        try (BundleReader r = BundleReader.open(Files.newInputStream(file))) {
            id = r.manifest().id();
        } catch (BundleException e) {
            return Cli.fail(err, Cli.REFUSED, "refused: " + e.getMessage());
        }
        if (url != null) {
            try {
                out.print(BundleUploads.publish(
                        url, id, file, sig, GocacheCommand.token(tokenFile), ProgressBar.on(err)));
                out.flush();
                return Cli.OK;
            } catch (BundleUploads.Refused e) {
                return Cli.fail(err, Cli.REFUSED, "refused: " + e.getMessage());
            } catch (IOException e) {
                return Cli.fail(err, Cli.REFUSED, "cannot publish to " + url + ": " + e);
            }
        }
        GranaryConfig config;
        try {
            config = ConfigOptions.load(spec, System.getenv());
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        }
        try (Maintenance m = Maintenance.open(config, System.getenv())) {
            BundleStore bundles = new BundleStore(m.store(), new SimpleMeterRegistry());
            BundleManifest manifest;
            try {
                manifest = bundles.publish(file, id);
            } catch (BundleException e) {
                return Cli.fail(err, Cli.REFUSED, "refused: " + e.getMessage() + " (nothing was stored)");
            }
            if (sig != null && !bundles.publishSignature(id, sig)) {
                return Cli.fail(err, Cli.REFUSED, "the bundle went missing before its signature was stored");
            }
            out.printf(
                    "published bundle %s (%s, %d files%s) into %s%n",
                    manifest.id(),
                    Cli.printable(manifest.name()),
                    manifest.files().size(),
                    sig != null ? ", signed" : "",
                    m.store().describe());
            out.flush();
            return Cli.OK;
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.REFUSED, e.getMessage());
        }
    }
}
