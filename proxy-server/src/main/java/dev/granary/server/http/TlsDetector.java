package dev.granary.server.http;

import dev.granary.server.tls.TlsContexts;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * First on a TLS listener: looks at the first bytes a client sends. A TLS record puts the
 * {@link SslHandler} in its place (with the contexts in force now, so a reloaded certificate is
 * served to every connection accepted after the reload); anything else, most likely a plain HTTP
 * request from a client configured with {@code http://}, is answered 400 "use https" in plain text
 * and closed, so the user reads the mistake instead of a reset or garbage. A client that sends
 * nothing is closed after the header timeout.
 */
final class TlsDetector extends ByteToMessageDecoder {
    /** Enough to tell a TLS record header (RFC 8446 section 5.1) from an HTTP method. */
    private static final int PEEK = 5;

    private final HttpEdge edge;
    private final TlsContexts tls;
    private final Runnable afterTls;
    private ScheduledFuture<?> deadline;
    private boolean refused;

    /** @param afterTls adds what goes after the TLS handler (ALPN negotiation) */
    TlsDetector(HttpEdge edge, TlsContexts tls, Runnable afterTls) {
        this.edge = edge;
        this.tls = tls;
        this.afterTls = afterTls;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor()
                .schedule(
                        () -> {
                            if (ctx.channel().isActive() && !refused) {
                                edge.metrics().connectionTimeout("header");
                                ctx.close();
                            }
                        },
                        edge.settings().headerTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < PEEK) {
            return;
        }
        if (SslHandler.isEncrypted(in, false)) {
            // The handshake's expensive steps (key exchange, signature) run off the event loop, so a storm
            // of new connections does not hold up the answers on connections already established.
            SslHandler ssl = tls.context().newHandler(ctx.alloc(), edge.handshakes());
            ssl.setHandshakeTimeoutMillis(edge.settings().headerTimeout().toMillis());
            afterTls.run();
            // The bytes read so far go on to the TLS handler when this one is removed.
            ctx.pipeline().replace(this, "tls", ssl);
            return;
        }
        refused = true;
        in.skipBytes(in.readableBytes());
        edge.metrics().tlsHandshakeFailed();
        ctx.pipeline().addAfter(ctx.name(), "encoder", new HttpResponseEncoder());
        edge.writer()
                .writeAlone(
                        ctx.channel(),
                        edge.policy()
                                .connectionRefusal(
                                        ResponsePolicy.Refusal.BAD_REQUEST,
                                        "this port speaks HTTPS: use https:// (GOPROXY=https://<host>:<port>)"))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
