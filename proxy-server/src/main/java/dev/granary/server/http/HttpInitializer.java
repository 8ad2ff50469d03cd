package dev.granary.server.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** The pipeline, and nothing else: codec, a small aggregator (GOPROXY requests have no body), the handler. */
public final class HttpInitializer extends ChannelInitializer<SocketChannel> {
    /** Request line and headers; a GOPROXY request is a path and a few headers. */
    private static final int MAX_INITIAL_LINE = 4096;
    private static final int MAX_HEADERS = 16 * 1024;

    private final ProxyHandler handler;
    private final ChannelGroup channels;

    /** @param channels every accepted connection is added here, so shutdown can close them all */
    public HttpInitializer(ProxyHandler handler, ChannelGroup channels) {
        this.handler = handler;
        this.channels = channels;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addLast(new IdleStateHandler(0, 0, 5, TimeUnit.MINUTES) {
            @Override
            protected void channelIdle(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.timeout.IdleStateEvent evt) {
                ctx.close();
            }
        });
        p.addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192));
        p.addLast(new HttpObjectAggregator(64 * 1024));
        p.addLast(handler);
    }
}
