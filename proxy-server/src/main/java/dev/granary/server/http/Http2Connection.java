package dev.granary.server.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level part of HTTP/2, behind the frame codec and the stream multiplexer (each
 * stream has its own {@link ProxyHandler}): closes a connection that had no stream for the idle
 * timeout, and on shutdown sends GOAWAY (RFC 9113 section 6.8: no new streams) and closes once the
 * streams in progress are answered. The codec's own graceful close is not used: its builder gives
 * it no time at all for the streams in progress, and a close after the shutdown grace must close.
 */
final class Http2Connection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2Connection.class);

    private final HttpEdge edge;
    private final Http2FrameCodec codec;
    private ChannelHandlerContext ctx;
    private boolean draining;

    Http2Connection(HttpEdge edge, Http2FrameCodec codec) {
        this.edge = edge;
        this.codec = codec;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        codec.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (draining && codec.connection().numActiveStreams() == 0) {
                    ctx.close();
                }
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (codec.connection().numActiveStreams() == 0) {
                edge.metrics().connectionTimeout("idle");
                goAway();
            }
        } else if (evt == HttpEdge.DRAIN) {
            goAway();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** GOAWAY, then close as soon as no stream is in progress (at once when none is). */
    private void goAway() {
        if (draining) {
            return;
        }
        draining = true;
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || codec.connection().numActiveStreams() == 0) {
                ctx.close();
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP/2 connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
