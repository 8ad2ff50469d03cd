package dev.granary.server.http;

import dev.granary.core.protocol.Artifact;
import dev.granary.server.Metrics;
import dev.granary.storage.Blob;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes answers: small bodies whole, file-backed zips zero-copy with {@link DefaultFileRegion},
 * other streams chunk by chunk paced by the socket (the next chunk is read only once the channel can
 * take it). Handles ETag/If-None-Match, single byte ranges, HEAD, Cache-Control, and records the
 * request metrics. May be called from any thread.
 */
public final class ResponseWriter {
    private static final Logger log = LoggerFactory.getLogger(ResponseWriter.class);
    private static final int CHUNK = 64 * 1024;

    private final Metrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();

    public ResponseWriter(Metrics metrics) {
        this.metrics = metrics;
    }

    /** Requests accepted whose response has not finished yet (graceful shutdown waits for zero). */
    public int inFlight() {
        return inFlight.get();
    }

    void begin() {
        inFlight.incrementAndGet();
    }

    void text(Exchange ex, String kind, HttpResponseStatus status, String body) {
        text(ex, kind, status, body, "text/plain; charset=utf-8");
    }

    void text(Exchange ex, String kind, HttpResponseStatus status, String body, String contentType) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse rsp = full(ex, status, bytes);
        rsp.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        rsp.headers().set(HttpHeaderNames.CACHE_CONTROL, CachePolicy.NO_STORE);
        finish(ex, kind, rsp, bytes.length);
    }

    /** A temporary redirect (a presigned storage URL); not cached, the URL expires. */
    void redirect(Exchange ex, String kind, java.net.URI location) {
        FullHttpResponse rsp = full(ex, HttpResponseStatus.TEMPORARY_REDIRECT, new byte[0]);
        rsp.headers().set(HttpHeaderNames.LOCATION, location.toString());
        rsp.headers().set(HttpHeaderNames.CACHE_CONTROL, CachePolicy.NO_STORE);
        finish(ex, kind, rsp, 0);
    }

    /** A plain-text error with the reason; never cached by clients. */
    void error(Exchange ex, String kind, HttpResponseStatus status, String reason) {
        text(ex, kind, status, reason.endsWith("\n") ? reason : reason + "\n");
    }

    void artifact(Exchange ex, String kind, String contentType, Artifact a) {
        Blob blob = a.blob();
        boolean release = true;
        try {
            HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders();
            h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            h.set(HttpHeaderNames.CACHE_CONTROL, CachePolicy.forAnswer(a.immutable()));
            if (a.etag() != null) {
                h.set(HttpHeaderNames.ETAG, a.etag());
                if (matches(ex.ifNoneMatch(), a.etag())) {
                    FullHttpResponse rsp = full(ex, HttpResponseStatus.NOT_MODIFIED, new byte[0]);
                    rsp.headers().add(h);
                    rsp.headers().remove(HttpHeaderNames.CONTENT_TYPE);
                    finish(ex, kind, rsp, 0);
                    return;
                }
            }
            long size = blob.size();
            ByteRange range = null;
            if (a.immutable()) {
                h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
                boolean ifRangeOk = ex.ifRange() == null || ex.ifRange().equals(a.etag());
                if (ifRangeOk) {
                    try {
                        range = ByteRange.parse(ex.range(), size).orElse(null);
                    } catch (ByteRange.Unsatisfiable e) {
                        FullHttpResponse rsp = full(ex, HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, new byte[0]);
                        rsp.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
                        rsp.headers().set(HttpHeaderNames.CACHE_CONTROL, CachePolicy.NO_STORE);
                        finish(ex, kind, rsp, 0);
                        return;
                    }
                }
            }
            long offset = range == null ? 0 : range.offset();
            long length = range == null ? size : range.length();
            HttpResponseStatus status = range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT;
            if (range != null) {
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + offset + "-" + (offset + length - 1) + "/" + size);
            }

            Optional<byte[]> heap = blob.heapBytes();
            if (ex.head() || heap.isPresent() || length == 0) {
                byte[] body = ex.head() ? new byte[0] : heap.map(b -> slice(b, offset, length)).orElse(new byte[0]);
                FullHttpResponse rsp = full(ex, status, body);
                rsp.headers().add(h);
                HttpUtil.setContentLength(rsp, length);
                finish(ex, kind, rsp, body.length);
                return;
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
            head.headers().add(h);
            HttpUtil.setContentLength(head, length);
            keepAlive(ex, head);
            Optional<FileChannel> fc = blob.fileChannel();
            Channel ch = ex.ctx().channel();
            if (fc.isPresent()) {
                // Zero-copy: the region owns the channel from here on and closes it when released.
                release = false;
                ch.write(head);
                ch.write(new DefaultFileRegion(fc.get(), offset, length));
                done(ex, kind, status.code(), length, ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), blob);
                return;
            }
            release = false;
            stream(ex, kind, status.code(), head, blob, offset, length);
        } catch (RuntimeException e) {
            log.warn("failed writing {} answer: {}", kind, e.toString());
            ex.ctx().close();
            resume(ex);
            metrics.request(kind, 500, System.nanoTime() - ex.startNanos());
        } finally {
            if (release) {
                closeQuietly(blob);
            }
        }
    }

    /** Streams a blob paced by the socket: this (virtual) thread waits while the channel is not writable. */
    private void stream(Exchange ex, String kind, int status, HttpResponse head, Blob blob, long offset, long length) {
        Channel ch = ex.ctx().channel();
        long sent = 0;
        try (InputStream in = blob.openStream(offset, length)) {
            ChannelFuture last = ch.writeAndFlush(head);
            byte[] buf = new byte[CHUNK];
            while (sent < length) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, length - sent));
                if (n < 0) {
                    throw new IOException("stream ended after " + sent + " of " + length + " bytes");
                }
                sent += n;
                last = ch.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n)));
                if (!ch.isWritable()) {
                    last.awaitUninterruptibly();
                }
                if (!ch.isActive()) {
                    throw new IOException("client went away");
                }
            }
            done(ex, kind, status, length, ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), blob);
        } catch (IOException | RuntimeException e) {
            log.debug("streaming {} aborted after {} bytes: {}", kind, sent, e.toString());
            ch.close();
            closeQuietly(blob);
            resume(ex);
            metrics.request(kind, status, System.nanoTime() - ex.startNanos());
        }
    }

    private void done(Exchange ex, String kind, int status, long bytes, ChannelFuture f, Blob blob) {
        f.addListener((ChannelFutureListener) fut -> {
            closeQuietly(blob);
            metrics.request(kind, status, System.nanoTime() - ex.startNanos());
            if (fut.isSuccess()) {
                metrics.served(kind, bytes);
            }
            if (!ex.keepAlive() || !fut.isSuccess()) {
                fut.channel().close();
            }
            resume(ex);
        });
    }

    private void finish(Exchange ex, String kind, FullHttpResponse rsp, long bodyBytes) {
        keepAlive(ex, rsp);
        int status = rsp.status().code();
        ChannelFuture f = ex.ctx().channel().writeAndFlush(rsp);
        f.addListener((ChannelFutureListener) fut -> {
            metrics.request(kind, status, System.nanoTime() - ex.startNanos());
            if (fut.isSuccess()) {
                metrics.served(kind, bodyBytes);
            }
            if (!ex.keepAlive() || !fut.isSuccess()) {
                fut.channel().close();
            }
            resume(ex);
        });
    }

    private void resume(Exchange ex) {
        inFlight.decrementAndGet();
        Channel ch = ex.ctx().channel();
        if (ch.isActive()) {
            ch.config().setAutoRead(true);
            ch.read();
        }
    }

    private static void keepAlive(Exchange ex, HttpResponse rsp) {
        HttpUtil.setKeepAlive(rsp, ex.keepAlive());
    }

    private static FullHttpResponse full(Exchange ex, HttpResponseStatus status, byte[] body) {
        ByteBuf buf = body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        FullHttpResponse rsp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        HttpUtil.setContentLength(rsp, body.length);
        return rsp;
    }

    private static byte[] slice(byte[] b, long offset, long length) {
        if (offset == 0 && length == b.length) {
            return b;
        }
        byte[] out = new byte[(int) length];
        System.arraycopy(b, (int) offset, out, 0, (int) length);
        return out;
    }

    /** RFC 9110 section 13.1.2: a list of tags or '*', compared weakly. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        String tag = etag.startsWith("W/") ? etag.substring(2) : etag;
        for (String t : ifNoneMatch.split(",")) {
            String s = t.strip();
            if (s.equals("*")) {
                return true;
            }
            if (s.startsWith("W/")) {
                s = s.substring(2);
            }
            if (s.equals(tag)) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(Blob blob) {
        try {
            blob.close();
        } catch (IOException e) {
            log.debug("closing blob: {}", e.toString());
        }
    }
}
