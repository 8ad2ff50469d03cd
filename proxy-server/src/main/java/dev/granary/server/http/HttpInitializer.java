package dev.granary.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline, and nothing else. An admitted connection gets: idle timer, request decoder, response
 * encoder, its {@link ProxyHandler}; one over a connection limit gets an encoder and a handler that
 * answers 503 and closes. (TLS, when it comes, goes first; zero-copy file regions then give way to
 * streamed chunks.)
 */
public final class HttpInitializer extends ChannelInitializer<Channel> {
    /** Request line: a GOPROXY request is a path of at most 2 KiB and a short query; longer is a 414. */
    static final int MAX_INITIAL_LINE = 4096;
    /** All header lines together; more is a 431. */
    static final int MAX_HEADERS = 16 * 1024;
    /** Body bytes passed on at a time (the bodies are dropped). */
    private static final int MAX_CHUNK = 8192;

    private final HttpEdge edge;
    private final ChannelGroup channels;

    /** @param channels every accepted connection is added here, so shutdown can reach them all */
    HttpInitializer(HttpEdge edge, ChannelGroup channels) {
        this.edge = edge;
        this.channels = channels;
    }

    @Override
    protected void initChannel(Channel ch) {
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        String refused = edge.limits().admit(ch);
        if (refused != null) {
            edge.metrics().connectionRejected(refused);
            p.addLast(new HttpResponseEncoder());
            p.addLast(edge.limits().new Refuser(
                    edge.policy().connectionRefusal(ResponsePolicy.Refusal.UNAVAILABLE, edge.limits().reason(refused)), edge.writer()));
            return;
        }
        ProxyHandler handler = new ProxyHandler(edge);
        RequestDecoder decoder = new RequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADERS)
                .setMaxChunkSize(MAX_CHUNK), handler::afterRead);
        handler.decoder(decoder);
        // observeOutput: an answer still being taken by the client is activity; one it stopped reading is not.
        p.addLast("idle", new IdleStateHandler(true, 0, 0, edge.settings().idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("decoder", decoder);
        p.addLast("encoder", new HttpResponseEncoder());
        p.addLast("handler", handler);
    }
}
