package dev.granary.server.cli;

import dev.granary.core.gocache.BundleStore;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SigningKey;
import dev.granary.core.snapshot.SnapshotException;
import dev.granary.core.snapshot.SnapshotExporter;
import dev.granary.core.snapshot.SnapshotManifest;
import dev.granary.server.Metrics;
import dev.granary.server.Services;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code granary export}: a signed snapshot of the modules a selection names, with their checksum-database proofs,
 * and of the Go distribution (release archives, toolchain modules) and pre-warm bundles.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Write a snapshot (a tar file, zstd-compressed when FILE ends in .zst) of the module versions the selection names,"
                    + " read from Granary's storage (the same --storage/S3/--config as serve), fetching what is missing through"
                    + " the configured upstreams and verifying it as serve does (unless --offline).",
            "It carries every version's checksum-database record and the tiles that prove it, pinned to one signed tree head;"
                    + " unpacked, it is a GOPROXY=file:// tree with its checksum database. Import it with granary import.",
            "With --dl and --toolchains it also carries Go itself: release archives with their listing entries, .sha256, .asc and"
                    + " the release signing key (fetched and verified by the release mirror when missing), and toolchain modules"
                    + " with the linux-amd64 .info of every version (the go command's existence check), proven like every module;"
                    + " with --gocache-bundles, pre-warm bundles with their signatures and index entries.",
            "Exit status: 0 written; 1 the export failed (a version could not be fetched or proven); 2 usage error."
        })
public final class ExportCommand extends ConfiguredCommand {

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            required = true,
            description = "the snapshot file to write (replaced atomically)")
    Path output;

    @Option(
            names = "--gosum",
            paramLabel = "FILE",
            description =
                    "every module version a go.sum lists: .info, .mod and .zip for zip lines, .info and .mod for /go.mod lines (repeatable)")
    List<Path> goSums = new ArrayList<>();

    @Option(
            names = "--gomod",
            paramLabel = "FILE",
            description =
                    "the module graph the go command loads for this go.mod: the .mod of every module in it, the zips of the build list (repeatable)")
    List<Path> goMods = new ArrayList<>();

    @Option(names = "--gowork", paramLabel = "FILE", description = "the same for a go.work workspace (repeatable)")
    List<Path> goWorks = new ArrayList<>();

    @Option(
            names = "--module",
            paramLabel = "PATH@VERSION",
            description = "a module version; VERSION may be latest or all-tagged (repeatable)")
    List<String> modules = new ArrayList<>();

    @Option(names = "--all", description = "every module version stored")
    boolean all;

    @Option(
            names = "--dl",
            paramLabel = "VERSIONS",
            split = ",",
            description =
                    "Go release archives of these versions (1.26.3, go1.26.3, 1.26.x = the newest 1.26), for each of --platforms")
    List<String> dl = new ArrayList<>();

    @Option(
            names = "--toolchains",
            paramLabel = "VERSIONS",
            split = ",",
            description =
                    "toolchain modules (golang.org/toolchain) of these versions for each of --platforms, and the linux-amd64"
                            + " .info of each version, which the go command checks on every platform")
    List<String> toolchains = new ArrayList<>();

    @Option(
            names = "--platforms",
            paramLabel = "GOOS/GOARCH",
            split = ",",
            description =
                    "platforms of --dl and --toolchains, comma-separated: linux/amd64,darwin/arm64; 'src' for the source archive")
    List<String> platforms = new ArrayList<>();

    @Option(
            names = "--gocache-bundles",
            description = "every pre-warm bundle stored, with its signature and index entry")
    boolean allBundles;

    @Option(
            names = "--gocache-bundle",
            paramLabel = "ID",
            description = "a pre-warm bundle by its identity (repeatable)")
    List<String> bundleIds = new ArrayList<>();

    @Option(
            names = "--since",
            paramLabel = "PREVIOUS",
            description =
                    "a snapshot exported before (or its MANIFEST.json): leave out what it holds, and prove its tree head a prefix of this one's (repeatable)")
    List<Path> since = new ArrayList<>();

    @Option(
            names = "--sign-key",
            paramLabel = "SECRET",
            description =
                    "armored secret key that signs SHA256SUMS (gpg --export-secret-keys --armor, or granary keys generate)")
    Path signKey;

    @ArgGroup(exclusive = true)
    PassphraseOptions passphrase;

    @Option(
            names = "--compress",
            paramLabel = "auto|zstd|none",
            defaultValue = "auto",
            description = "compress the archive with zstd (auto: when FILE ends in .zst or .tzst)")
    String compress;

    @Option(names = "--offline", description = "read storage only; never fetch from upstreams or the checksum database")
    boolean offline;

    @Option(
            names = {"-q", "--quiet"},
            description = "no progress report")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        SnapshotCli.Quiet logs = SnapshotCli.quietLogs();
        try {
            return super.call();
        } finally {
            logs.close();
        }
    }

    @Override
    protected String usageProblem() {
        if (goSums.isEmpty()
                && goMods.isEmpty()
                && goWorks.isEmpty()
                && modules.isEmpty()
                && !all
                && since.isEmpty()
                && dl.isEmpty()
                && toolchains.isEmpty()
                && !allBundles
                && bundleIds.isEmpty()) {
            return "nothing selected: give --gosum, --gomod, --gowork, --module, --all, --dl, --toolchains or --gocache-bundles";
        }
        if ((!dl.isEmpty() || !toolchains.isEmpty()) && platforms.isEmpty()) {
            return "--dl and --toolchains need --platforms (such as linux/amd64,darwin/arm64)";
        }
        if (!platforms.isEmpty() && dl.isEmpty() && toolchains.isEmpty()) {
            return "--platforms applies to --dl and --toolchains; give one of them";
        }
        for (Path p : concat(goSums, goMods, goWorks, since)) {
            if (!Files.isRegularFile(p)) {
                return p + " does not exist";
            }
        }
        if (!List.of("auto", "zstd", "none").contains(compress.toLowerCase(Locale.ROOT))) {
            return "--compress: expected auto, zstd or none";
        }
        if (signKey != null && !Files.isRegularFile(signKey)) {
            return "secret key " + signKey + " does not exist";
        }
        return null;
    }

    @Override
    protected int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err) {
        String how = compress.toLowerCase(Locale.ROOT);
        String name = output.getFileName().toString();
        boolean zstd = how.equals("zstd") || how.equals("auto") && (name.endsWith(".zst") || name.endsWith(".tzst"));
        SigningKey key = null;
        if (signKey != null) {
            char[] pass;
            try {
                pass = PassphraseOptions.read(passphrase, env);
            } catch (PassphraseOptions.Unusable e) {
                return Cli.fail(err, Cli.USAGE, e.getMessage());
            }
            try {
                key = SigningKey.load(signKey, pass);
            } catch (PgpException e) {
                return Cli.fail(err, Cli.REFUSED, e.getMessage());
            } catch (IOException e) {
                return Cli.fail(err, Cli.USAGE, "cannot read secret key " + signKey + ": " + e);
            } finally {
                PassphraseOptions.wipe(pass);
            }
        }
        Metrics metrics = new Metrics();
        try (Services services = new Services(config, env, metrics)) {
            List<SnapshotExporter.Previous> previous = new ArrayList<>();
            for (Path p : since) {
                previous.add(SnapshotExporter.Previous.read(p));
            }
            boolean isOffline = offline || services.offline();
            SnapshotExporter exporter = new SnapshotExporter(
                    services.modules(),
                    services.store(),
                    services.databases().primary(),
                    services.sumdbStorage(),
                    services.noSumdb(),
                    isOffline,
                    services.root(),
                    SnapshotCli.progress(quiet),
                    services.dl(),
                    new BundleStore(services.store(), metrics.registry()));
            SnapshotExporter.Result r = exporter.export(new SnapshotExporter.Request(
                    goSums,
                    goMods,
                    goWorks,
                    modules,
                    all,
                    previous,
                    output,
                    zstd,
                    key,
                    SnapshotCli.granaryVersion(),
                    new SnapshotExporter.Distribution(dl, toolchains, platforms, allBundles, bundleIds)));
            SnapshotManifest m = r.manifest();
            out.println("Exported snapshot " + r.id());
            out.println("  file: " + r.output() + " (" + r.fileBytes() + " bytes" + (zstd ? ", zstd" : "") + ")");
            out.println("  versions: " + m.counts().versions() + " ("
                    + m.counts().zips() + " with zips), checksum-database records: "
                    + m.counts().lookups() + ", tiles: " + m.counts().tiles() + ", files: "
                    + m.counts().files()
                    + ", bytes: " + m.counts().bytes());
            SnapshotManifest.Counts c = m.counts();
            if (c.toolchains() > 0 || c.toolchainInfos() > 0) {
                out.println("  toolchains: " + c.toolchains() + " module version(s), " + c.toolchainInfos()
                        + " existence record(s)");
            }
            if (c.releases() > 0) {
                out.println("  release archives: " + c.releases() + " (" + c.releaseBytes() + " bytes), signing key "
                        + String.join(", ", m.releaseKeys()));
            }
            if (c.bundles() > 0) {
                out.println("  pre-warm bundles: " + c.bundles() + " (" + c.bundleBytes() + " bytes)");
            }
            for (SnapshotManifest.TreeHead h : m.treeHeads()) {
                out.println("  pinned to " + h.db() + " tree#" + h.size());
            }
            if (m.previous() != null) {
                out.println("  incremental: follows snapshot " + m.previous());
            }
            out.println("  "
                    + (key == null
                            ? "unsigned (no --sign-key)"
                            : "signed by " + key.keyFingerprint()
                                    + key.userId()
                                            .map(u -> " \"" + Cli.printable(u) + "\"")
                                            .orElse("")));
            out.println("  peak heap: " + SnapshotCli.heapPeakMiB() + " MiB");
            out.flush();
            return Cli.OK;
        } catch (SnapshotException e) {
            return Cli.fail(err, Cli.REFUSED, "export failed: " + e.getMessage());
        } catch (IOException e) {
            return Cli.fail(err, Cli.REFUSED, "export failed: " + e);
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        } finally {
            metrics.close();
        }
    }

    @SafeVarargs
    private static List<Path> concat(List<Path>... lists) {
        List<Path> out = new ArrayList<>();
        for (List<Path> l : lists) {
            out.addAll(l);
        }
        return out;
    }
}
