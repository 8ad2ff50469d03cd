package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Bounded copying shared by the upstreams. */
final class Limits {
    private Limits() {}

    /**
     * Copies {@code in} to {@code out}, failing with {@code UPSTREAM_FAILED} once more than
     * {@code maxBytes} arrive. Read failures propagate as {@link IOException}s; what {@code out}
     * throws is its own business (a {@link TargetFile} throws storage faults).
     *
     * @param what names the body in the failure message, such as {@code upstream body for m/@v/list}
     */
    static long copy(InputStream in, OutputStream out, long maxBytes, String what) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
            if (total > maxBytes) {
                throw tooLarge(what, maxBytes);
            }
            out.write(buf, 0, n);
        }
        return total;
    }

    static ProxyException tooLarge(String what, long maxBytes) {
        return new ProxyException(Kind.UPSTREAM_FAILED, what + " is larger than " + maxBytes + " bytes");
    }
}
