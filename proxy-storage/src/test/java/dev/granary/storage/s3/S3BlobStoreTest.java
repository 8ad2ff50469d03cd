package dev.granary.storage.s3;

import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobStoreComplianceTest;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The compliance suite against a real S3-compatible server (s3proxy), a fresh bucket per test. */
class S3BlobStoreTest extends BlobStoreComplianceTest {

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
        return new S3BlobStore(s3.settings(s3.createBucket()).withPrefix("granary/cache"),
                S3Tuning.defaults().withPartSize(S3Tuning.MIN_PART_SIZE));
    }
}
