package dev.granary.bench;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.disk.DiskBlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import dev.granary.storage.tier.HotTierBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Serving a small {@code .info} (~300 bytes, the most requested artifact): a hot-tier hit against a read from
 * the disk tier. The difference is what the hot tier saves per request (path checks, stats, open, read, close).
 * Each operation opens the blob, reads all its bytes and closes it, as the response writer does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HotTierBench {

    static final BlobKey KEY = BlobKey.of("github.com/!burnt!sushi/toml/@v/v1.3.2.info");

    private Path dir;
    private HotTierBlobStore hot;
    private DiskBlobStore disk;

    @Setup
    public void setup() throws IOException {
        byte[] info = info();
        MemoryBlobStore memory = new MemoryBlobStore();
        memory.put(KEY, info);
        hot = new HotTierBlobStore(memory, 64L << 20, 1L << 20);
        dir = Files.createTempDirectory("granary-bench-disk");
        disk = new DiskBlobStore(dir);
        disk.put(KEY, new ByteArrayInputStream(info), info.length, PutMode.CREATE_ONLY);
        // The first hot get is the miss that loads the entry; every measured get is a hit.
        if (!Arrays.equals(read(hot), info) || !Arrays.equals(read(disk), info) || hot.entryCount() != 1) {
            throw new IllegalStateException("setup: stores do not hold the .info");
        }
        System.out.printf("%n.info blob: %d bytes%n", info.length);
    }

    @TearDown
    public void tearDown() throws Exception {
        hot.close();
        disk.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    // HotTierBlobStore.get hit (Caffeine lookup, heap bytes): the cost of a warm .info request's storage step.
    @Benchmark
    public byte[] hotTierHit() throws IOException {
        return read(hot);
    }

    // DiskBlobStore.get of the same blob (page cache warm): what every .info request would cost without the hot tier.
    @Benchmark
    public byte[] diskGet() throws IOException {
        return read(disk);
    }

    private static byte[] read(BlobStore store) throws IOException {
        try (Blob blob = store.get(KEY).orElseThrow()) {
            return blob.readAllBytes();
        }
    }

    /** A .info as proxy.golang.org serves it, with an Origin block (about 300 bytes). */
    static byte[] info() {
        return ("{\"Version\":\"v1.3.2\",\"Time\":\"2023-06-08T06:17:47Z\",\"Origin\":{\"VCS\":\"git\","
                        + "\"URL\":\"https://github.com/BurntSushi/toml\",\"Subdir\":\"\",\"Ref\":\"refs/tags/v1.3.2\","
                        + "\"Hash\":\"b2ab2b5a8e9a7c5bd5e0a7f2e5a5c6c7f5a6b9d1\",\"TagPrefix\":\"\","
                        + "\"TagSum\":\"t1:Zq9yB8aFw4wZ0rL3oZ3a1f2Ck0d5pYv9m+H1XyQ7W3E=\",\"RepoSum\":\"r1:8P3nT2q9xVb5"
                        + "eKqQnM0d4w6UoZ2l7HjR1cA9sF0gY3I=\"}}\n")
                .getBytes(StandardCharsets.UTF_8);
    }
}
