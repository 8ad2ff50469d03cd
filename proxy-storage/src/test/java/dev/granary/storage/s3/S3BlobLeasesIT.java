package dev.granary.storage.s3;

import dev.granary.storage.BlobLeasesContract;
import dev.granary.storage.BlobStore;
import org.junit.jupiter.api.extension.ExtendWith;

/** Leases over a real S3-compatible server: create-only is {@code If-None-Match: *} there. */
@ExtendWith(SharedS3.class)
class S3BlobLeasesIT extends BlobLeasesContract {

    private final TestS3 s3;

    S3BlobLeasesIT(TestS3 s3) {
        this.s3 = s3;
    }

    @Override
    protected BlobStore createStore() {
        return new S3BlobStore(s3.settings(s3.createBucket()).withPrefix("leases-test"));
    }
}
