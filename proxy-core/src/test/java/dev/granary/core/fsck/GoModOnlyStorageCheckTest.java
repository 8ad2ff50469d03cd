package dev.granary.core.fsck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.fetch.ModuleIndex;
import dev.granary.core.fetch.VerifiedVersion;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.fsck.StorageCheck.Finding;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.zip.Dirhash;
import dev.granary.storage.disk.DiskBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A version a snapshot carried with its go.mod alone (its .sum has no zip line, and it has no zip) is
 * sound to fsck; its go.mod is still checked against the .sum.
 */
class GoModOnlyStorageCheckTest {
    @TempDir
    Path tmp;

    @Test
    void aGoModOnlyVersionIsSoundAndItsGoModIsStillChecked() throws Exception {
        DiskBlobStore store = new DiskBlobStore(tmp.resolve("storage"));
        VersionCommitter committer = new VersionCommitter(store, new ModuleIndex(store), new SimpleMeterRegistry());
        ModuleVersion mv = ModuleVersion.of("example.com/graph", "v1.0.0");
        byte[] mod = "module example.com/graph\n\ngo 1.17\n".getBytes(StandardCharsets.UTF_8);
        committer.commit(new VerifiedVersion(
                mv,
                "{\"Version\":\"v1.0.0\"}".getBytes(StandardCharsets.UTF_8),
                mod,
                null,
                GoSum.of(mv, null, Dirhash.hashGoMod(mod))));
        StorageCheck check = new StorageCheck(store, committer, List.of(), tmp.resolve("fsck"), Clock.systemUTC());

        List<Finding> found = new ArrayList<>();
        StorageCheck.Report r = check.run(false, found::add);
        assertThat(found).isEmpty();
        assertThat(r.versions()).isEqualTo(1);

        store.put(StorageLayout.mod(mv), "module example.com/other\n".getBytes(StandardCharsets.UTF_8));
        found.clear();
        assertThat(check.run(false, found::add).corrupt()).isEqualTo(1);
        assertThat(found)
                .singleElement()
                .satisfies(f -> assertThat(f.problem()).contains("differs from the stored .sum"));
    }
}
