package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Go's own test modules as an upstream, a tampered zip, and running what the go command built. */
final class TestModules {
    private TestModules() {}

    /** rsc.io/quote (three versions, v3, the upper-case path), rsc.io/sampler and golang.org/x/text from Go's testdata. */
    static GoProxyTree upstreamTree(Path root) throws IOException {
        return new GoProxyTree(root)
                .addGoTestModules(
                        "rsc.io_quote_v1.5.2.txt",
                        "rsc.io_quote_v1.5.1.txt",
                        "rsc.io_quote_v1.4.0.txt",
                        "rsc.io_!q!u!o!t!e_v1.5.2.txt",
                        "rsc.io_quote_v3_v3.0.0.txt",
                        "rsc.io_sampler_v1.3.0.txt",
                        "rsc.io_sampler_v1.3.1.txt",
                        "rsc.io_sampler_v1.99.99.txt",
                        "golang.org_x_text_v0.0.0-20170915032832-14c0d48ead0c.txt");
    }

    /** The same zip with one extra line in its first .go file: valid, but a different h1. */
    static byte[] tamper(byte[] zip) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean done = false;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip));
                ZipOutputStream z = new ZipOutputStream(out)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] body = in.readAllBytes();
                if (!done && e.getName().endsWith(".go")) {
                    body = (new String(body, StandardCharsets.UTF_8) + "\n// injected\n")
                            .getBytes(StandardCharsets.UTF_8);
                    done = true;
                }
                z.putNextEntry(new ZipEntry(e.getName()));
                z.write(body);
                z.closeEntry();
            }
        }
        assertThat(done).as("a .go file to tamper with").isTrue();
        return out.toByteArray();
    }

    /** Runs a program the go command built and returns what it printed; it must exit 0. */
    static String runBinary(Path bin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(bin.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
