package dev.granary.storage.disk;

import dev.granary.storage.BlobLeasesContract;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class DiskBlobLeasesTest extends BlobLeasesContract {
    @TempDir
    Path dir;

    @Override
    protected BlobStore createStore() throws IOException {
        return new DiskBlobStore(dir.resolve("root"));
    }
}
