package dev.granary.bench.figures;

import dev.granary.storage.s3.S3Settings;
import dev.granary.storage.s3.StreamingRoundTrip;
import dev.granary.storage.s3.TestS3;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A 300 MB blob through {@code S3BlobStore} into s3proxy and back, in a child JVM with {@code -Xmx128m}
 * ({@code StreamingRoundTrip}, the program {@code S3LargeStreamingIT} checks): the round trip's
 * time and the child's heap high-water mark (sampled every 5 ms, garbage included, and the sum of the
 * heap pools' peaks).
 *
 * <p>Argument: size in megabytes (default 300).
 */
public final class S3HeapFigures {
    private S3HeapFigures() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args);
            return;
        }
        long size = (args.length > 0 ? Long.parseLong(args[0]) : 300) * 1000 * 1000;
        try (Rig rig = new Rig("s3-heap")) {
            TestS3 s3 = rig.closeLater(TestS3.start());
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(List.of(
                            java,
                            "-Xmx128m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            S3HeapFigures.class.getName(),
                            "child",
                            s3.endpoint().toString(),
                            s3.accessKey(),
                            s3.secretKey(),
                            s3.createBucket(),
                            Long.toString(size)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                System.out.println("the round trip did not finish within 10 minutes");
            } else if (p.exitValue() != 0) {
                System.out.println("the round trip failed: exit " + p.exitValue());
            }
        }
    }

    private static void child(String[] args) throws Exception {
        S3Settings settings =
                S3Settings.of(URI.create(args[1]), TestS3.REGION, args[4], "heap", true, args[2], args[3]);
        long size = Long.parseLong(args[5]);
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
        long start = System.nanoTime();
        StreamingRoundTrip.Result r = StreamingRoundTrip.run(settings, size);
        long took = System.nanoTime() - start;
        sampler.interrupt();
        long poolPeaks = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                poolPeaks += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf(
                "%d MB through S3 and back in a %.0f MiB heap: %.0f ms (%.0f MB/s both ways), %d multipart upload(s), hashes %s%n",
                size / 1_000_000,
                Runtime.getRuntime().maxMemory() / 1048576.0,
                Rig.millis(took),
                2 * size / 1e6 / (took / 1e9),
                r.multipartUploads(),
                r.sha256Put().equals(r.sha256Get()) ? "equal" : "DIFFER");
        System.out.printf(
                "heap high-water mark: %.1f MiB sampled every 5 ms (garbage included), %.1f MiB sum of heap pool peaks%n",
                peakUsed.get() / 1048576.0, poolPeaks / 1048576.0);
    }
}
