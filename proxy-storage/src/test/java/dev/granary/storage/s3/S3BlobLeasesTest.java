package dev.granary.storage.s3;

import dev.granary.storage.BlobLeasesContract;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Leases over a real S3-compatible server: create-only is {@code If-None-Match: *} there. */
class S3BlobLeasesTest extends BlobLeasesContract {

    static TestS3 s3;

    @BeforeAll
    static void startS3() throws IOException {
        s3 = TestS3.start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.stop();
        }
    }

    @Override
    protected BlobStore createStore() {
        return new S3BlobStore(s3.settings(s3.createBucket()).withPrefix("leases-test"));
    }
}
