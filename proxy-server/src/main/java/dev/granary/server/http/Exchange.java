package dev.granary.server.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's lifecycle. It is opened when the request head is decoded (what the answer needs is
 * copied off the request, which is released at once) and counts as in flight from then on. It ends
 * exactly once: {@link #complete} when its response has been written or has failed, which records
 * the request's metrics (kind, status, latency, body bytes), ends its in-flight count and tells the
 * connection whether to go on with the next request or to close; or {@link #abandon} when the
 * connection ends before it was answered, which is not counted as a request.
 *
 * <p>Fields set while routing are read by the thread that writes the answer; the connection hands the
 * exchange over through an executor, which orders those accesses.
 */
public final class Exchange {
    private static final String X_FORWARDED_FOR = "x-forwarded-for";

    /** The connection an exchange belongs to; told on its event loop when the exchange is complete. */
    interface Connection {
        /** @param goOn false when the connection must end now (a close was answered, or the write failed) */
        void completed(Exchange ex, boolean goOn);

        /** True when file bodies may go zero-copy ({@code sendfile}): plain HTTP/1.1, not TLS and not an HTTP/2 stream. */
        default boolean zeroCopy() {
            return true;
        }
    }

    private final HttpEdge edge;
    private final Connection connection;
    private final Channel channel;
    private final HttpMethod method;
    private final HttpVersion version;
    private final String target;
    private final boolean wantsKeepAlive;
    private final String range;
    private final String ifNoneMatch;
    private final String ifRange;
    /** The credentials sent, if any: never logged, never part of {@link #toString}. */
    private final String authorization;

    private final String forwardedFor;
    private final String wantObject;
    private final long contentLength;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean ended = new AtomicBoolean();
    private String kind = "http";
    private volatile String tier = TierTrace.NONE;
    private Answer.Refusal refusal;
    private volatile boolean closeAfter;
    private volatile boolean writing;
    private volatile Upload upload;

    Exchange(HttpEdge edge, Connection connection, Channel channel, HttpRequest req) {
        this.edge = edge;
        this.connection = connection;
        this.channel = channel;
        this.method = req.method();
        this.version = req.protocolVersion();
        this.target = req.uri();
        this.wantsKeepAlive = HttpUtil.isKeepAlive(req);
        this.range = req.headers().get(HttpHeaderNames.RANGE);
        this.ifNoneMatch = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        this.ifRange = req.headers().get(HttpHeaderNames.IF_RANGE);
        this.authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        this.forwardedFor = req.headers().get(X_FORWARDED_FOR);
        this.wantObject = req.headers().get("Want-Object");
        this.contentLength = declaredLength(req);
        edge.opened();
    }

    /** Content-Length as declared, or -1 when absent or not a number (a malformed request is refused anyway). */
    private static long declaredLength(HttpRequest req) {
        try {
            return HttpUtil.getContentLength(req, -1L);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    Channel channel() {
        return channel;
    }

    HttpMethod method() {
        return method;
    }

    HttpVersion version() {
        return version;
    }

    /** The request target exactly as sent. */
    String target() {
        return target;
    }

    boolean head() {
        return method.equals(HttpMethod.HEAD);
    }

    /** True for a PUT, the one method with a body that is kept (build cache uploads). */
    boolean put() {
        return method.equals(HttpMethod.PUT);
    }

    /**
     * The request's {@code Authorization} header, for access decisions. It is never logged nor shown:
     * whoever reads it must not print it either.
     */
    public Optional<String> authorization() {
        return Optional.ofNullable(authorization);
    }

    /** True when the client asked for a build cache object in the answer to a lookup ({@code Want-Object: 1}). */
    boolean wantsObject() {
        return "1".equals(wantObject);
    }

    /** The declared Content-Length, or -1 when there is none. */
    long contentLength() {
        return contentLength;
    }

    /** The body received for this request (a PUT the router accepted), or null. */
    Upload upload() {
        return upload;
    }

    void upload(Upload u) {
        this.upload = u;
    }

    /** The answer ends the connection: the body was not read, so nothing after it can be found. */
    void closeAfterAnswer() {
        closeAfter = true;
    }

    /** True when the connection must end after this answer. */
    boolean closesAfter() {
        return closeAfter;
    }

    String range() {
        return range;
    }

    String ifNoneMatch() {
        return ifNoneMatch;
    }

    String ifRange() {
        return ifRange;
    }

    /** The X-Forwarded-For header, or null: believed only from trusted proxies. */
    String forwardedFor() {
        return forwardedFor;
    }

    /** The address the connection comes from (the connection's, for an HTTP/2 stream), or null. */
    InetAddress peer() {
        return channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    }

    /** Whether a file body may be sent zero-copy on this exchange's connection. */
    boolean zeroCopy() {
        return connection.zeroCopy();
    }

    /** The endpoint kind for metrics: list, info, zip, sumdb, health, ..., or http for refusals. */
    String kind() {
        return kind;
    }

    void kind(String kind) {
        this.kind = kind;
    }

    /** Where the answer came from (hot, disk, s3, upstream, or -), for the access log. */
    void tier(String tier) {
        this.tier = tier;
    }

    /** Whether the connection may carry on after this answer: the client's wish, unless the server must close. */
    boolean keepAlive() {
        return wantsKeepAlive && !closeAfter && !edge.draining();
    }

    /** The refusal decided while reading the request, if any: answered instead of routing it. */
    Answer.Refusal refusal() {
        return refusal;
    }

    void refuse(ResponsePolicy.Refusal why, String detail) {
        this.refusal = new Answer.Refusal(why, detail);
        this.kind = "http";
        if (why.closes()) {
            closeAfter = true;
        }
    }

    /** The response has started going out: a stall from here on is the client's, not ours. */
    void writing() {
        writing = true;
    }

    boolean isWriting() {
        return writing;
    }

    /**
     * Ends the exchange with its response: records it, ends its in-flight count and moves the
     * connection on. Later calls do nothing. May be called from any thread.
     *
     * @param delivered whether the whole response was written
     * @param keepAlive whether the response left the connection open for another request
     */
    void complete(int status, long bodyBytes, boolean delivered, boolean keepAlive) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        long nanos = System.nanoTime() - startNanos;
        edge.metrics().request(kind, status, nanos);
        if (edge.accessLog().enabled()) {
            edge.accessLog().record(method.name(), target, status, bodyBytes, nanos, tier, client(), kind);
        }
        if (delivered) {
            edge.metrics().served(kind, bodyBytes);
        }
        discardUpload();
        edge.ended();
        connection.completed(this, delivered && keepAlive);
    }

    /** The client's address, without its port. */
    private String client() {
        return channel.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress()
                : String.valueOf(channel.remoteAddress());
    }

    /** Ends an exchange that will never be answered (its connection is gone): not a request in the metrics. */
    void abandon() {
        if (ended.compareAndSet(false, true)) {
            discardUpload();
            edge.ended();
        }
    }

    /** The received body has served its purpose (it was stored, or refused): its temporary file goes. */
    private void discardUpload() {
        Upload u = upload;
        if (u != null) {
            u.discard();
        }
    }

    @Override
    public String toString() {
        return method + " " + (target.length() > 200 ? target.substring(0, 200) + "..." : target);
    }
}
