package dev.granary.storage.memory;

import dev.granary.storage.BlobLeasesContract;
import dev.granary.storage.BlobStore;

class MemoryBlobLeasesTest extends BlobLeasesContract {
    @Override
    protected BlobStore createStore() {
        return new MemoryBlobStore();
    }
}
