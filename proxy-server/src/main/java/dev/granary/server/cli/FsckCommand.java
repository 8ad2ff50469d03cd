package dev.granary.server.cli;

import dev.granary.core.fsck.StorageCheck;
import dev.granary.core.fsck.StorageCheck.Severity;
import dev.granary.server.Maintenance;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code granary fsck}: re-verifies everything stored. */
@Command(
        name = "fsck",
        mixinStandardHelpOptions = true,
        description = {
            "Re-verify every stored module version (zip rules, go.mod, h1 against its .sum, the stored checksum-database "
                    + "lookups and its pin) and the stored checksum-database state (tree head signature, every tile, every lookup).",
            "With --repair, what is corrupt is copied under quarantine/<time>/ and removed (a version's .info first), so it is "
                    + "fetched and verified again on the next request. Pins are never changed.",
            "Run --repair with the server stopped, or restart it afterwards: its memory tier may still hold what was removed.",
            "Exit status: 0 nothing corrupt; 1 corrupt content found (moved aside with --repair); 2 usage or configuration error; "
                    + "3 storage failed."
        })
public final class FsckCommand extends ConfiguredCommand {

    @Option(
            names = "--repair",
            description = "move what is corrupt aside (to quarantine/), so that it is fetched again")
    boolean repair;

    @Override
    protected int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err) {
        try (Maintenance m = Maintenance.open(config, env)) {
            StorageCheck check = new StorageCheck(m.store(), m.committer(), m.databases(), m.root(), Clock.systemUTC());
            StorageCheck.Report r = check.run(repair, f -> {
                out.printf(
                        Locale.ROOT,
                        "%-8s %-10s %s: %s%s%n",
                        f.severity() == Severity.CORRUPT ? "CORRUPT" : "notice",
                        f.what(),
                        Cli.printable(f.subject()),
                        Cli.printable(f.problem()),
                        f.repaired()
                                ? (f.what().equals("incomplete") ? "  [removed]" : "  [moved to quarantine]")
                                : "");
                out.flush();
            });
            out.printf(
                    Locale.ROOT,
                    "checked %d versions, %d pins, %d checksum-database lookups and %d tiles of %d databases: %d corrupt%s%n",
                    r.versions(),
                    r.pins(),
                    r.lookups(),
                    r.tiles(),
                    r.databases(),
                    r.corrupt(),
                    r.quarantine()
                            .map(q -> "; copies kept under " + q.value() + "/")
                            .orElse(""));
            out.flush();
            return r.corrupt() > 0 ? 1 : Cli.OK;
        } catch (IOException | RuntimeException e) {
            return Cli.fail(err, 3, "storage: " + e.getMessage());
        }
    }
}
