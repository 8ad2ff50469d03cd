package dev.granary.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the TLS handshake: sets up HTTP/2 or HTTP/1.1 on the connection, as ALPN chose (HTTP/1.1
 * when the client offered neither, RFC 7301 section 3.2 leaves that to the server). Anything
 * decoded before the choice is held and passed on to the new handlers. A failed handshake is
 * counted and logged at debug level (it is the client's doing: an untrusted certificate, a scanner,
 * a timeout), then the connection is closed.
 */
final class Negotiation extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Negotiation.class);

    private final HttpEdge edge;
    private final HttpInitializer initializer;
    private final List<Object> held = new ArrayList<>();
    private boolean done;

    Negotiation(HttpEdge edge, HttpInitializer initializer) {
        this.edge = edge;
        this.initializer = initializer;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                String protocol = ssl == null ? null : ssl.applicationProtocol();
                configure(ctx, ApplicationProtocolNames.HTTP_2.equals(protocol));
            } else {
                failed(ctx, e.cause());
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void configure(ChannelHandlerContext ctx, boolean http2) {
        done = true;
        if (http2) {
            initializer.http2(ctx.pipeline(), ctx.name());
        } else {
            initializer.http1(ctx.pipeline(), ctx.name(), ProxyHandler.Transport.TLS);
        }
        for (Object msg : held) {
            ctx.fireChannelRead(msg);
        }
        held.clear();
        ctx.pipeline().remove(this);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done) {
            ctx.fireChannelRead(msg);
        } else {
            held.add(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failed(ctx, cause);
    }

    private void failed(ChannelHandlerContext ctx, Throwable cause) {
        if (!done) {
            done = true;
            edge.metrics().tlsHandshakeFailed();
            log.debug(
                    "TLS handshake with {} failed: {}",
                    ctx.channel().remoteAddress(),
                    cause == null ? "?" : cause.toString());
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        for (Object msg : held) {
            ReferenceCountUtil.release(msg);
        }
        held.clear();
    }
}
