package dev.granary.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately small HTTP/1.1 client over a plain socket: sends bytes exactly as given (pipelined,
 * malformed, trickled) and parses the answers one after another, strictly as they arrive. A read that
 * gets nothing for {@link #READ_TIMEOUT_MS} fails: that is a hang detector, not a timing assertion.
 */
final class RawHttp implements AutoCloseable {
    static final int READ_TIMEOUT_MS = 30_000;
    private static final int MAX_HEAD = 64 * 1024;

    /** One parsed answer; header names are lower-cased. */
    record Response(String statusLine, int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }

        long contentLength() {
            String v = header("content-length");
            return v == null ? -1 : Long.parseLong(v);
        }

        boolean closes() {
            String c = header("connection");
            return c != null && c.equalsIgnoreCase("close");
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return statusLine + " " + headers + " " + (body.length <= 200 ? text() : body.length + " bytes");
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    static RawHttp connect(InetSocketAddress server) throws IOException {
        return new RawHttp(new Socket(server.getAddress(), server.getPort()));
    }

    /** Connects from a given local address, e.g. 127.0.0.2, to look like another client. */
    static RawHttp connect(InetSocketAddress server, InetAddress from) throws IOException {
        return new RawHttp(new Socket(server.getAddress(), server.getPort(), from, 0));
    }

    /** A request with a Host header and the given extra header lines, as bytes on the wire. */
    static String request(String method, String target, String... headerLines) {
        StringBuilder b =
                new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headerLines) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    RawHttp send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    /** Reads the next answer; {@code head} says whether it answers a HEAD (then it has no body). */
    Response read(boolean head) throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new EOFException("connection closed before a status line");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        int headBytes = 0;
        for (String l = line(); ; l = line()) {
            if (l == null) {
                throw new EOFException("connection closed inside the headers of " + statusLine);
            }
            if (l.isEmpty()) {
                break;
            }
            headBytes += l.length();
            if (headBytes > MAX_HEAD) {
                throw new IOException("response head too large");
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line: " + l);
            }
            headers.computeIfAbsent(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(l.substring(colon + 1).strip());
        }
        Response r = new Response(statusLine, status, headers, new byte[0]);
        if (head || status == 304 || status == 204 || status / 100 == 1) {
            return r;
        }
        if (r.header("transfer-encoding") != null) {
            throw new IOException("unexpected Transfer-Encoding: " + r.header("transfer-encoding"));
        }
        long length = r.contentLength();
        byte[] body = length >= 0 ? in.readNBytes((int) length) : in.readAllBytes();
        if (length >= 0 && body.length != length) {
            throw new EOFException("body cut short: " + body.length + " of " + length + " bytes");
        }
        return new Response(statusLine, status, headers, body);
    }

    /** True when the server has closed the connection (end of stream or reset), false if more data is there. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException e) {
            return true;
        }
    }

    /** Reads to the end of the stream (a reset counts as the end) and says how many bytes came before it. */
    long remaining() throws IOException {
        long n = 0;
        try {
            while (in.read() >= 0) {
                n++;
            }
        } catch (SocketException e) {
            // the server reset the connection after closing it
        }
        return n;
    }

    Socket socket() {
        return socket;
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
            if (b.size() > MAX_HEAD) {
                throw new IOException("line too long");
            }
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
