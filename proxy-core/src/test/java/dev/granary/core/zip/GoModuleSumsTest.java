package dev.granary.core.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.Txtar;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The go command's test modules (cmd/go/testdata/mod/*.txt), zipped as its test proxy serves them, against the
 * h1 hashes and CheckZip verdicts computed by golang.org/x/mod itself (src/test/go/gensums).
 */
class GoModuleSumsTest {

    @TempDir
    Path tmp;

    /** One line of gomod-sums.tsv. */
    record Expected(String file, String path, String version, String zipH1, String goModH1, String verdict) {
        @Override
        public String toString() {
            return file;
        }
    }

    static List<Expected> sums() throws IOException {
        try (InputStream in = GoModuleSumsTest.class.getResourceAsStream("gomod-sums.tsv")) {
            List<Expected> rows = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                rows.add(new Expected(f[0], f[1], f[2], f[3], f[4], f[5]));
            }
            return rows;
        }
    }

    @Test
    void allModulesAreCovered() throws IOException {
        assertThat(sums()).hasSize(167);
        assertThat(sums().stream().filter(e -> !e.verdict().equals("ok"))).hasSize(8);
    }

    @ParameterizedTest
    @MethodSource("sums")
    void hashesAndVerdictAgreeWithGo(Expected e) throws IOException {
        Txtar t = Txtar.load(GoModuleSumsTest.class, "gomod/" + e.file());

        // The file name is the escaped path (slashes as underscores) and the escaped version.
        String base = e.file().substring(0, e.file().length() - ".txt".length());
        int cut = base.lastIndexOf('_');
        assertThat(ModuleEscaping.unescapePath(base.substring(0, cut).replace('_', '/')))
                .isEqualTo(e.path());
        assertThat(ModuleEscaping.unescapeVersion(base.substring(cut + 1))).isEqualTo(e.version());

        // cmd/go/proxy_test.go: every file but .info/.mod/.zip, prefixed, or used as is when it starts with "/".
        List<Txtar.File> files = new ArrayList<>();
        for (Txtar.File f : t.files()) {
            if (f.name().equals(".info") || f.name().equals(".mod") || f.name().equals(".zip")) {
                continue;
            }
            String name =
                    f.name().startsWith("/") ? f.name().substring(1) : e.path() + "@" + e.version() + "/" + f.name();
            files.add(new Txtar.File(name, f.data()));
        }
        Path zip = tmp.resolve("m.zip");
        Files.write(zip, Txtar.zip(files));

        assertThat(Dirhash.hashZip(zip)).isEqualTo(e.zipH1());
        if (!e.goModH1().equals("-")) {
            assertThat(Dirhash.hashGoMod(t.file(".mod").data())).isEqualTo(e.goModH1());
        }

        if (e.verdict().equals("ok")) {
            ZipCheck r = ModuleZips.check(zip, ModuleVersion.of(e.path(), e.version()));
            assertThat(r.h1()).isEqualTo(e.zipH1());
            assertThat(r.fileCount()).isEqualTo(files.size());
            Txtar.File goMod = t.file("go.mod");
            assertThat(r.goMod().map(b -> new String(b, StandardCharsets.UTF_8)))
                    .isEqualTo(Optional.ofNullable(goMod).map(Txtar.File::text));
        } else {
            String firstReason = e.verdict().split("\\\\n")[0];
            assertThatThrownBy(() -> ModuleZips.check(zip, ModuleVersion.of(e.path(), e.version())))
                    .isInstanceOf(ProxyException.class)
                    .hasMessageContaining(firstReason);
        }
    }
}
