package dev.granary.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.testing.GoToolchains.Candidate;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the Go toolchains the end-to-end tests run against, and failing loudly when one is missing. */
class GoToolchainsIT {
    @TempDir
    Path tmp;

    @Test
    void findsDebiansGoAndTheCurrentGoWhereItIsInstalledNewestFirst() throws Exception {
        List<GoToolchain> all = GoToolchains.all();
        assertThat(all).isNotEmpty();
        assertThat(all).extracting(GoToolchain::go).contains(GoToolchains.DEBIAN);
        assertThat(GoToolchains.debian().go()).isEqualTo(GoToolchains.DEBIAN);
        assertThat(GoToolchains.debian().binDir())
                .isEqualTo(GoToolchains.DEBIAN.toRealPath().getParent());
        if (Files.exists(GoToolchains.CURRENT)) {
            assertThat(all).extracting(GoToolchain::go).contains(GoToolchains.CURRENT);
            assertThat(all).hasSizeGreaterThanOrEqualTo(2);
        }
        assertThat(all).extracting(GoToolchain::minor).isSortedAccordingTo((a, b) -> Integer.compare(b, a));
        assertThat(all).allSatisfy(t -> {
            assertThat(t.versionLine()).startsWith("go version " + t.version() + " ");
            assertThat(t.binDir().resolve("go")).isExecutable();
            assertThat(t.toString()).startsWith(t.version() + " (");
        });
    }

    @Test
    void theSameToolchainFoundTwiceIsKeptOnce() throws Exception {
        Path real = GoToolchains.DEBIAN.toRealPath();
        Path link = Files.createSymbolicLink(tmp.resolve("go"), real);
        List<GoToolchain> found = GoToolchains.discover(
                List.of(
                        new Candidate(GoToolchains.DEBIAN, true, "debian"),
                        new Candidate(real, true, "the same file"),
                        new Candidate(link, true, "a link to it")),
                1);
        assertThat(found).singleElement().satisfies(t -> assertThat(t.go()).isEqualTo(GoToolchains.DEBIAN));
    }

    @Test
    void aCopyReportingTheSameVersionIsKeptOnce() throws Exception {
        // A second file, a script that answers exactly like Debian's go: same `go version` line.
        String line = GoToolchains.debian().versionLine();
        Path copy = Files.createDirectories(tmp.resolve("copy/bin")).resolve("go");
        Files.writeString(copy, "#!/bin/sh\necho '" + line + "'\n");
        assertThat(copy.toFile().setExecutable(true)).isTrue();
        List<GoToolchain> found = GoToolchains.discover(
                List.of(new Candidate(GoToolchains.DEBIAN, true, "debian"), new Candidate(copy, true, "copy")), 1);
        assertThat(found).singleElement().satisfies(t -> assertThat(t.go()).isEqualTo(GoToolchains.DEBIAN));
    }

    @Test
    void aMissingOrBrokenRequiredToolchainFailsAndAMissingOptionalOneIsSkipped() throws Exception {
        Path missing = tmp.resolve("nowhere/go");
        assertThat(GoToolchains.discover(
                        List.of(
                                new Candidate(missing, false, "optional"),
                                new Candidate(GoToolchains.DEBIAN, true, "debian")),
                        1))
                .hasSize(1);
        assertThatThrownBy(() -> GoToolchains.discover(
                        List.of(
                                new Candidate(missing, true, "listed in GRANARY_TEST_GO"),
                                new Candidate(GoToolchains.DEBIAN, true, "debian")),
                        1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(missing + " is missing (listed in GRANARY_TEST_GO)");

        Path broken = tmp.resolve("broken");
        Files.writeString(broken, "#!/bin/sh\necho 'not a go' >&2\nexit 3\n");
        assertThat(broken.toFile().setExecutable(true)).isTrue();
        // Present but broken fails even where absence would be fine (as for /usr/local/go/bin/go).
        assertThatThrownBy(() -> GoToolchains.discover(
                        List.of(
                                new Candidate(broken, false, "optional"),
                                new Candidate(GoToolchains.DEBIAN, true, "debian")),
                        1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(broken + " does not run")
                .hasMessageContaining("exited 3");
    }

    @Test
    void fewerToolchainsThanRequiredFails() {
        assertThatThrownBy(() -> GoToolchains.discover(List.of(new Candidate(GoToolchains.DEBIAN, true, "debian")), 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("found 1 distinct Go toolchain(s)")
                .hasMessageContaining("where 2 are required");
    }

    @Test
    void extraToolchainsAreBinariesOrDirectories() throws Exception {
        Path goroot = GoToolchains.DEBIAN.toRealPath().getParent().getParent();
        List<Candidate> c =
                GoToolchains.candidates(goroot + File.pathSeparator + " " + File.pathSeparator + "/opt/go/bin/go");
        assertThat(c)
                .extracting(Candidate::go)
                .containsExactly(
                        GoToolchains.CURRENT, GoToolchains.DEBIAN, goroot.resolve("bin/go"), Path.of("/opt/go/bin/go"));
        assertThat(c).extracting(Candidate::required).containsExactly(false, true, true, true);
        assertThat(GoToolchains.candidates(null)).hasSize(2);
    }
}
