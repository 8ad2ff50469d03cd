package dev.granary.core.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.testing.Txtar;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** golang.org/x/mod/sumdb/dirhash hash_test.go, and the go.sum go.mod hash. */
class DirhashTest {

    @TempDir
    Path tmp;

    static String h(String s) throws NoSuchAlgorithmException {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static String htop(String k, String s) throws NoSuchAlgorithmException {
        return k + ":"
                + Base64.getEncoder()
                        .encodeToString(
                                MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void hash1() throws Exception {
        IOFunction<String, InputStream> open =
                name -> new ByteArrayInputStream(("data for " + name).getBytes(StandardCharsets.UTF_8));
        String want = htop("h1", h("data for abc") + "  abc\n" + h("data for xyz") + "  xyz\n");
        assertThat(Dirhash.hash1(List.of("xyz", "abc"), open)).isEqualTo(want);

        assertThatThrownBy(() -> Dirhash.hash1(List.of("xyz", "a\nbc"), open))
                .isInstanceOfSatisfying(
                        ProxyException.class,
                        e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.VERIFICATION_FAILED));
    }

    @Test
    void hashZip() throws Exception {
        Path zip = tmp.resolve("x.zip");
        Files.write(
                zip,
                Txtar.zip(List.of(
                        new Txtar.File("prefix/xyz", "data for xyz".getBytes(StandardCharsets.UTF_8)),
                        new Txtar.File("prefix/abc", "data for abc".getBytes(StandardCharsets.UTF_8)))));
        String want = htop("h1", h("data for abc") + "  prefix/abc\n" + h("data for xyz") + "  prefix/xyz\n");
        assertThat(Dirhash.hashZip(zip)).isEqualTo(want);
    }

    @Test
    void namesSortInUtf8ByteOrderNotUtf16Order() throws Exception {
        // U+FF21 (3 UTF-8 bytes, one UTF-16 unit 0xFF21) sorts before U+1F600 (4 bytes, surrogates 0xD83D...).
        String bmp = "\uFF21";
        String astral = "\uD83D\uDE00";
        IOFunction<String, InputStream> open = name -> new ByteArrayInputStream(new byte[0]);
        String want = htop("h1", h("") + "  " + bmp + "\n" + h("") + "  " + astral + "\n");
        assertThat(Dirhash.hash1(List.of(astral, bmp), open)).isEqualTo(want);
    }

    @Test
    void hashGoModMatchesGoSum() {
        // go.sum lines written by the go command itself in Go 1.19's cmd/go/testdata/script/*.txt.
        byte[] quote = Txtar.load(DirhashTest.class, "gomod/rsc.io_quote_v1.5.2.txt")
                .file(".mod")
                .data();
        assertThat(Dirhash.hashGoMod(quote)).isEqualTo("h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=");
        byte[] sampler = Txtar.load(DirhashTest.class, "gomod/rsc.io_sampler_v1.3.0.txt")
                .file(".mod")
                .data();
        assertThat(Dirhash.hashGoMod(sampler)).isEqualTo("h1:T1hPZKmBbMNahiBKFy5HrXp6adAjACjK9JXDnKaTXpA=");
    }

    @Test
    void aMissingZipIsAnIoError() {
        assertThatThrownBy(() -> Dirhash.hashZip(tmp.resolve("absent.zip"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aCorruptZipIsAVerificationFailure() throws IOException {
        Path zip = tmp.resolve("bad.zip");
        Files.writeString(zip, "this is not a zip file");
        assertThatThrownBy(() -> Dirhash.hashZip(zip))
                .isInstanceOfSatisfying(
                        ProxyException.class,
                        e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.VERIFICATION_FAILED));
    }
}
