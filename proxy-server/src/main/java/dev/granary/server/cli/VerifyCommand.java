package dev.granary.server.cli;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.snapshot.SnapshotException;
import dev.granary.core.snapshot.VerifiedSnapshot;
import dev.granary.server.Metrics;
import dev.granary.server.Services;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code granary verify}: every check of import, and nothing written. */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Check a snapshot exactly as granary import would, against the configured checksum database and what the storage"
                    + " (--storage/S3/--config) already holds, and write nothing.",
            "Exit status: 0 it would import; 1 refused (one line on stderr names the member and the reason); 2 usage error."
        })
public final class VerifyCommand extends ConfiguredCommand {

    @Mixin
    SnapshotCheck check = new SnapshotCheck();

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
        try (Services services = new Services(config, env, metrics);
                SnapshotCheck.Checked c = check.check(services, Path.of(System.getProperty("java.io.tmpdir")))) {
            VerifiedSnapshot v = c.verified();
            long here = 0;
            for (VerifiedSnapshot.Version ver : v.versions()) {
                if (services.store().exists(StorageLayout.info(ver.version()))) {
                    here++;
                }
            }
            out.println("Verified snapshot " + v.id());
            SnapshotCheck.describe(out, v);
            out.println("  " + here + " of its versions are already stored here");
            out.flush();
            return Cli.OK;
        } catch (SnapshotException e) {
            return Cli.fail(err, Cli.REFUSED, "snapshot refused: " + e.getMessage());
        } catch (IOException e) {
            return Cli.fail(err, Cli.REFUSED, "cannot verify " + check.file + ": " + e);
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        } finally {
            metrics.close();
        }
    }
}
