package dev.granary.storage.s3;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.PutMode;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in a child JVM with a small heap by {@link S3LargeStreamingTest}: streams {@code size}
 * deterministic pseudo-random bytes into S3 and back, and prints the SHA-256 of both directions and
 * the heap high-water mark.
 *
 * <p>Arguments: endpoint access-key secret-key bucket size
 */
public final class HeapBoundRoundTrip {

    private HeapBoundRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        URI endpoint = URI.create(args[0]);
        long size = Long.parseLong(args[4]);
        S3Settings settings = S3Settings.of(endpoint, TestS3.REGION, args[3], "heap", true, args[1], args[2]);
        AtomicLong peakUsed = new AtomicLong();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            var memory = ManagementFactory.getMemoryMXBean();
            while (!Thread.currentThread().isInterrupted()) {
                peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        BlobKey key = BlobKey.of("example.com/huge/@v/v1.0.0.zip");
        long start = System.nanoTime();
        try (S3BlobStore store = new S3BlobStore(settings)) {
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(new Generated(size, 2026), sent)) {
                if (!store.put(key, in, size, PutMode.CREATE_ONLY)) {
                    throw new IllegalStateException("key existed");
                }
            }
            long uploaded = System.nanoTime();
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            long count = 0;
            try (Blob blob = store.get(key).orElseThrow(); InputStream in = blob.openStream()) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    received.update(buf, 0, n);
                    count += n;
                }
            }
            long downloaded = System.nanoTime();
            sampler.interrupt();
            long poolPeaks = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                    poolPeaks += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println("bytes=" + count);
            System.out.println("sha256-put=" + HexFormat.of().formatHex(sent.digest()));
            System.out.println("sha256-get=" + HexFormat.of().formatHex(received.digest()));
            System.out.println("multipart-uploads=" + store.multipartUploadCount());
            System.out.println("heap-max=" + Runtime.getRuntime().maxMemory());
            System.out.println("heap-peak-used-sampled=" + peakUsed.get());
            System.out.println("heap-pool-peaks-sum=" + poolPeaks);
            System.out.println("upload-ms=" + (uploaded - start) / 1_000_000);
            System.out.println("download-ms=" + (downloaded - uploaded) / 1_000_000);
        }
    }

    /** Deterministic pseudo-random bytes (xorshift), generated as read. */
    static final class Generated extends InputStream {
        private long remaining;
        private long state;

        Generated(long length, long seed) {
            this.remaining = length;
            this.state = seed * 0x9E3779B97F4A7C15L + 1;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = 0; i < n; i++) {
                state ^= state << 13;
                state ^= state >>> 7;
                state ^= state << 17;
                b[off + i] = (byte) (state >>> 24);
            }
            remaining -= n;
            return n;
        }
    }
}
