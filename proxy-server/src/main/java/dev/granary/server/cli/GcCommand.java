package dev.granary.server.cli;

import dev.granary.core.retention.AccessTimes;
import dev.granary.core.retention.Retention;
import dev.granary.server.Maintenance;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code granary gc}: applies retention once to the configured storage. */
@Command(
        name = "gc",
        mixinStandardHelpOptions = true,
        description = {
            "Remove module versions not requested for gc.max-age (e.g. --gc-max-age 90d): .info first, so a version is never "
                    + "half there; the next request fetches it again. Pins and checksum-database state are kept.",
            "Safe beside a running server: a version requested meanwhile is kept, and one the server still believes stored "
                    + "is fetched again when asked for.",
            "Exit status: 0 done; 2 usage or configuration error; 3 storage failed."
        })
public final class GcCommand extends ConfiguredCommand {
    private static final DateTimeFormatter DAY =
            DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

    @Option(names = "--dry-run", description = "print what would be removed, and remove nothing")
    boolean dryRun;

    @Override
    protected int run(GranaryConfig config, Map<String, String> env, PrintWriter out, PrintWriter err) {
        Duration maxAge = config.duration(ConfigKey.GC_MAX_AGE);
        if (maxAge.isZero()) {
            return Cli.fail(
                    err,
                    Cli.USAGE,
                    "gc.max-age is 0 (keep every version): nothing to remove; set it, e.g. --gc-max-age 90d");
        }
        try (Maintenance m = Maintenance.open(config, env)) {
            AccessTimes access = new AccessTimes(m.store(), Clock.systemUTC());
            Retention retention = new Retention(m.store(), m.committer(), access, Clock.systemUTC(), null);
            Retention.Report r = retention.run(new Retention.Policy(maxAge, List.of()), dryRun, x -> {
                out.printf(
                        Locale.ROOT,
                        "%s %s  %s  last used %s  (%s)%n",
                        dryRun ? "would remove" : "removed",
                        x.name(),
                        size(x.bytes()),
                        DAY.format(x.lastUse()),
                        x.reason());
                out.flush();
            });
            out.printf(
                    Locale.ROOT,
                    "%s%d of %d versions%s, %s%n",
                    dryRun ? "dry run: " : "",
                    r.removals().size(),
                    r.versionsExamined(),
                    dryRun ? " would be removed" : " removed",
                    size(r.bytes()) + (dryRun ? " would be released" : " released"));
            out.flush();
            return Cli.OK;
        } catch (IOException | RuntimeException e) {
            return Cli.fail(err, 3, "storage: " + e.getMessage());
        }
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
