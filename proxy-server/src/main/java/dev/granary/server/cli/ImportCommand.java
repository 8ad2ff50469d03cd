package dev.granary.server.cli;

import dev.granary.core.Meters;
import dev.granary.core.snapshot.Progress;
import dev.granary.core.snapshot.SnapshotException;
import dev.granary.core.snapshot.SnapshotImporter;
import dev.granary.core.snapshot.VerifiedSnapshot;
import dev.granary.server.Metrics;
import dev.granary.server.Services;
import dev.granary.server.config.GranaryConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code granary import}: verifies a snapshot completely, then publishes it into storage, all or nothing. */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Verify a snapshot, then publish it into Granary's storage (the same --storage/S3/--config as serve).",
            "Checked before anything becomes visible, in order: the signature over SHA256SUMS against the --keyring keys"
                    + " (unknown, expired and revoked keys refused); every member's SHA-256; every lookup's inclusion proof at the"
                    + " snapshot's tree head with the configured checksum database's key (--sumdb); every module's zip rules and"
                    + " hashes against its proven record; consistency with the tree head already held here; every release archive's"
                    + " SHA-256 against the carried listing and its signature against the release key configured here (dl.keyring,"
                    + " dl.key-fingerprint: a carried key is used only when it is the pinned one); every pre-warm bundle's files.",
            "A refused snapshot changes nothing. Importing the same snapshot twice changes nothing. An import interrupted"
                    + " by a crash is undone or finished by the next start of serve or import.",
            "Exit status: 0 imported, or already imported; 1 refused (one line on stderr names the member and the reason)"
                    + " or failed; 2 usage error."
        })
public final class ImportCommand extends ConfiguredCommand {

    @Mixin
    SnapshotCheck check = new SnapshotCheck();

    @Option(
            names = "--metrics-file",
            paramLabel = "FILE",
            description = "also write this import's metrics (Prometheus text, for node_exporter's textfile collector)")
    Path metricsFile;

    @Override
    protected String usageProblem() {
        return check.usageProblem();
    }

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
    protected int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err) {
        check.warnUnsigned(err);
        Metrics metrics = new Metrics();
        String result = "failed";
        try (Services services = new Services(config, env, metrics)) {
            services.recoverInterruptedImports();
            MeterRegistry registry = metrics.registry();
            try (SnapshotCheck.Checked c = check.check(services, services.root())) {
                VerifiedSnapshot v = c.verified();
                SnapshotImporter.Result r;
                int items = v.versions().size()
                        + v.releases().archives().size()
                        + v.bundles().size();
                try (Progress p = SnapshotCli.progress(check.quiet).start("publishing", 0, items)) {
                    r = new SnapshotImporter(
                                    services.store(), services.modules().committer())
                            .publish(v, p);
                }
                result = r.outcome() == SnapshotImporter.Outcome.IMPORTED ? "imported" : "unchanged";
                out.println((r.outcome() == SnapshotImporter.Outcome.IMPORTED
                                ? "Imported snapshot "
                                : "Already imported: snapshot ")
                        + v.id());
                SnapshotCheck.describe(out, v);
                out.println("  published " + r.published() + " version(s), " + r.skipped() + " already here, "
                        + r.sumdb() + " checksum-database file(s) written"
                        + (r.toolchainInfos() > 0 ? ", " + r.toolchainInfos() + " toolchain record(s)" : "")
                        + (r.releases() > 0 ? ", " + r.releases() + " release archive(s)" : "")
                        + (r.bundles() > 0 ? ", " + r.bundles() + " pre-warm bundle(s)" : ""));
                out.println("  peak heap: " + SnapshotCli.heapPeakMiB() + " MiB");
                out.flush();
                v.sumdb()
                        .ifPresent(s -> Gauge.builder(Meters.SNAPSHOT_TREE_SIZE, s.tree()::n)
                                .description("Tree size of the newest imported snapshot's checksum-database head")
                                .tag("db", s.db())
                                .register(registry));
                long age = Duration.between(v.manifest().createdAt(), Instant.now())
                        .toSeconds();
                Gauge.builder(Meters.SNAPSHOT_AGE, () -> age)
                        .baseUnit("seconds")
                        .description("Age of the newest imported snapshot (since its export)")
                        .register(registry);
                return Cli.OK;
            }
        } catch (SnapshotException e) {
            result = "refused";
            return Cli.fail(err, Cli.REFUSED, "snapshot refused, nothing was imported: " + e.getMessage());
        } catch (IOException e) {
            return Cli.fail(
                    err,
                    Cli.REFUSED,
                    "import failed: " + e + " (anything written is undone or finished by the next start)");
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        } finally {
            metrics.registry()
                    .counter(Meters.SNAPSHOT_IMPORTS, "result", result)
                    .increment();
            writeMetrics(metrics, err);
            metrics.close();
        }
    }

    private void writeMetrics(Metrics metrics, PrintWriter err) {
        if (metricsFile == null) {
            return;
        }
        StringBuilder b = new StringBuilder();
        for (String line : metrics.scrape().split("\n")) {
            if (line.contains("granary_snapshot_")) {
                b.append(line).append('\n');
            }
        }
        try {
            Path dir = metricsFile.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, "." + metricsFile.getFileName(), ".tmp");
            Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, metricsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            err.println("granary: cannot write " + metricsFile + ": " + e);
            err.flush();
        }
    }
}
