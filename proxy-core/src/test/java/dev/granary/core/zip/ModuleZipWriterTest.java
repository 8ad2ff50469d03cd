package dev.granary.core.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.Txtar;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** golang.org/x/mod/zip zip_test.go TestCreate (testdata/create), and the vendor rules of Go 1.24. */
class ModuleZipWriterTest {
    @TempDir
    Path tmp;

    private static List<ModuleZipWriter.SourceFile> sources(List<Txtar.File> files) {
        return files.stream()
                .map(f -> new ModuleZipWriter.SourceFile(
                        f.name(),
                        ModuleZipWriter.Kind.REGULAR,
                        f.data().length,
                        () -> new ByteArrayInputStream(f.data())))
                .toList();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "bad_file_path",
                "bad_gomod_case",
                "bad_mod_path",
                "bad_mod_path_version_suffix",
                "bad_version",
                "dup_file",
                "dup_file_and_dir",
                "empty",
                "exclude_cap_go_mod_submodule",
                "exclude_submodule",
                "exclude_vendor",
                "file_case_conflict",
                "go_mod_dir",
                "invalid_utf8_mod_path",
                "simple"
            })
    void createMatchesGo(String test) throws IOException {
        Txtar t = Txtar.load(ModuleZipWriterTest.class, "create/" + test + ".txt");
        String wantErr = t.param("wantErr");
        Path zip = tmp.resolve(test + ".zip");
        if (!wantErr.isEmpty()) {
            assertThatThrownBy(() -> ModuleZipWriter.create(
                            ModuleVersion.of(t.param("path"), t.param("version")), sources(t.files()), zip))
                    .isInstanceOf(ProxyException.class)
                    .hasMessageContaining(wantErr);
            return;
        }
        ModuleVersion mv = ModuleVersion.of(t.param("path"), t.param("version"));
        ModuleZipWriter.create(mv, sources(t.files()), zip);
        assertThat(ModuleZips.check(zip, mv).h1()).isEqualTo(t.param("hash"));
    }

    @ParameterizedTest
    @CsvSource({
        "vendor/modules.txt, '', false",
        "vendor/modules.txt, 1.23, false",
        "vendor/modules.txt, 1.24, true",
        "vendor/a/b.go, '', true",
        "vendor/a.go, '', false",
        "pkg/vendor/vendor.go, 1.23, true",
        "pkg/vendor/vendor.go, 1.24, false",
        "pkg/vendor/x/y.go, 1.24, true",
        "x/y/vendor/z.go, 1.16, true",
        "x/y/vendor/z.go, 1.24.1, false",
    })
    void vendoredPackagesFollowTheModulesGoVersion(String name, String goVersion, boolean vendored) {
        assertThat(ModuleZipWriter.isVendoredPackage(name, goVersion)).isEqualTo(vendored);
    }

    @Test
    void symlinksAndNonRegularFilesAreLeftOut() throws IOException {
        ModuleVersion mv = ModuleVersion.of("example.com/m", "v1.0.0");
        byte[] go = "package m\n".getBytes();
        List<ModuleZipWriter.SourceFile> files = List.of(
                new ModuleZipWriter.SourceFile(
                        "m.go", ModuleZipWriter.Kind.REGULAR, go.length, () -> new ByteArrayInputStream(go)),
                new ModuleZipWriter.SourceFile(
                        "link.go", ModuleZipWriter.Kind.SYMLINK, 4, () -> new ByteArrayInputStream("m.go".getBytes())),
                new ModuleZipWriter.SourceFile(
                        "fifo", ModuleZipWriter.Kind.OTHER, 0, () -> new ByteArrayInputStream(new byte[0])));
        Path zip = tmp.resolve("m.zip");
        assertThat(ModuleZipWriter.create(mv, files, zip)).isEqualTo(1);
        assertThat(ModuleZips.check(zip, mv).fileCount()).isEqualTo(1);
    }

    @Test
    void aFileLongerThanDeclaredFails() {
        byte[] go = "package m\n".getBytes();
        List<ModuleZipWriter.SourceFile> files = List.of(new ModuleZipWriter.SourceFile(
                "m.go", ModuleZipWriter.Kind.REGULAR, 3, () -> new ByteArrayInputStream(go)));
        assertThatThrownBy(() -> ModuleZipWriter.create(
                        ModuleVersion.of("example.com/m", "v1.0.0"), files, tmp.resolve("z.zip")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("larger than declared size");
    }
}
