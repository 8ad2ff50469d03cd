package dev.granary.server.http;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open client connections, in total and per client address, and turns the excess away at once
 * with a 503 instead of leaving it to wait: slow or greedy clients cannot take every connection (or
 * every file descriptor) and lock everybody else out.
 *
 * <p>The total is also kept within the process's open-file limit: each connection may hold a socket
 * and an open file (a zip being sent), a few sockets are being turned away at any moment, and some
 * descriptors stay in reserve for storage and upstreams. The {@link AcceptGate} on the listening
 * socket stops accepting for the moment all those sockets are in use, so accept never fails for want
 * of a descriptor (which would leave new clients waiting in the kernel's queue).
 */
final class ConnectionLimits {
    /** Descriptors kept for everything but client connections (storage, upstreams, the JVM's own). */
    static final int RESERVED_DESCRIPTORS = 64;
    /** Sockets that may be in the middle of being turned away at once (each answered 503 and closed within moments). */
    static final int REFUSING = 48;
    /** Of those, how many may linger (read what the client still sends, so the 503 is not lost to a reset). */
    private static final int MAX_LINGERING_REFUSALS = 16;

    private static final long REFUSAL_LINGER_MILLIS = 1000;

    /** Why a connection was refused, as the metric tag says it. */
    static final String SERVER_LIMIT = "server-limit";

    static final String CLIENT_LIMIT = "client-limit";

    private final int max;
    private final int perClient;
    /** Admitted connections not yet closed. */
    private final AtomicInteger open = new AtomicInteger();
    /** Accepted sockets not yet closed: the admitted ones and those being turned away. */
    private final AtomicInteger sockets = new AtomicInteger();

    private final ConcurrentHashMap<InetAddress, Integer> byAddress = new ConcurrentHashMap<>();
    private final AtomicInteger lingering = new AtomicInteger();

    /**
     * @param max       most connections open at once
     * @param perClient most connections from one address at once; 0 for no per-address limit
     */
    ConnectionLimits(int max, int perClient) {
        this.max = max;
        this.perClient = perClient == 0 ? Integer.MAX_VALUE : Math.min(perClient, max);
    }

    int max() {
        return max;
    }

    int perClient() {
        return perClient;
    }

    int open() {
        return open.get();
    }

    /**
     * The connection limit that fits the open-file limit: {@code configured}, lowered when the
     * descriptors not yet in use, less the reserve and the sockets being turned away, cannot hold two
     * per connection.
     */
    static int fitToDescriptors(int configured) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (!(os instanceof UnixOperatingSystemMXBean unix)) {
            return configured;
        }
        long free =
                unix.getMaxFileDescriptorCount() - unix.getOpenFileDescriptorCount() - RESERVED_DESCRIPTORS - REFUSING;
        return (int) Math.max(1, Math.min(configured, free / 2));
    }

    /**
     * Takes a slot for a new connection, given back when it closes.
     *
     * @return null when admitted, else why not ({@link #SERVER_LIMIT} or {@link #CLIENT_LIMIT})
     */
    String admit(Channel ch) {
        InetAddress address = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (address != null && perClient != Integer.MAX_VALUE) {
            boolean[] full = {false};
            byAddress.compute(address, (k, n) -> {
                int c = n == null ? 0 : n;
                if (c >= perClient) {
                    full[0] = true;
                    return n;
                }
                return c + 1;
            });
            if (full[0]) {
                return CLIENT_LIMIT;
            }
        }
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            releaseAddress(address);
            return SERVER_LIMIT;
        }
        ch.closeFuture().addListener((ChannelFutureListener) f -> {
            open.decrementAndGet();
            releaseAddress(address);
        });
        return null;
    }

    private void releaseAddress(InetAddress address) {
        if (address != null && perClient != Integer.MAX_VALUE) {
            byAddress.compute(address, (k, n) -> n == null || n <= 1 ? null : n - 1);
        }
    }

    /** The 503 a refused connection gets, and why. */
    String reason(String why) {
        return why.equals(CLIENT_LIMIT)
                ? "too many connections from your address (limit " + perClient + "); try again later"
                : "too many connections (limit " + max + "); try again later";
    }

    /**
     * On the listening socket: counts every accepted socket until it closes, and stops accepting while
     * as many are open as the limits allow (admitted plus being turned away); accepting resumes as soon
     * as one closes. Accepted sockets get their answer (or their 503) within moments, so nobody waits
     * long in the kernel's queue.
     */
    final class AcceptGate extends ChannelInboundHandlerAdapter {
        private boolean paused;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                Channel server = ctx.channel();
                if (sockets.incrementAndGet() >= max + REFUSING && !paused) {
                    paused = true;
                    server.config().setAutoRead(false);
                }
                child.closeFuture().addListener(f -> {
                    if (sockets.decrementAndGet() < max + REFUSING) {
                        server.eventLoop().execute(() -> resume(server));
                    }
                });
            }
            ctx.fireChannelRead(msg);
        }

        private void resume(Channel server) {
            if (paused && sockets.get() < max + REFUSING) {
                paused = false;
                server.config().setAutoRead(true);
            }
        }
    }

    /**
     * The whole pipeline of a refused connection: answers 503 as soon as it is connected, then closes,
     * after a short linger while few others linger.
     */
    final class Refuser extends ChannelInboundHandlerAdapter {
        private final Response answer;
        private final ResponseWriter writer;

        Refuser(Response answer, ResponseWriter writer) {
            this.answer = answer;
            this.writer = writer;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            writer.writeAlone(ch, answer).addListener((ChannelFutureListener) f -> {
                boolean linger = f.isSuccess() && ch instanceof DuplexChannel;
                if (linger && lingering.incrementAndGet() > MAX_LINGERING_REFUSALS) {
                    lingering.decrementAndGet();
                    linger = false;
                }
                if (!linger) {
                    ch.close();
                    return;
                }
                ch.closeFuture().addListener(c -> lingering.decrementAndGet());
                ((DuplexChannel) ch).shutdownOutput();
                ch.eventLoop().schedule(() -> ch.close(), REFUSAL_LINGER_MILLIS, TimeUnit.MILLISECONDS);
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
