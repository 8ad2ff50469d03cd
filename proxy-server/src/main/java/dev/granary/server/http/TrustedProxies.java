package dev.granary.server.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The load balancers and ingresses whose {@code X-Forwarded-For} names the client: a rate per client
 * address means little when every request comes from the ingress. The client is the right-most
 * address of the header that is not itself a trusted proxy (entries further left could be forged by
 * the client). Addresses or CIDR ranges, comma-separated: {@code 10.0.0.0/8,192.168.1.5,fd00::/8}.
 */
final class TrustedProxies {
    private record Range(byte[] network, int bits) {
        boolean contains(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Range> ranges;

    private TrustedProxies(List<Range> ranges) {
        this.ranges = ranges;
    }

    /** @throws IllegalArgumentException naming an entry that is not an IP address or CIDR range */
    static TrustedProxies parse(String text) {
        List<Range> out = new ArrayList<>();
        if (text != null) {
            for (String raw : text.split("[,\\s]+")) {
                if (raw.isEmpty()) {
                    continue;
                }
                int slash = raw.indexOf('/');
                byte[] addr = literal(slash < 0 ? raw : raw.substring(0, slash), raw);
                int bits = addr.length * 8;
                if (slash >= 0) {
                    try {
                        bits = Integer.parseInt(raw.substring(slash + 1));
                    } catch (NumberFormatException e) {
                        bits = -1;
                    }
                    if (bits < 0 || bits > addr.length * 8) {
                        throw new IllegalArgumentException("'" + raw + "' is not a CIDR range");
                    }
                }
                out.add(new Range(addr, bits));
            }
        }
        return new TrustedProxies(List.copyOf(out));
    }

    /** Only IP literals: a host name here would make every request wait for DNS. */
    private static byte[] literal(String s, String entry) {
        boolean v4 = s.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
        boolean v6 = s.contains(":") && s.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
        if (s.isEmpty() || !(v4 || v6)) {
            throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range");
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range", e);
        }
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    boolean trusts(InetAddress a) {
        byte[] b = a.getAddress();
        return ranges.stream().anyMatch(r -> r.contains(b));
    }

    /** The client behind {@code peer}: the peer itself unless it is trusted and forwarded the request. */
    InetAddress client(InetAddress peer, String forwardedFor) {
        if (peer == null || forwardedFor == null || ranges.isEmpty() || !trusts(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        InetAddress client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            String h = hops[i].strip();
            InetAddress a;
            try {
                a = InetAddress.getByAddress(literal(h, h));
            } catch (IllegalArgumentException | UnknownHostException e) {
                return client; // garbage in the header: the last address we could trust
            }
            client = a;
            if (!trusts(a)) {
                return a;
            }
        }
        return client;
    }
}
