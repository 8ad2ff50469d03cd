package dev.granary.server;

import dev.granary.core.fetch.ModuleIndex;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The configured storage opened for offline maintenance ({@code granary gc}, {@code granary fsck}):
 * the same tiers {@code serve} uses (disk, or S3 with its optional local copy), without the server.
 */
public final class Maintenance implements AutoCloseable {
    private final StorageTiers tiers;
    private final Metrics metrics = new Metrics();
    private final Path root;
    private final List<SumdbSpec> databases;
    private final VersionCommitter committer;

    private Maintenance(GranaryConfig config, Map<String, String> env) throws IOException {
        this.root = config.storage(env);
        this.tiers = new StorageTiers(config, root, metrics);
        this.databases = SumdbSpec.parseList(config.get(ConfigKey.SUMDB));
        this.committer = new VersionCommitter(tiers.store(), new ModuleIndex(tiers.store()), metrics.registry());
    }

    /** Opens the storage {@code config} names. */
    public static Maintenance open(GranaryConfig config, Map<String, String> env) throws IOException {
        return new Maintenance(config, env);
    }

    public BlobStore store() {
        return tiers.store();
    }

    /** Commits and removals in the server's order. */
    public VersionCommitter committer() {
        return committer;
    }

    /** The disk tier's root (also where temporary files go). */
    public Path root() {
        return root;
    }

    /** The configured checksum databases. */
    public List<SumdbSpec> databases() {
        return databases;
    }

    @Override
    public void close() {
        tiers.close();
        metrics.close();
    }
}
