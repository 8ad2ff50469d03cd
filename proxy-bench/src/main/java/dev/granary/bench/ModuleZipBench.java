package dev.granary.bench;

import dev.granary.core.module.ModuleVersion;
import dev.granary.core.zip.Dirhash;
import dev.granary.core.zip.ModuleZips;
import dev.granary.core.zip.ZipCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Hashing and checking a freshly fetched module zip: the CPU cost of every cache miss on a .zip.
 *
 * <p>The zip is generated once per trial: 200 files holding exactly {@value #CONTENT_MIB} MiB of content,
 * about half Go-like source text (deflated well, like real modules) and half random "testdata" (does not
 * compress). Each invocation processes all of it, and {@code @OperationsPerInvocation(CONTENT_MIB)} makes the
 * reported ops/s read as <b>MiB of module content per second</b>. Both sizes are printed at setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ModuleZipBench {

    static final int CONTENT_MIB = 10;
    private static final int FILES = 200;
    private static final ModuleVersion MODULE = ModuleVersion.of("example.com/bench", "v1.0.0");

    private Path dir;
    private Path zip;

    @Setup
    public void setup() throws IOException {
        dir = Files.createTempDirectory("granary-bench-zip");
        zip = dir.resolve("v1.0.0.zip");
        long content = writeModuleZip(zip, MODULE.toString() + "/", CONTENT_MIB << 20, FILES, new SplittableRandom(42));
        // Fail fast if the generated zip is not a valid module zip: check() would then measure a refusal.
        ZipCheck check = ModuleZips.check(zip, MODULE);
        System.out.printf(
                "%nmodule zip: %d files, %d content bytes, %d zip bytes, %s%n",
                check.fileCount(), content, Files.size(zip), check.h1());
    }

    @TearDown
    public void tearDown() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    // h1 dirhash of the whole zip (inflate + SHA-256 of every file): what go.sum verification costs per zip.
    @Benchmark
    @OperationsPerInvocation(CONTENT_MIB)
    public String dirhashHashZip() throws IOException {
        return Dirhash.hashZip(zip);
    }

    // The full x/mod/zip CheckZip rules plus the h1 hash, the gate every upstream zip passes before it is committed.
    @Benchmark
    @OperationsPerInvocation(CONTENT_MIB)
    public ZipCheck moduleZipsCheck() throws IOException {
        return ModuleZips.check(zip, MODULE);
    }

    /**
     * Writes a module zip of {@code files} entries under {@code prefix} whose contents add up to exactly
     * {@code totalBytes}: go.mod, LICENSE, then alternately Go source and binary testdata of random sizes.
     *
     * @return the total content size, {@code totalBytes}
     */
    static long writeModuleZip(Path zip, String prefix, long totalBytes, int files, SplittableRandom rnd)
            throws IOException {
        byte[] goMod = "module example.com/bench\n\ngo 1.21\n".getBytes(StandardCharsets.US_ASCII);
        byte[] license = license();
        long remaining = totalBytes - goMod.length - license.length;
        int rest = files - 2;
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            put(out, prefix + "go.mod", goMod);
            put(out, prefix + "LICENSE", license);
            for (int i = 0; i < rest; i++) {
                int left = rest - i;
                long mean = remaining / left;
                // Sizes vary between half and one and a half times the mean; the last file takes the remainder.
                int size = (int) (left == 1 ? remaining : mean / 2 + rnd.nextLong(mean + 1));
                remaining -= size;
                if (i % 2 == 0) {
                    put(out, prefix + "pkg" + (i / 20) + "/file" + i + ".go", goSource(i, size, rnd));
                } else {
                    byte[] data = new byte[size];
                    rnd.nextBytes(data);
                    put(out, prefix + "internal/testdata/blob" + i + ".bin", data);
                }
            }
        }
        return totalBytes;
    }

    private static void put(ZipOutputStream out, String name, byte[] data) throws IOException {
        out.putNextEntry(new ZipEntry(name));
        out.write(data);
        out.closeEntry();
    }

    private static byte[] license() {
        String line =
                "Permission is hereby granted, free of charge, to any person obtaining a copy" + " of this software.\n";
        return ("Copyright (c) 2024 The Bench Authors.\n\n" + line.repeat(10)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Plausible Go text of exactly {@code size} bytes: repetitive like real source, not one repeated line. */
    private static byte[] goSource(int n, int size, SplittableRandom rnd) {
        String[] words = {"ctx", "err", "buf", "req", "resp", "key", "value", "n", "i", "name", "path", "version"};
        StringBuilder sb = new StringBuilder(size + 128);
        sb.append("package pkg").append(n / 20).append("\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\n");
        int f = 0;
        while (sb.length() < size) {
            String a = words[rnd.nextInt(words.length)];
            String b = words[rnd.nextInt(words.length)];
            sb.append("// F")
                    .append(f)
                    .append(" returns the ")
                    .append(a)
                    .append(" of ")
                    .append(b)
                    .append(".\n")
                    .append("func F")
                    .append(f)
                    .append('(')
                    .append(a)
                    .append(" string, ")
                    .append(b)
                    .append(" int) (int, error) {\n")
                    .append("\tif ")
                    .append(b)
                    .append(" < ")
                    .append(rnd.nextInt(1000))
                    .append(" {\n")
                    .append("\t\treturn 0, errors.New(\"")
                    .append(a)
                    .append(" too small\")\n\t}\n")
                    .append("\treturn fmt.Println(")
                    .append(a)
                    .append(", ")
                    .append(b)
                    .append(")\n}\n\n");
            f++;
        }
        sb.setLength(size);
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
