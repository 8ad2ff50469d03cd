package dev.granary.core.gocache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/** Build cache directories laid out as the go command writes them, with seeded content, for tests. */
final class CacheDirs {
    private CacheDirs() {}

    /** An output and the action entry that points at it. */
    record Written(String actionId, String outputId, byte[] output) {}

    /** Writes {@code n} outputs with action entries into {@code dir}; sizes vary up to {@code maxSize}. */
    static List<Written> fill(Path dir, int n, int maxSize, long seed) throws IOException {
        Random r = new Random(seed);
        List<Written> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] content = new byte[r.nextInt(maxSize + 1)];
            r.nextBytes(content);
            byte[] actionBytes = new byte[32];
            r.nextBytes(actionBytes);
            String action = CacheIds.hex(actionBytes);
            out.add(write(dir, action, content));
        }
        return out;
    }

    static Written write(Path dir, String actionId, byte[] content) throws IOException {
        String output = CacheIds.sha256(content);
        Path d = Files.createDirectories(dir.resolve(output.substring(0, 2))).resolve(output + "-d");
        Files.write(d, content);
        Path a = Files.createDirectories(dir.resolve(actionId.substring(0, 2))).resolve(actionId + "-a");
        Files.write(a, new ActionEntry(actionId, output, content.length, 1_700_000_000_000_000_000L).format());
        return new Written(actionId, output, content);
    }

    static String id(String seed) {
        return CacheIds.sha256(seed.getBytes(StandardCharsets.UTF_8));
    }

    static KeyInputs inputs(String goVersion, boolean trimpath) {
        return new KeyInputs(
                goVersion,
                "linux",
                "amd64",
                "GOAMD64=v1",
                false,
                new TreeMap<>(),
                "",
                "",
                trimpath,
                false,
                List.of(),
                trimpath ? "" : "/home/ci/go/pkg/mod");
    }
}
