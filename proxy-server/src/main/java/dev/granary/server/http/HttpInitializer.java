package dev.granary.server.http;

import dev.granary.server.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline, and nothing else.
 * <ul>
 *   <li>Plain HTTP: idle timer, request decoder, response encoder, the connection's
 *       {@link ProxyHandler}.</li>
 *   <li>TLS: idle timer, {@link TlsDetector} (which becomes the TLS handler, or answers a plain
 *       request "use https"), {@link Negotiation}; after the handshake, HTTP/1.1 as above, or
 *       HTTP/2: frame codec, stream multiplexer, {@link Http2Connection}, and per stream an idle
 *       timer, the frame-to-HTTP/1.1-object codec and a {@link ProxyHandler} of its own, so each
 *       stream is answered exactly as an HTTP/1.1 request is. Over TLS file bodies are streamed
 *       (a file region would bypass the encryption).</li>
 *   <li>Over a connection limit: (TLS, offering HTTP/1.1 only), an encoder and a handler that
 *       answers 503 and closes.</li>
 * </ul>
 */
public final class HttpInitializer extends ChannelInitializer<Channel> {
    /** Request line: a GOPROXY request is a path of at most 2 KiB and a short query; longer is a 414. */
    static final int MAX_INITIAL_LINE = 4096;
    /** All header lines together; more is a 431. */
    static final int MAX_HEADERS = 16 * 1024;
    /** Body bytes passed on at a time (the bodies are dropped). */
    private static final int MAX_CHUNK = 8192;
    /** HTTP/2 streams at once on one connection: as many requests as an HTTP/1.1 connection may pipeline. */
    static final int MAX_STREAMS = ProxyHandler.MAX_PIPELINED;

    /**
     * Over TLS and HTTP/2 bodies are streamed from a virtual thread that waits while the channel is
     * not writable; a deeper queue than Netty's default (32-64 KiB) keeps the encryption and the
     * socket busy between its turns. Still bounded: at most this much per connection.
     */
    static final WriteBufferWaterMark STREAMED = new WriteBufferWaterMark(256 * 1024, 512 * 1024);

    private final HttpEdge edge;
    private final ChannelGroup channels;
    private final TlsContexts tls;
    private final ChannelInitializer<Http2StreamChannel> streams = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ChannelPipeline p = ch.pipeline();
            p.addLast("idle", idleTimer());
            p.addLast("codec", new Http2StreamFrameToHttpObjectCodec(true));
            p.addLast("handler", new ProxyHandler(edge, ProxyHandler.Transport.HTTP2));
        }
    };

    /**
     * @param channels every accepted connection is added here, so shutdown can reach them all
     * @param tls      the TLS contexts when this listener speaks TLS, else null
     */
    HttpInitializer(HttpEdge edge, ChannelGroup channels, TlsContexts tls) {
        this.edge = edge;
        this.channels = channels;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        String refused = edge.limits().admit(ch);
        if (refused != null) {
            edge.metrics().connectionRejected(refused);
            if (tls != null) {
                SslHandler ssl = tls.http1Context().newHandler(ch.alloc(), edge.handshakes());
                ssl.setHandshakeTimeoutMillis(edge.settings().headerTimeout().toMillis());
                p.addLast("tls", ssl);
            }
            p.addLast(new HttpResponseEncoder());
            p.addLast(edge.limits()
            .new Refuser(
                    edge.policy()
                            .connectionRefusal(
                                    ResponsePolicy.Refusal.UNAVAILABLE,
                                    edge.limits().reason(refused)),
                    edge.writer()));
            return;
        }
        // observeOutput: an answer still being taken by the client is activity; one it stopped reading is not.
        p.addLast("idle", idleTimer());
        if (tls == null) {
            http1(p, "idle", ProxyHandler.Transport.PLAIN);
            return;
        }
        ch.config().setWriteBufferWaterMark(STREAMED);
        p.addLast(
                "tls-detect", new TlsDetector(edge, tls, () -> p.addLast("negotiation", new Negotiation(edge, this))));
    }

    private IdleStateHandler idleTimer() {
        return new IdleStateHandler(true, 0, 0, edge.settings().idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** HTTP/1.1 after the handler named {@code after}. */
    void http1(ChannelPipeline p, String after, ProxyHandler.Transport transport) {
        ProxyHandler handler = new ProxyHandler(edge, transport);
        RequestDecoder decoder = new RequestDecoder(
                new HttpDecoderConfig()
                        .setMaxInitialLineLength(MAX_INITIAL_LINE)
                        .setMaxHeaderSize(MAX_HEADERS)
                        .setMaxChunkSize(MAX_CHUNK),
                handler::afterRead);
        handler.decoder(decoder);
        p.addAfter(after, "decoder", decoder);
        p.addAfter("decoder", "encoder", new HttpResponseEncoder());
        p.addAfter("encoder", "handler", handler);
    }

    /** HTTP/2 after the handler named {@code after}. */
    void http2(ChannelPipeline p, String after) {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_STREAMS)
                        .maxHeaderListSize(MAX_INITIAL_LINE + MAX_HEADERS))
                // Closing means closing: the graceful part (GOAWAY, then the streams in progress) is Http2Connection's.
                .decoupleCloseAndGoAway(true)
                .build();
        ChannelHandler multiplex = new Http2MultiplexHandler(streams);
        p.addAfter(after, "h2", codec);
        p.addAfter("h2", "h2-streams", multiplex);
        p.addAfter("h2-streams", "h2-connection", new Http2Connection(edge, codec));
    }
}
