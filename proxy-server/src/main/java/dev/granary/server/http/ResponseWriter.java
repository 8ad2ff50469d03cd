package dev.granary.server.http;

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
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a decided {@link Response} on the wire and nothing else: bodies in memory whole, file-backed
 * blobs zero-copy with {@link DefaultFileRegion} on plain HTTP/1.1, other blobs (and every blob over
 * TLS or HTTP/2) as a stream paced by the socket or the stream's flow-control window (the next chunk
 * is read only once the channel can take it), so memory stays bounded whatever the size. When the last byte is written, or writing
 * failed, it completes the exchange with the status and the body bytes sent. May be called from any
 * thread; a paced stream is never run on an event loop.
 */
final class ResponseWriter {
    private static final Logger log = LoggerFactory.getLogger(ResponseWriter.class);
    private static final int CHUNK = 64 * 1024;

    private final Executor blocking;

    /** @param blocking where paced streams run when a response is written from an event loop */
    ResponseWriter(Executor blocking) {
        this.blocking = blocking;
    }

    void write(Exchange ex, Response rsp) {
        ex.writing();
        Channel ch = ex.channel();
        int status = rsp.status().code();
        switch (rsp.body()) {
            case Response.Body.None n -> {
                FullHttpResponse full = full(rsp, Unpooled.EMPTY_BUFFER);
                ch.writeAndFlush(full).addListener(completes(ex, status, 0, rsp.keepAlive()));
            }
            case Response.Body.Bytes b -> {
                FullHttpResponse full = full(rsp, Unpooled.wrappedBuffer(b.bytes(), b.offset(), b.length()));
                ch.writeAndFlush(full).addListener(completes(ex, status, b.length(), rsp.keepAlive()));
            }
            case Response.Body.Part p -> part(ex, rsp, p);
        }
    }

    /** Writes a response that answers no request (a refusal before any request was read). */
    ChannelFuture writeAlone(Channel ch, Response rsp) {
        ByteBuf body = switch (rsp.body()) {
            case Response.Body.Bytes b -> Unpooled.wrappedBuffer(b.bytes(), b.offset(), b.length());
            default -> Unpooled.EMPTY_BUFFER;
        };
        return ch.writeAndFlush(full(rsp, body));
    }

    private void part(Exchange ex, Response rsp, Response.Body.Part p) {
        Channel ch = ex.channel();
        Blob blob = p.blob();
        int status = rsp.status().code();
        Optional<FileChannel> fc;
        try {
            // Over TLS or HTTP/2 a file region would bypass the encryption or the framing: those stream.
            fc = ex.zeroCopy() ? blob.fileChannel() : Optional.empty();
        } catch (RuntimeException e) {
            fail(ex, status, 0, blob, e);
            return;
        }
        if (fc.isPresent()) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, rsp.status(), rsp.headers());
            ch.write(head);
            // The region closes the file channel when released; the blob is closed once the write ends.
            ch.write(new DefaultFileRegion(fc.get(), p.offset(), p.length()));
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener((ChannelFutureListener) f -> {
                ResponsePolicy.closeQuietly(blob);
                ex.complete(status, p.length(), f.isSuccess(), rsp.keepAlive());
                if (!f.isSuccess()) {
                    f.channel().close();
                }
            });
            return;
        }
        if (ch.eventLoop().inEventLoop()) {
            blocking.execute(() -> stream(ex, rsp, p));
        } else {
            stream(ex, rsp, p);
        }
    }

    /** Streams a blob paced by the socket: this (virtual) thread waits while the channel is not writable. */
    private void stream(Exchange ex, Response rsp, Response.Body.Part p) {
        Channel ch = ex.channel();
        Blob blob = p.blob();
        int status = rsp.status().code();
        long sent = 0;
        try (InputStream in = blob.openStream(p.offset(), p.length())) {
            ArrayDeque<ChannelFuture> unwritten = new ArrayDeque<>();
            unwritten.add(ch.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, rsp.status(), rsp.headers())));
            byte[] buf = new byte[CHUNK];
            while (sent < p.length()) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, p.length() - sent));
                if (n < 0) {
                    throw new IOException("stream ended after " + sent + " of " + p.length() + " bytes");
                }
                sent += n;
                unwritten.add(ch.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n))));
                // While the channel can take no more, wait for the oldest chunk still queued, not the newest:
                // what is queued behind it keeps the socket (or the TLS engine, or the stream window) busy meanwhile.
                while (!ch.isWritable() && !unwritten.isEmpty()) {
                    unwritten.poll().awaitUninterruptibly();
                }
                while (!unwritten.isEmpty() && unwritten.peek().isDone()) {
                    unwritten.poll();
                }
                if (!ch.isActive()) {
                    throw new IOException("client went away");
                }
            }
            long total = sent;
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener((ChannelFutureListener) f -> {
                ResponsePolicy.closeQuietly(blob);
                ex.complete(status, total, f.isSuccess(), rsp.keepAlive());
                if (!f.isSuccess()) {
                    f.channel().close();
                }
            });
        } catch (IOException | RuntimeException e) {
            fail(ex, status, sent, blob, e);
        }
    }

    /** A response that cannot be finished: the head may be out already, so the connection ends. */
    private static void fail(Exchange ex, int status, long sent, Blob blob, Exception e) {
        log.debug("writing {} aborted after {} body bytes: {}", ex, sent, e.toString());
        ResponsePolicy.closeQuietly(blob);
        ex.channel().close();
        ex.complete(status, sent, false, false);
    }

    private static ChannelFutureListener completes(Exchange ex, int status, long bodyBytes, boolean keepAlive) {
        return f -> ex.complete(status, bodyBytes, f.isSuccess(), keepAlive);
    }

    private static FullHttpResponse full(Response rsp, ByteBuf body) {
        return new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, rsp.status(), body, rsp.headers(), EmptyHttpHeaders.INSTANCE);
    }
}
