package dev.granary.server.http;

import io.netty.channel.ChannelHandlerContext;

/** What the response side needs to know about one request, copied off the (released) request object. */
record Exchange(ChannelHandlerContext ctx, boolean head, boolean keepAlive, String range, String ifNoneMatch,
                String ifRange, long startNanos) {
}
