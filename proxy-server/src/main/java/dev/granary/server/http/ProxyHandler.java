package dev.granary.server.http;

import dev.granary.server.http.ResponsePolicy.Refusal;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection (one instance per channel; all state lives on its event loop). Requests are
 * read into a queue and answered one at a time, strictly in order (RFC 9112 section 9.3.2): the next
 * is started only when the previous answer has been written. Reading stops while a request is being
 * answered; what one socket read already held is queued (at most {@link #MAX_PIPELINED}).
 *
 * <p>Why one at a time rather than answering pipelined requests concurrently and writing them in
 * order: in-order writing would have to hold finished answers behind a slow one, and for zips that
 * means open files, S3 streams or buffered bytes per waiting answer; one at a time keeps each
 * connection at one open answer, and clients that care for throughput (the go command among them)
 * use several connections, not pipelining.
 *
 * <p>Timers: a request head (and a GET's small body) must arrive within the header timeout, counted
 * from the connection's start, or from the first byte of a request after an answer; a connection with
 * nothing to do, or whose client stopped reading an answer, is closed after the idle timeout (the
 * {@link io.netty.handler.timeout.IdleStateHandler} in front). While an answer is being computed
 * neither runs: the upstream has its own timeouts.
 *
 * <p>Closing: after an answer with {@code Connection: close} nothing more is read or answered; the
 * output is shut and what the client still sends is read and dropped for a moment before the socket
 * closes, so that the answer is not lost to a reset (RFC 9112 section 9.6).
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter implements Exchange.Connection {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    /** What this handler's requests come over. */
    enum Transport {
        /** HTTP/1.1 on a plain socket: file bodies go zero-copy. */
        PLAIN,
        /** HTTP/1.1 over TLS: bodies are streamed; a close sends close_notify first. */
        TLS,
        /**
         * One HTTP/2 stream (one request): framing, Host and connection management are HTTP/2's,
         * so the HTTP/1.1 checks of those do not apply; closing ends the stream, not the connection.
         */
        HTTP2
    }

    /** Requests read ahead of the one being answered; one more is refused (503) and the connection ends. */
    static final int MAX_PIPELINED = 128;
    /** A GET may carry a small body (RFC 9110 section 9.3.1): it is read and ignored. A larger one is refused unread. */
    static final long MAX_IGNORED_BODY = 64 * 1024;
    /** How long a closing connection keeps reading (and dropping) what the client still sends. */
    static final long LINGER_MILLIS = 2000;

    private final HttpEdge edge;
    private final Transport transport;
    private RequestDecoder decoder;
    private ChannelHandlerContext ctx;

    /** The request whose head is read and whose body (usually empty) is not yet complete. */
    private Exchange receiving;

    private final ArrayDeque<Exchange> queue = new ArrayDeque<>();
    /** The request being answered. */
    private Exchange current;
    /** No more requests are taken; the connection ends once {@link #current} is answered. */
    private boolean closing;
    /** Part of a request head was read after the last complete request. */
    private boolean partialHead;
    /** No request head has been read yet: the header deadline runs from the connection's start. */
    private boolean fresh = true;

    private boolean pumping;
    /** The output is shut (or the channel closed): the connection is on its way out. */
    private boolean shutDown;

    private ScheduledFuture<?> deadline;

    ProxyHandler(HttpEdge edge) {
        this(edge, Transport.PLAIN);
    }

    ProxyHandler(HttpEdge edge, Transport transport) {
        this.edge = edge;
        this.transport = transport;
    }

    @Override
    public boolean zeroCopy() {
        return transport == Transport.PLAIN;
    }

    /** The decoder in front of this handler, which reports when it has read something. */
    void decoder(RequestDecoder decoder) {
        this.decoder = decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            // Added after a TLS handshake: the connection is already up, the header deadline starts now.
            updateDeadline();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        updateDeadline();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (closing) {
                return;
            }
            if (msg instanceof HttpRequest req) {
                head(req);
            }
            // An invalid request arrives as a full request (head and empty content) and has closed things already.
            if (msg instanceof HttpContent c && !closing) {
                content(c);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Called by the decoder once everything a socket read held has been passed on. */
    void afterRead() {
        partialHead = decoder != null && decoder.midMessage();
        updateDeadline();
    }

    private void head(HttpRequest req) {
        Channel ch = ctx.channel();
        DecoderResult result = req.decoderResult();
        if (!ch.isActive() || result.cause() instanceof PrematureChannelClosureException) {
            // The decoder's notice that the client left mid-head: not a request.
            partialHead = true;
            return;
        }
        fresh = false;
        Exchange ex = new Exchange(edge, this, ch, req);
        if (result.isFailure()) {
            Throwable cause = result.cause();
            log.debug("malformed request from {}: {}", ch.remoteAddress(), cause.toString());
            switch (cause) {
                case RequestDecoder.UnsupportedVersion v -> ex.refuse(Refusal.VERSION_NOT_SUPPORTED, v.getMessage());
                case TooLongHttpLineException t -> ex.refuse(Refusal.URI_TOO_LONG, "request line too long");
                case TooLongHttpHeaderException t -> ex.refuse(Refusal.HEADERS_TOO_LARGE, "request headers too large");
                default -> ex.refuse(Refusal.BAD_REQUEST, "malformed HTTP request: " + describe(cause));
            }
            take(ex);
            return;
        }
        refuseIfNeeded(ex, req, transport == Transport.HTTP2);
        if (ex.refusal() != null && (ex.refusal().why().closes() || ex.closesAfter())) {
            // The body is not read: nothing after it on this connection can be found.
            take(ex);
            return;
        }
        receiving = ex;
    }

    /**
     * HTTP-level checks of a well-formed request, in the order that makes the answer most useful. On
     * HTTP/2 the framing is by DATA frames and the authority a pseudo-header: the body-length and
     * Host checks are HTTP/1.1's.
     */
    private void refuseIfNeeded(Exchange ex, HttpRequest req, boolean http2) {
        if (!req.protocolVersion().protocolName().equals("HTTP")) {
            ex.refuse(
                    Refusal.BAD_REQUEST,
                    "malformed HTTP request: unknown protocol "
                            + req.protocolVersion().protocolName());
            return;
        }
        if (http2) {
            if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                ex.refuse(Refusal.METHOD_NOT_ALLOWED, "only GET and HEAD are supported");
            }
            return;
        }
        if (HttpUtil.isTransferEncodingChunked(req)) {
            ex.refuse(Refusal.LENGTH_REQUIRED, "request bodies of unknown length are not accepted");
            return;
        }
        long length = HttpUtil.getContentLength(req, 0L);
        boolean put = req.method().equals(HttpMethod.PUT);
        if (length > MAX_IGNORED_BODY && !put) {
            ex.refuse(Refusal.CONTENT_TOO_LARGE, "request body too large (a GOPROXY request has none)");
            return;
        }
        if (req.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && req.headers().getAll(HttpHeaderNames.HOST).size() != 1) {
            ex.refuse(Refusal.BAD_HOST, "an HTTP/1.1 request needs exactly one Host header");
            if (length > MAX_IGNORED_BODY) {
                ex.closeAfterAnswer();
            }
            return;
        }
        if (put) {
            intake(ex, req, length);
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            ex.refuse(Refusal.METHOD_NOT_ALLOWED, "only GET and HEAD are supported");
        }
    }

    /** A PUT: its body is received into a file if the router wants it, else refused before it is read. */
    private void intake(Exchange ex, HttpRequest req, long length) {
        Router.Intake intake = edge.intake(ex);
        switch (intake) {
            case Router.Intake.Refuse r -> {
                ex.refuse(r.refusal().why(), r.refusal().detail());
                ex.kind(r.kind());
                if (length > MAX_IGNORED_BODY) {
                    ex.closeAfterAnswer();
                }
            }
            case Router.Intake.Accept a -> {
                if (!req.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                    ex.refuse(Refusal.LENGTH_REQUIRED, "a PUT needs a Content-Length");
                } else if (length > a.maxBytes()) {
                    ex.refuse(
                            Refusal.CONTENT_TOO_LARGE,
                            "request body of " + length + " bytes is larger than the " + a.maxBytes()
                                    + " accepted here");
                } else {
                    ex.upload(new Upload(a.dir(), length, edge.blocking()));
                    if (HttpUtil.is100ContinueExpected(req) && current == null && queue.isEmpty()) {
                        // RFC 9110 section 10.1.1: the client may wait for this before it sends the body.
                        ctx.writeAndFlush(
                                new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.CONTINUE));
                    }
                }
            }
        }
    }

    private void content(HttpContent c) {
        if (receiving == null) {
            return;
        }
        if (c.decoderResult().isFailure()) {
            receiving.refuse(
                    Refusal.BAD_REQUEST,
                    "malformed request body: " + describe(c.decoderResult().cause()));
            Exchange ex = receiving;
            receiving = null;
            take(ex);
            return;
        }
        Upload upload = receiving.upload();
        if (upload != null && c.content().isReadable()) {
            upload.write(c.content().retain());
            if (upload.pending() > Upload.HIGH_WATER) {
                ctx.channel().config().setAutoRead(false);
                Exchange ex = receiving;
                // Read on once the file has caught up (checked every 10 ms).
                ctx.executor().schedule(() -> resumeUpload(ex), 10, TimeUnit.MILLISECONDS);
            }
        }
        // Other bodies' bytes are dropped as they come (the length was checked on the head).
        if (c instanceof LastHttpContent) {
            Exchange ex = receiving;
            receiving = null;
            if (upload != null) {
                upload.finish();
            }
            take(ex);
        }
    }

    /** Reads on when an upload's pending writes have drained, else checks again shortly. */
    private void resumeUpload(Exchange ex) {
        if (closing || receiving != ex || ex.upload() == null) {
            return;
        }
        if (ex.upload().pending() > Upload.HIGH_WATER / 2) {
            ctx.executor().schedule(() -> resumeUpload(ex), 10, TimeUnit.MILLISECONDS);
            return;
        }
        if (current == null && queue.isEmpty()) {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        }
    }

    /** True while an upload being received has too much waiting to be written. */
    private boolean uploadBackpressure() {
        return receiving != null
                && receiving.upload() != null
                && receiving.upload().pending() > Upload.HIGH_WATER / 2;
    }

    /** A request is fully read: queue it, and answer it now if nothing else is being answered. */
    private void take(Exchange ex) {
        if (queue.size() >= MAX_PIPELINED && ex.refusal() == null) {
            ex.refuse(
                    Refusal.UNAVAILABLE, "too many pipelined requests on one connection (limit " + MAX_PIPELINED + ")");
        }
        if (ex.refusal() != null && ex.refusal().why().closes()) {
            closing = true;
            ctx.channel().config().setAutoRead(false);
        }
        queue.add(ex);
        pump();
    }

    /** Starts answering the next queued request when none is being answered; reads on when there is none. */
    private void pump() {
        if (pumping) {
            return; // the loop below goes on once the answer in progress is complete
        }
        pumping = true;
        try {
            while (current == null) {
                Exchange next = queue.poll();
                if (next == null) {
                    if (closing) {
                        closeGracefully();
                    } else if (uploadBackpressure()) {
                        ctx.executor().schedule(() -> resumeUpload(receiving), 10, TimeUnit.MILLISECONDS);
                    } else {
                        ctx.channel().config().setAutoRead(true);
                        ctx.read();
                        updateDeadline();
                    }
                    return;
                }
                current = next;
                ctx.channel().config().setAutoRead(false);
                cancelDeadline();
                edge.serve(next);
            }
        } finally {
            pumping = false;
        }
    }

    @Override
    public void completed(Exchange ex, boolean goOn) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> completed(ex, goOn));
            return;
        }
        if (ex != current) {
            return;
        }
        current = null;
        if (!goOn || edge.draining()) {
            closing = true;
            closeGracefully();
            return;
        }
        pump();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            idle();
        } else if (evt == HttpEdge.DRAIN) {
            closing = true;
            if (current == null) {
                closeGracefully();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Nothing was read or written for the idle timeout. */
    private void idle() {
        if (closing) {
            ctx.close();
            return;
        }
        if (current != null) {
            if (current.isWriting()) {
                // The client stopped reading its answer.
                edge.metrics().connectionTimeout("write");
                ctx.close();
            }
            return;
        }
        if (receiving != null && receiving.upload() != null) {
            // A PUT body that stopped coming.
            edge.metrics().connectionTimeout("body");
            ctx.close();
            return;
        }
        if (receiving == null && !partialHead && queue.isEmpty()) {
            edge.metrics().connectionTimeout("idle");
            ctx.close();
        }
    }

    /** The header deadline runs while the connection waits for a request head, and only then. */
    private void updateDeadline() {
        // A PUT body (a build cache upload) may take long: the idle timeout watches it instead.
        boolean body = receiving != null && receiving.upload() != null;
        boolean waiting =
                !closing && current == null && queue.isEmpty() && !body && (fresh || partialHead || receiving != null);
        if (!waiting) {
            cancelDeadline();
        } else if (deadline == null) {
            deadline = ctx.executor()
                    .schedule(
                            this::deadlinePassed,
                            edge.settings().headerTimeout().toMillis(),
                            TimeUnit.MILLISECONDS);
        }
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void deadlinePassed() {
        deadline = null;
        if (closing || current != null || !queue.isEmpty() || !ctx.channel().isActive()) {
            return;
        }
        edge.metrics().connectionTimeout("header");
        boolean started = receiving != null || partialHead;
        if (receiving != null) {
            receiving.abandon();
            receiving = null;
        }
        closing = true;
        if (!started) {
            // Nothing was sent: a 408 could be mistaken for the answer to a request the client is about to send.
            ctx.close();
            return;
        }
        edge.writer()
                .writeAlone(
                        ctx.channel(),
                        edge.policy()
                                .connectionRefusal(
                                        Refusal.REQUEST_TIMEOUT,
                                        "request head not received within "
                                                + edge.settings()
                                                        .headerTimeout()
                                                        .toSeconds() + " s"))
                .addListener(f -> closeGracefully());
    }

    /** Ends the connection once its last answer is out: shut the output, drop what still comes, then close. */
    private void closeGracefully() {
        closing = true;
        cancelDeadline();
        abandonWaiting();
        if (shutDown) {
            return;
        }
        shutDown = true;
        Channel ch = ctx.channel();
        if (!(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
            ch.close();
            return;
        }
        SslHandler ssl = transport == Transport.TLS ? ch.pipeline().get(SslHandler.class) : null;
        if (ssl != null) {
            // close_notify first (RFC 8446 section 6.1), so the client can tell the end from a truncation.
            ssl.closeOutbound().addListener(f -> linger(duplex));
            return;
        }
        linger(duplex);
    }

    /** Shuts the output and reads (and drops) what the client still sends for a moment, then closes. */
    private void linger(DuplexChannel duplex) {
        Channel ch = duplex;
        if (!ch.isActive()) {
            ch.close();
            return;
        }
        duplex.shutdownOutput().addListener(f -> {
            ch.config().setAutoRead(true);
            ch.read();
        });
        ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void abandonWaiting() {
        if (receiving != null) {
            receiving.abandon();
            receiving = null;
        }
        for (Exchange ex; (ex = queue.poll()) != null; ) {
            ex.abandon();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        if (!closing && (receiving != null || partialHead || current != null || !queue.isEmpty())) {
            // The client left with a request half sent or not yet answered.
            edge.metrics().connectionAborted();
        }
        closing = true;
        abandonWaiting();
        // An answer in progress completes when its write fails.
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private static String describe(Throwable cause) {
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
