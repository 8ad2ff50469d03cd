package dev.granary.core.testing;

import dev.granary.core.fetch.ModuleIndex;
import dev.granary.core.fetch.VerifiedVersion;
import dev.granary.core.fetch.VersionChecks;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.zip.Dirhash;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** Commits versions of a {@link GoProxyTree} straight into a store, checked as the fetch pipeline checks them. */
public final class TestCommits {
    private final VersionCommitter committer;
    private final Path tmp;

    public TestCommits(BlobStore store, Path tmp) {
        this.committer = new VersionCommitter(store, new ModuleIndex(store), new SimpleMeterRegistry());
        this.tmp = tmp;
    }

    public VersionCommitter committer() {
        return committer;
    }

    /** Checks and commits {@code e}; returns its go.sum lines. */
    public GoSum commit(GoProxyTree.Entry e) throws IOException {
        ModuleVersion mv = ModuleVersion.of(e.module(), e.version());
        Files.createDirectories(tmp);
        Path copy = Files.createTempFile(tmp, "commit-", ".zip");
        Files.copy(e.zip(), copy, StandardCopyOption.REPLACE_EXISTING);
        GoSum sums = VersionChecks.checkZip(mv, copy, e.mod(), Dirhash.hashGoMod(e.mod()), Optional.empty());
        committer.commit(new VerifiedVersion(mv, e.info(), e.mod(), copy, sums));
        Files.deleteIfExists(copy);
        return sums;
    }
}
