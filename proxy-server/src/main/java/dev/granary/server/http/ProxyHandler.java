package dev.granary.server.http;

import dev.granary.core.ProxyException;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.ProxyRequest;
import dev.granary.core.protocol.RequestParser;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP handler: parses on the event loop, hands everything that may block (storage, upstream,
 * hashing) to the virtual-thread executor, and lets {@link ResponseWriter} write the answer back.
 *
 * <p>Auto-read is switched off while a request is being answered, so pipelined requests on a
 * keep-alive connection are answered strictly in order.
 */
@ChannelHandler.Sharable
public final class ProxyHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private final Routes routes;
    private final ExecutorService blocking;
    private final ResponseWriter writer;

    public ProxyHandler(Routes routes, ExecutorService blocking, ResponseWriter writer) {
        this.routes = routes;
        this.blocking = blocking;
        this.writer = writer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        long start = System.nanoTime();
        Exchange ex = new Exchange(ctx, req.method().equals(HttpMethod.HEAD), HttpUtil.isKeepAlive(req),
                req.headers().get(HttpHeaderNames.RANGE), req.headers().get(HttpHeaderNames.IF_NONE_MATCH),
                req.headers().get(HttpHeaderNames.IF_RANGE), start);
        ctx.channel().config().setAutoRead(false);
        writer.begin();
        if (!req.decoderResult().isSuccess()) {
            writer.error(ex, "bad", HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            writer.error(ex, "other", HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD are supported");
            return;
        }
        String uri = req.uri();
        String path = uri.indexOf('?') >= 0 ? uri.substring(0, uri.indexOf('?')) : uri;
        switch (path) {
            case "/healthz" -> writer.text(ex, "health", HttpResponseStatus.OK, "ok\n");
            case "/", "/index.html" -> writer.text(ex, "index", HttpResponseStatus.OK, routes.index());
            case "/readyz" -> dispatch(ex, () -> routes.ready(ex, writer));
            case "/metrics" -> dispatch(ex, () -> writer.text(ex, "metrics", HttpResponseStatus.OK, routes.scrape(),
                    "text/plain; version=0.0.4; charset=utf-8"));
            default -> {
                ProxyRequest pr;
                try {
                    pr = RequestParser.parse(uri);
                } catch (ProxyException e) {
                    writer.error(ex, "invalid", StatusMapper.status(e.kind()), e.getMessage());
                    return;
                }
                dispatch(ex, () -> answer(ex, pr));
            }
        }
    }

    private void answer(Exchange ex, ProxyRequest pr) {
        Artifact a;
        try {
            java.util.Optional<java.net.URI> elsewhere = routes.redirect(pr);
            if (elsewhere.isPresent()) {
                writer.redirect(ex, pr.kind(), elsewhere.get());
                return;
            }
            a = routes.answer(pr);
        } catch (ProxyException e) {
            if (e.kind() == ProxyException.Kind.INTERNAL) {
                log.error("internal error answering {}", pr, e);
            }
            writer.error(ex, pr.kind(), StatusMapper.status(e.kind()), e.getMessage());
            return;
        } catch (RuntimeException e) {
            log.error("unexpected error answering {}", pr, e);
            writer.error(ex, pr.kind(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
            return;
        }
        writer.artifact(ex, pr.kind(), Routes.contentType(pr), a);
    }

    private void dispatch(Exchange ex, Runnable work) {
        try {
            blocking.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            writer.error(ex, "other", HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
