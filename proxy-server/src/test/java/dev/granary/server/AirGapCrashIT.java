package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.snapshot.SnapshotExporter;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An import killed with SIGKILL (a child JVM, {@code -Xmx256m}) at different points of its work, then
 * a start that recovers (serve, or import again): storage ends byte-for-byte as before the import or
 * exactly as a clean import leaves it, never in between. Files a store hides ({@code .tmp-} names, which
 * are never listed nor served) are left out of the comparison; the killed import's staging directory
 * is not: recovery removes it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AirGapCrashIT {
    private static final int VERSIONS = 40;

    private Path dir;
    private Path snapshot;
    private Path baseline;
    private Map<String, String> before;
    private Map<String, String> imported;
    private String vkey;
    private String id;
    private int n;

    @BeforeAll
    void aLargeSnapshotAndTheTwoAcceptableOutcomes(@TempDir Path tmp) throws Exception {
        dir = tmp;
        GoProxyTree tree = new GoProxyTree(dir.resolve("upstream"));
        Random random = new Random(7);
        for (int i = 0; i < VERSIONS; i++) {
            // Incompressible bodies, so that publishing takes long enough to be interrupted at several points.
            tree.addIncompressible("example.com/crash", "v1.0." + i, 1 << 20, random);
        }
        AirGap.keys(dir.resolve("keys"), "Granary Export <export@example.org>");
        snapshot = dir.resolve("crash.tar");
        Path earlier = dir.resolve("earlier.tar");
        baseline = dir.resolve("baseline");
        try (TestSumdb db = TestSumdb.start(tree.root())) {
            vkey = db.verifierKey();
            String[] flags = {
                "--storage",
                dir.resolve("connected").toString(),
                "--upstream",
                tree.root().toUri().toString(),
                "--sumdb",
                vkey + " " + db.url(),
                "--sign-key",
                dir.resolve("keys/secret.asc").toString(),
                "-q"
            };
            AirGap.granary(join(
                            new String[] {"export", "-o", earlier.toString(), "--module", "example.com/crash@v1.0.0"},
                            flags))
                    .assertOk();
            AirGap.granary(join(
                            new String[] {
                                "export", "-o", snapshot.toString(), "--module", "example.com/crash@all-tagged"
                            },
                            flags))
                    .assertOk();
        }
        id = SnapshotExporter.Previous.read(snapshot).id();
        importInProcess(baseline, earlier);
        before = visible(baseline);
        Path clean = copyOfBaseline();
        importInProcess(clean, snapshot);
        imported = visible(clean);
        assertThat(imported).isNotEqualTo(before);
    }

    @ParameterizedTest(name = "killed {0}")
    @ValueSource(
            strings = {"while-verifying", "staging", "staging-some-written", "publishing", "publishing-some-published"})
    void aKilledImportEndsAsBeforeOrFullyImported(String when) throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            Path inside = copyOfBaseline();
            Process p = startImport(inside);
            boolean hit = waitFor(p, inside, when);
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (!hit) {
                continue; // the import finished before the moment came: try again
            }
            Map<String, String> afterKill = visible(inside);
            if (when.startsWith("publishing")) {
                assertThat(afterKill).as("killed mid-publish: not yet whole").isNotEqualTo(imported);
            }
            // A later start recovers: serve for some, import (of the same snapshot) for others.
            if (when.contains("some")) {
                AirGap.granary(
                                "import",
                                snapshot.toString(),
                                "--keyring",
                                dir.resolve("keys/public.asc").toString(),
                                "--storage",
                                inside.toString(),
                                "--upstream",
                                "off",
                                "--sumdb",
                                vkey,
                                "-q")
                        .assertOk();
                assertThat(visible(inside))
                        .as("recovered by import, then imported")
                        .isEqualTo(imported);
                return;
            }
            TestServers.start(inside, "off", Map.of(ConfigKey.SUMDB, vkey)).close();
            Map<String, String> recovered = visible(inside);
            if (when.startsWith("publishing")) {
                assertThat(recovered)
                        .as("killed while publishing, then recovered by serve")
                        .isEqualTo(imported);
            } else {
                assertThat(recovered)
                        .as("killed before publishing, then recovered by serve")
                        .isEqualTo(before);
            }
            return;
        }
        throw new AssertionError("the import never reached '" + when + "' before finishing");
    }

    /** Waits for the moment to kill at; false when the import ended first. */
    private boolean waitFor(Process p, Path inside, String when) throws Exception {
        Path journal = inside.resolve("snapshots").resolve(id).resolve("journal");
        Predicate<Void> moment = switch (when) {
            case "while-verifying" -> x -> Files.isDirectory(inside) && listStaging(inside) && !Files.exists(journal);
            case "staging" -> x -> journalSays(journal, "staging");
            case "staging-some-written" ->
                x -> journalSays(journal, "staging") && Files.exists(inside.resolve("example.com/crash/@v/v1.0.5.zip"));
            case "publishing" -> x -> journalSays(journal, "publishing");
            case "publishing-some-published" ->
                x -> journalSays(journal, "publishing")
                        && Files.exists(inside.resolve("example.com/crash/@v/v1.0.3.info"));
            default -> throw new IllegalArgumentException(when);
        };
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (moment.test(null)) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    private static boolean journalSays(Path journal, String state) {
        try {
            return Files.readString(journal).contains("\"state\":\"" + state + "\"");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean listStaging(Path inside) {
        try (Stream<Path> s = Files.list(inside)) {
            return s.anyMatch(f -> f.getFileName().toString().startsWith(".tmp-import-"));
        } catch (IOException e) {
            return false;
        }
    }

    private Process startImport(Path inside) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "import",
                snapshot.toString(),
                "--keyring",
                dir.resolve("keys/public.asc").toString(),
                "--storage",
                inside.toString(),
                "--upstream",
                "off",
                "--sumdb",
                vkey,
                "-q"));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("child-" + n++ + ".log").toFile())
                .start();
    }

    private void importInProcess(Path storage, Path snap) {
        AirGap.granary(
                        "import",
                        snap.toString(),
                        "--keyring",
                        dir.resolve("keys/public.asc").toString(),
                        "--storage",
                        storage.toString(),
                        "--upstream",
                        "off",
                        "--sumdb",
                        vkey,
                        "-q")
                .assertOk();
    }

    private Path copyOfBaseline() throws Exception {
        Path copy = dir.resolve("inside-" + n++);
        AirGap.exec(dir, "cp", "-a", baseline.toString(), copy.toString()).assertOk();
        return copy;
    }

    /** The storage as a store shows it: every file but the {@code .tmp-} files a store never lists nor serves. */
    private static Map<String, String> visible(Path storage) throws IOException {
        Map<String, String> all = AirGap.fingerprint(storage);
        all.keySet()
                .removeIf(k -> Stream.of(k.split("/"))
                        .anyMatch(seg -> seg.startsWith(".tmp-") && !seg.startsWith(".tmp-import-")));
        return all;
    }

    private static String[] join(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
