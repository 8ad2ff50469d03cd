package dev.granary.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level part of HTTP/2, behind the frame codec and the stream multiplexer (each
 * stream has its own {@link ProxyHandler}): closes a connection that had no stream for the idle
 * timeout, and on shutdown closes it gracefully (the codec sends GOAWAY and lets the streams in
 * progress finish).
 */
final class Http2Connection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2Connection.class);

    private final HttpEdge edge;
    private final Http2FrameCodec codec;

    Http2Connection(HttpEdge edge, Http2FrameCodec codec) {
        this.edge = edge;
        this.codec = codec;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (codec.connection().numActiveStreams() == 0) {
                edge.metrics().connectionTimeout("idle");
                ctx.close();
            }
        } else if (evt == HttpEdge.DRAIN) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP/2 connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
