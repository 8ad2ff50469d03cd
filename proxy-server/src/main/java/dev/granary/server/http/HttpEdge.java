package dev.granary.server.http;

import dev.granary.core.ProxyException;
import dev.granary.server.Metrics;
import dev.granary.server.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.group.ChannelGroup;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP edge, shared by every connection: settings and limits, the router, the admission checks,
 * the response policy and writer, the executor for work that may block, the in-flight count and
 * shutdown. A request goes {@link ProxyHandler} (read, queue, one at a time; one per HTTP/1.1
 * connection or HTTP/2 stream) -> {@link Exchange} (its lifecycle) -> {@link Router} (a route) ->
 * {@link Admission} (rates, credentials) -> the route's {@link Answer} -> {@link ResponsePolicy}
 * (a {@link Response}) -> {@link ResponseWriter} (the wire), which completes the exchange.
 */
public final class HttpEdge {
    private static final Logger log = LoggerFactory.getLogger(HttpEdge.class);

    /** The user event that tells every connection the server is shutting down. */
    static final Object DRAIN = new Object();

    /**
     * @param headerTimeout           time to receive a request head once it starts (and after connecting)
     * @param idleTimeout             a connection with nothing to do, or whose client stopped reading, ends after this
     * @param maxConnections          most connections open at once (lowered to fit the open-file limit)
     * @param maxConnectionsPerClient most connections from one address at once, 0 for no limit
     */
    public record Settings(
            Duration headerTimeout, Duration idleTimeout, int maxConnections, int maxConnectionsPerClient) {
        public Settings {
            if (headerTimeout.isZero()
                    || headerTimeout.isNegative()
                    || idleTimeout.isZero()
                    || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("HTTP timeouts must be positive");
            }
            if (maxConnections < 1 || maxConnectionsPerClient < 0) {
                throw new IllegalArgumentException("connection limits must be positive");
            }
        }
    }

    private final Settings settings;
    private final Router router;
    private final Executor blocking;
    private final Metrics metrics;
    private final ResponsePolicy policy;
    private final ResponseWriter writer;
    private final ConnectionLimits limits;
    private final Admission admission;
    private final AccessLog accessLog;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    /**
     * @param blocking where routes that may block (storage, upstream, hashing) are answered; a
     *                 virtual-thread executor
     */
    public HttpEdge(Settings settings, Router router, Executor blocking, Metrics metrics, ResponsePolicy policy) {
        this(settings, router, blocking, metrics, policy, AccessLog.OFF);
    }

    /** @param accessLog where each answered request is logged ({@code log.access}) */
    public HttpEdge(
            Settings settings,
            Router router,
            Executor blocking,
            Metrics metrics,
            ResponsePolicy policy,
            AccessLog accessLog) {
        this(settings, router, blocking, metrics, policy, accessLog, Admission.open(metrics));
    }

    /** @param admission the rate limits and the access check routed requests pass before they are answered */
    public HttpEdge(
            Settings settings,
            Router router,
            Executor blocking,
            Metrics metrics,
            ResponsePolicy policy,
            AccessLog accessLog,
            Admission admission) {
        this.accessLog = accessLog;
        this.settings = settings;
        this.admission = admission;
        this.router = router;
        this.blocking = blocking;
        this.metrics = metrics;
        this.policy = policy;
        this.writer = new ResponseWriter(blocking);
        int max = ConnectionLimits.fitToDescriptors(settings.maxConnections());
        if (max < settings.maxConnections() * 9L / 10) {
            log.warn(
                    "connection limit lowered from {} to {} to fit the open-file limit (raise it with ulimit -n)",
                    settings.maxConnections(),
                    max);
        }
        this.limits = new ConnectionLimits(max, settings.maxConnectionsPerClient());
        metrics.edge(limits::open, inFlight::get);
    }

    /** The channel initializer for accepted plain-HTTP connections; each is added to {@code channels}. */
    public HttpInitializer initializer(ChannelGroup channels) {
        return new HttpInitializer(this, channels, null);
    }

    /** The channel initializer for accepted TLS connections (HTTP/2 and HTTP/1.1); each is added to {@code channels}. */
    public HttpInitializer initializer(ChannelGroup channels, TlsContexts tls) {
        return new HttpInitializer(this, channels, tls);
    }

    /** The handler of the listening socket: it pauses accepting while every connection slot is taken. */
    public ChannelHandler acceptGate() {
        return limits.new AcceptGate();
    }

    /** Requests read whose answer is not finished yet (graceful shutdown waits for zero). */
    public int inFlight() {
        return inFlight.get();
    }

    /** The effective connection limits, after fitting them to the open-file limit. */
    public String describeLimits() {
        return "at most " + limits.max() + " connections"
                + (limits.perClient() == Integer.MAX_VALUE ? "" : ", " + limits.perClient() + " per client address");
    }

    /**
     * Shutdown: answers already being computed are finished and then their connections close; idle
     * connections close now; nothing new is read.
     */
    public void drain(ChannelGroup channels) {
        draining = true;
        for (Channel ch : channels) {
            ch.pipeline().fireUserEventTriggered(DRAIN);
        }
    }

    /** Answers one request: its refusal, or what the router maps it to, on the executor when that may block. */
    void serve(Exchange ex) {
        if (ex.refusal() != null) {
            respond(ex, ex::refusal);
            return;
        }
        Router.Route route;
        Answer refused;
        try {
            route = router.route(ex);
            ex.kind(route.kind());
            refused = admission.admit(ex, route);
        } catch (RuntimeException e) {
            log.error("unexpected error routing {}", ex, e);
            respond(ex, () -> new Answer.Failure(new ProxyException(ProxyException.Kind.INTERNAL, "internal error")));
            return;
        }
        if (refused != null) {
            respond(ex, () -> refused);
            return;
        }
        if (!route.blocking()) {
            respond(ex, route.answer());
            return;
        }
        Upload upload = ex.upload();
        if (upload != null && !upload.finished().isDone()) {
            // A body still being written to its file: answer once it is all there.
            upload.finished().whenComplete((v, e) -> execute(ex, route));
            return;
        }
        execute(ex, route);
    }

    private void execute(Exchange ex, Router.Route route) {
        try {
            blocking.execute(() -> respond(ex, route.answer()));
        } catch (RejectedExecutionException e) {
            respond(ex, () -> new Answer.Refusal(ResponsePolicy.Refusal.UNAVAILABLE, "shutting down"));
        }
    }

    /** Whether a PUT's body is wanted, decided on its head. */
    Router.Intake intake(Exchange ex) {
        try {
            return router.intake(ex);
        } catch (RuntimeException e) {
            log.error("unexpected error routing {}", ex, e);
            return new Router.Intake.Refuse(
                    "http", new Answer.Refusal(ResponsePolicy.Refusal.UNAVAILABLE, "internal error"));
        }
    }

    Executor blocking() {
        return blocking;
    }

    /** Computes the answer, decides the response and writes it; a bug on the way is a 500, never a hang. */
    private void respond(Exchange ex, Supplier<? extends Answer> answer) {
        Response rsp;
        TierTrace trace = TierTrace.open();
        try {
            Answer a;
            try {
                a = answer.get();
            } finally {
                ex.tier(trace.close());
            }
            rsp = policy.decide(ex, a);
        } catch (RuntimeException e) {
            log.error("unexpected error answering {}", ex, e);
            rsp = policy.decide(
                    ex, new Answer.Failure(new ProxyException(ProxyException.Kind.INTERNAL, "internal error")));
        }
        try {
            writer.write(ex, rsp);
        } catch (RuntimeException e) {
            log.error("unexpected error writing the answer to {}", ex, e);
            ex.channel().close();
            ex.complete(rsp.status().code(), 0, false, false);
        }
    }

    Settings settings() {
        return settings;
    }

    /** Where TLS handshake tasks run: the executor for blocking work (virtual threads). */
    Executor handshakes() {
        return blocking;
    }

    Metrics metrics() {
        return metrics;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    ResponsePolicy policy() {
        return policy;
    }

    ResponseWriter writer() {
        return writer;
    }

    ConnectionLimits limits() {
        return limits;
    }

    boolean draining() {
        return draining;
    }

    void opened() {
        inFlight.incrementAndGet();
    }

    void ended() {
        inFlight.decrementAndGet();
    }
}
