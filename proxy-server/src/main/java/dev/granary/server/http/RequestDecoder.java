package dev.granary.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Netty's request decoder with Granary's framing rules, and able to tell whether part of a request
 * head has been read (which the header deadline needs):
 * <ul>
 *   <li>a request with both Content-Length and Transfer-Encoding is malformed, whatever system
 *       property Netty reads (RFC 9112 section 6.1 allows refusing it; it is how requests are
 *       smuggled);</li>
 *   <li>an HTTP version other than 1.x is {@link UnsupportedVersion} (answered 505); a higher 1.x
 *       minor version is taken as 1.1 (RFC 9110 section 2.5).</li>
 * </ul>
 */
final class RequestDecoder extends HttpRequestDecoder {
    private static final Pattern VERSION = Pattern.compile("HTTP/(\\d)\\.(\\d)");

    /** A request line naming an HTTP major version other than 1. */
    static final class UnsupportedVersion extends IllegalArgumentException {
        UnsupportedVersion(String version) {
            super("HTTP version " + version + " is not supported; use HTTP/1.1");
        }
    }

    private final Runnable afterRead;
    private boolean started;

    /** @param afterRead run after each inbound buffer has been decoded (and what it held passed on) */
    RequestDecoder(HttpDecoderConfig config, Runnable afterRead) {
        super(config);
        this.afterRead = afterRead;
    }

    /** True when part of a request head (or of a body still to come) sits in the decoder. */
    boolean midMessage() {
        return started || actualReadableBytes() > 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        super.channelRead(ctx, msg);
        afterRead.run();
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) throws Exception {
        Matcher m = VERSION.matcher(initialLine[2]);
        if (m.matches()) {
            if (!m.group(1).equals("1")) {
                throw new UnsupportedVersion(initialLine[2]);
            }
            if (m.group(2).compareTo("1") > 0) {
                initialLine[2] = "HTTP/1.1";
            }
        }
        HttpMessage message = super.createMessage(initialLine);
        started = true;
        return message;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            if (out.get(i) instanceof HttpMessage) {
                started = false;
            }
        }
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("both Content-Length and Transfer-Encoding");
    }
}
