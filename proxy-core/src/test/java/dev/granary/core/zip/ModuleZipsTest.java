package dev.granary.core.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.Txtar;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * golang.org/x/mod/zip zip_test.go: TestCheckZip (testdata/check_zip), TestUnzip (testdata/unzip, whose
 * verdicts come from the same checkZip) and the size limits; plus hostile zips Go's tests do not cover.
 */
class ModuleZipsTest {

    static final ModuleVersion M = ModuleVersion.of("example.com/m", "v1.0.0");
    static final String P = "example.com/m@v1.0.0/";

    @TempDir
    Path tmp;

    private Path write(byte[] zip) throws IOException {
        Path file = Files.createTempFile(tmp, "m", ".zip");
        Files.write(file, zip);
        return file;
    }

    private static ProxyException verificationFailure(Throwable t) {
        assertThat(t).isInstanceOf(ProxyException.class);
        ProxyException e = (ProxyException) t;
        assertThat(e.kind()).isEqualTo(ProxyException.Kind.VERIFICATION_FAILED);
        return e;
    }

    // --- golang.org/x/mod/zip/testdata/check_zip ---

    @ParameterizedTest
    @ValueSource(strings = {"empty", "various"})
    void checkZipReportsLikeGo(String test) throws IOException {
        Txtar t = Txtar.load(ModuleZipsTest.class, "checkzip/" + test + ".txt");
        String want = t.file("want").text();
        List<Txtar.File> files =
                t.files().stream().filter(f -> !f.name().equals("want")).toList();
        ModuleVersion mv = ModuleVersion.of(t.param("path"), t.param("version"));
        Path zip = write(Txtar.zip(files));

        List<ModuleZips.Entry> entries = new ArrayList<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
                ZipEntry ze = e.nextElement();
                entries.add(new ModuleZips.Entry(ze.getName(), ze.getSize()));
            }
        }
        ModuleZips.CheckedFiles cf = ModuleZips.checkEntries(mv, entries);
        // zip_test.go formatCheckedFiles
        String got = "valid:\n" + cf.valid().stream().map(v -> v + "\n").collect(Collectors.joining())
                + "\nomitted:\n\ninvalid:\n"
                + cf.invalid().stream().map(v -> v + "\n").collect(Collectors.joining());
        assertThat(got).isEqualTo(want);

        if (cf.invalid().isEmpty()) {
            assertThat(ModuleZips.check(zip, mv).fileCount())
                    .isEqualTo(cf.valid().size());
        } else {
            assertThatThrownBy(() -> ModuleZips.check(zip, mv))
                    .satisfies(e -> verificationFailure(e))
                    .hasMessageContaining(cf.invalid().get(0).toString());
        }
    }

    // --- golang.org/x/mod/zip/testdata/unzip ---

    @ParameterizedTest
    @ValueSource(
            strings = {
                "bad_file_path",
                "bad_gomod_case",
                "bad_mod_path",
                "bad_mod_path_version_suffix",
                "bad_submodule",
                "bad_version",
                "cap_go_mod_not_submodule",
                "dup_file",
                "dup_file_and_dir",
                "empty",
                "file_case_conflict",
                "go_mod_dir",
                "invalid_utf8_mod_path",
                "prefix_only",
                "simple"
            })
    void unzipVerdictsAndHashesAgreeWithGo(String test) throws IOException {
        Txtar t = Txtar.load(ModuleZipsTest.class, "unzip/" + test + ".txt");
        String wantErr = t.param("wantErr");
        Path zip = write(Txtar.zip(t.files()));
        if (!wantErr.isEmpty()) {
            // An invalid module path or version is refused before the zip is opened (ModuleVersion.of).
            assertThatThrownBy(() -> ModuleZips.check(zip, ModuleVersion.of(t.param("path"), t.param("version"))))
                    .isInstanceOf(ProxyException.class)
                    .hasMessageContaining(wantErr);
            return;
        }
        ZipCheck result = ModuleZips.check(zip, ModuleVersion.of(t.param("path"), t.param("version")));
        // Go hashes the extracted directory; with no directory entries in the zip that is the zip's hash.
        assertThat(result.h1()).isEqualTo(t.param("hash"));
        assertThat(result.fileCount()).isEqualTo(t.files().size());
        assertThat(result.uncompressedSize())
                .isEqualTo(t.files().stream().mapToLong(f -> f.data().length).sum());
        Txtar.File goMod = t.file(t.param("path") + "@" + t.param("version") + "/go.mod");
        assertThat(result.goMod().map(b -> new String(b, StandardCharsets.UTF_8)))
                .isEqualTo(Optional.ofNullable(goMod).map(Txtar.File::text));
    }

    // --- zip_test.go sizeLimitTests, on declared sizes (Go builds real 500 MiB zips for these) ---

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            one_large         | large.go | 524288000            |
            one_too_large     | large.go | 524288001            | total uncompressed size of module contents too large
            large_gomod       | go.mod   | 16777216             |
            too_large_gomod   | go.mod   | 16777217             | go.mod file too large
            large_license     | LICENSE  | 16777216             |
            too_large_license | LICENSE  | 16777217             | LICENSE file too large
            negative          | neg.go   | -9223372036854775808 | total uncompressed size of module contents too large
            """)
    void sizeLimits(String desc, String name, long size, String wantErr) {
        ModuleZips.CheckedFiles cf = ModuleZips.checkEntries(
                ModuleVersion.of("example.com/large", "v1.0.0"),
                List.of(new ModuleZips.Entry("example.com/large@v1.0.0/" + name, size)));
        String err = cf.sizeError() != null
                ? cf.sizeError()
                : cf.invalid().isEmpty() ? null : cf.invalid().get(0).reason();
        if (wantErr == null) {
            assertThat(err).as(desc).isNull();
        } else {
            assertThat(err).as(desc).contains(wantErr);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            total_large     | 524287990 |
            total_too_large | 524287991 | total uncompressed size of module contents too large
            """)
    void totalSizeLimit(String desc, long large, String wantErr) {
        ModuleZips.CheckedFiles cf = ModuleZips.checkEntries(
                ModuleVersion.of("example.com/large", "v1.0.0"),
                List.of(
                        new ModuleZips.Entry("example.com/large@v1.0.0/small.go", 10),
                        new ModuleZips.Entry("example.com/large@v1.0.0/large.go", large)));
        if (wantErr == null) {
            assertThat(cf.sizeError()).as(desc).isNull();
        } else {
            assertThat(cf.sizeError()).as(desc).contains(wantErr);
        }
    }

    @Test
    void goModAtTheLimitIsReadAndOneByteMoreIsRefused() throws IOException {
        char[] big = new char[(int) ModuleZips.MAX_GO_MOD];
        Arrays.fill(big, 'x');
        String atLimit = new String(big);
        ZipCheck ok = ModuleZips.check(write(ZipFixtures.zip(P + "go.mod", atLimit)), M);
        assertThat(ok.goMod()).hasValueSatisfying(b -> assertThat(b).hasSize((int) ModuleZips.MAX_GO_MOD));

        Path tooBig = write(ZipFixtures.zip(P + "go.mod", atLimit + "x"));
        assertThatThrownBy(() -> ModuleZips.check(tooBig, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessage("example.com/m@v1.0.0: invalid module zip: example.com/m@v1.0.0/go.mod: "
                        + "go.mod file too large (max size is 16777216 bytes)");
    }

    // --- what a hostile upstream could send ---

    @Test
    void zipBombIsStoppedAtItsDeclaredSize() throws IOException {
        // 64 MiB of zeros deflate to ~64 KiB; the central directory claims 10 bytes.
        byte[] honest = Txtar.zip(List.of(new Txtar.File(P + "bomb.go", new byte[64 << 20])));
        Path bomb = write(ZipFixtures.forgeSize(honest, P + "bomb.go", 10));
        assertThat(Files.size(bomb)).isLessThan(1 << 20);
        assertThatThrownBy(() -> ModuleZips.check(bomb, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessageContaining(
                        "uncompressed size of file example.com/m@v1.0.0/bomb.go is larger than declared size (10 bytes)");
    }

    @Test
    void declaredSizesBeyondTheLimitAreRefusedBeforeInflating() throws IOException {
        byte[] zip = ZipFixtures.zip(P + "a.go", "package a\n", P + "b.go", "package b\n", P + "c.go", "package c\n");
        zip = ZipFixtures.forgeSize(zip, P + "a.go", 200L << 20);
        zip = ZipFixtures.forgeSize(zip, P + "b.go", 200L << 20);
        zip = ZipFixtures.forgeSize(zip, P + "c.go", 200L << 20);
        Path file = write(zip);
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessage("example.com/m@v1.0.0: total uncompressed size of module contents too large "
                        + "(max size is 524288000 bytes)");
    }

    @Test
    void contentShorterThanDeclaredIsRefused() throws IOException {
        Path file = write(ZipFixtures.forgeSize(ZipFixtures.zip(P + "a.go", "package a\n"), P + "a.go", 1000));
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessageContaining("uncompressed size of file example.com/m@v1.0.0/a.go is smaller than declared");
    }

    @Test
    void wrongChecksumIsRefused() throws IOException {
        Path file = write(ZipFixtures.forgeCrc(ZipFixtures.zip(P + "a.go", "package a\n"), P + "a.go", 0x12345678));
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessageContaining("checksum error in file example.com/m@v1.0.0/a.go");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 10, 100, 200})
    void truncatedZipIsRefused(int keep) throws IOException {
        byte[] zip = ZipFixtures.zip(P + "go.mod", "module example.com/m\n", P + "a.go", "package a\n");
        Path file = write(Arrays.copyOf(zip, Math.min(keep, zip.length - 1)));
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessageStartingWith("corrupt or truncated zip file ");
    }

    @Test
    void zipCutBeforeItsEndIsRefused() throws IOException {
        byte[] zip = ZipFixtures.zip(P + "go.mod", "module example.com/m\n", P + "a.go", "package a\n");
        Path file = write(Arrays.copyOf(zip, zip.length - 5));
        assertThatThrownBy(() -> ModuleZips.check(file, M)).satisfies(e -> verificationFailure(e));
    }

    @Test
    void corruptCompressedDataIsRefused() throws IOException {
        Random random = new Random(7);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append(Integer.toString(random.nextInt(), 36)).append(' ');
        }
        byte[] zip = ZipFixtures.zip(P + "a.go", text.toString());
        for (int i = 200; i < 260; i++) {
            zip[i] ^= (byte) 0x5A;
        }
        Path file = write(zip);
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessageContaining("a.go");
    }

    @Test
    void somethingElseThanAZipIsRefused() throws IOException {
        Path file = tmp.resolve("html.zip");
        Files.writeString(file, "<html>rate limited</html>");
        assertThatThrownBy(() -> ModuleZips.check(file, M)).satisfies(e -> verificationFailure(e));
    }

    @Test
    void aMissingFileIsAnIoError() {
        assertThatThrownBy(() -> ModuleZips.check(tmp.resolve("absent.zip"), M))
                .isInstanceOf(NoSuchFileException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            example.com/m@v1.0.0/../evil.go    | example.com/m@v1.0.0/../evil.go: malformed file path "../evil.go": invalid path element ".."
            example.com/m@v1.0.0/a/../../x.go  | example.com/m@v1.0.0/a/../../x.go: file path is not clean
            example.com/m@v1.0.0/./x.go        | example.com/m@v1.0.0/./x.go: file path is not clean
            ../../etc/passwd                   | ../../etc/passwd: path does not have prefix "example.com/m@v1.0.0/"
            /etc/passwd                        | /etc/passwd: path does not have prefix "example.com/m@v1.0.0/"
            example.com/m@v1.0.0//etc/passwd   | example.com/m@v1.0.0//etc/passwd: malformed file path "/etc/passwd": empty path element
            example.com/m@v1.0.0/..\\evil.go   | example.com/m@v1.0.0/..\\evil.go: malformed file path "..\\\\evil.go": invalid char '\\\\'
            example.com/m@v1.0.0/c:/x.go       | example.com/m@v1.0.0/c:/x.go: malformed file path "c:/x.go": invalid char ':'
            example.com/m@v1.0.0/x/NUL.txt     | example.com/m@v1.0.0/x/NUL.txt: malformed file path "x/NUL.txt": "NUL" disallowed as path element component on Windows
            example.com/m@v1.0.0               | example.com/m@v1.0.0: path does not have prefix "example.com/m@v1.0.0/"
            example.com/m@v1.0.1/a.go          | example.com/m@v1.0.1/a.go: path does not have prefix "example.com/m@v1.0.0/"
            """)
    void entriesOutsideTheModuleAreRefused(String name, String message) throws IOException {
        Path file = write(ZipFixtures.zip(P + "ok.go", "package ok\n", name, "x"));
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessage("example.com/m@v1.0.0: invalid module zip: " + message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            A.go      | a.go      | case-insensitive file name collision: "A.go" and "a.go"
            K.go      | \u212A.go | case-insensitive file name collision: "K.go" and "\u212A.go"
            dir/a.go  | DIR/b.go  | case-insensitive file name collision: "dir" and "DIR"
            a.go      | a.go/b.go | entry "a.go" is both a file and a directory
            x.go      | x.go      | multiple entries for file "x.go"
            """)
    void collisionsAreRefused(String first, String second, String reason) throws IOException {
        Path file = write(ZipFixtures.zip(P + first, "1", P + second, "2"));
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessage("example.com/m@v1.0.0: invalid module zip: " + P + second + ": " + reason);
    }

    @Test
    void dotlessIAndIAreDifferentNamesAsInGo() throws IOException {
        ZipCheck r = ModuleZips.check(write(ZipFixtures.zip(P + "i.go", "1", P + "\u0131.go", "2")), M);
        assertThat(r.fileCount()).isEqualTo(2);
    }

    @Test
    void goModOnlyCountsAtTheRoot() throws IOException {
        Path nested = write(ZipFixtures.zip(P + "go.mod", "module example.com/m\n", P + "sub/go.mod", "module x\n"));
        assertThatThrownBy(() -> ModuleZips.check(nested, M))
                .hasMessage("example.com/m@v1.0.0: invalid module zip: example.com/m@v1.0.0/sub/go.mod: "
                        + "go.mod file not in module root directory");
        Path upper = write(ZipFixtures.zip(P + "Go.Mod", "module example.com/m\n"));
        assertThatThrownBy(() -> ModuleZips.check(upper, M))
                .hasMessageEndingWith("Go.Mod: go.mod files must have lowercase names");
        ZipCheck none = ModuleZips.check(write(ZipFixtures.zip(P + "a.go", "package a\n")), M);
        assertThat(none.goMod()).isEmpty();
    }

    @Test
    void whatCreateWouldOmitIsStillAcceptedAsCheckZipDoes() throws IOException {
        // Create omits vendored packages and .hg_archival.txt, but CheckZip does not refuse them.
        ZipCheck r = ModuleZips.check(
                write(ZipFixtures.zip(
                        P + "go.mod", "module example.com/m\n",
                        P + "vendor/modules.txt", "# x\n",
                        P + "vendor/example.org/x/x.go", "package x\n",
                        P + ".hg_archival.txt", "repo: x\n")),
                M);
        assertThat(r.fileCount()).isEqualTo(4);
    }

    @Test
    void manyInvalidFilesAreAllNamedUpToALimit() throws IOException {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            args.add(P + "bad" + i + "*.go");
            args.add("x");
        }
        Path file = write(ZipFixtures.zip(args.toArray(String[]::new)));
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .hasMessageStartingWith("example.com/m@v1.0.0: invalid module zip: 25 invalid files:\n"
                        + "example.com/m@v1.0.0/bad0*.go: malformed file path \"bad0*.go\": invalid char '*'\n")
                .hasMessageEndingWith("\n... and 5 more");
    }

    @Test
    void directoryEntriesAreAllowedAndHashedAsEmptyFiles() throws IOException {
        byte[] zip = ZipFixtures.zip(P, "", P + "sub/", "", P + "sub/a.go", "package a\n");
        ZipCheck r = ModuleZips.check(write(zip), M);
        assertThat(r.fileCount()).isEqualTo(1);
        // dirhash.HashZip hashes every entry name, directories with empty content.
        List<String> names = List.of(P, P + "sub/", P + "sub/a.go");
        String want = Dirhash.hash1(
                names,
                n -> new ByteArrayInputStream(
                        n.endsWith("/") ? new byte[0] : "package a\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.h1()).isEqualTo(want).isEqualTo(Dirhash.hashZip(write(zip)));
    }

    @Test
    void zipFileLargerThanTheLimitIsRefusedUnread() throws IOException {
        Path file = tmp.resolve("huge.zip");
        try (var ch = FileChannel.open(
                file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), ModuleZips.MAX_ZIP_FILE);
        }
        assertThatThrownBy(() -> ModuleZips.check(file, M))
                .satisfies(e -> verificationFailure(e))
                .hasMessage(
                        "example.com/m@v1.0.0: module zip file is too large (524288001 bytes; limit is 524288000 bytes)");
    }

    @Test
    void hashIsIndependentOfEntryOrder() throws IOException {
        List<String> args = new ArrayList<>(List.of(P + "b.go", P + "a.go", P + "go.mod", P + "z/z.go"));
        ZipCheck first = ModuleZips.check(
                write(ZipFixtures.zip(
                        args.get(0), "b", args.get(1), "a", args.get(2), "module example.com/m\n", args.get(3), "z")),
                M);
        Collections.reverse(args);
        ZipCheck second = ModuleZips.check(
                write(ZipFixtures.zip(
                        args.get(0), "z", args.get(1), "module example.com/m\n", args.get(2), "a", args.get(3), "b")),
                M);
        assertThat(first.h1()).isEqualTo(second.h1());
    }
}
