package dev.granary.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A misbehaving upstream: a raw HTTP/1.1 server on a loopback address whose every answer is written
 * by the test, byte by byte if need be. It can stall before or inside a body, trickle, redirect,
 * send any status and header, or hang up; it records each request with its headers and the client
 * port of its connection (equal ports: a reused connection). Keep-alive is honoured, as a real
 * server would.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** One request as received. {@code connection} numbers connections in the order they were accepted. */
    public record Request(String method, String path, Map<String, String> headers, int connection, long nanos) {
        /** A header by case-insensitive name, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Writes the answer to one request. */
    @FunctionalInterface
    public interface Script {
        void answer(Request request, Reply reply) throws IOException, InterruptedException;
    }

    /** The raw response stream of one request, with helpers for the usual and unusual answers. */
    public final class Reply {
        private final Socket socket;
        private final OutputStream out;
        private boolean keepAlive = true;

        Reply(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        /** A complete answer with a Content-Length; {@code headers} alternate name and value. */
        public void send(int status, String body, String... headers) throws IOException {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            head(status, b.length, headers);
            out.write(b);
            out.flush();
        }

        /** Status line and headers; {@code contentLength < 0} announces none (the body then ends with the connection). */
        public void head(int status, long contentLength, String... headers) throws IOException {
            StringBuilder h = new StringBuilder("HTTP/1.1 " + status + " Status\r\n");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                h.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            if (contentLength >= 0) {
                h.append("Content-Length: ").append(contentLength).append("\r\n");
            } else {
                h.append("Connection: close\r\n");
                keepAlive = false;
            }
            out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        public void write(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        /** Sends {@code b} one byte at a time, {@code millis} apart. */
        public void trickle(byte[] b, long millis) throws IOException, InterruptedException {
            for (byte x : b) {
                out.write(x);
                out.flush();
                Thread.sleep(millis);
            }
        }

        /** Sends nothing more until the server is closed. */
        public void stall() throws InterruptedException {
            keepAlive = false;
            closed.await();
        }

        /** Closes the connection now. */
        public void hangUp() throws IOException {
            keepAlive = false;
            socket.close();
        }
    }

    private final ServerSocket server;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile Script script;
    private int connections;

    private ScriptedUpstream(String host, Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 64);
        Thread.ofVirtual().name("scripted-upstream-accept").start(this::accept);
    }

    /** Serves on {@code 127.0.0.1}. */
    public static ScriptedUpstream start(Script script) throws IOException {
        return new ScriptedUpstream("127.0.0.1", script);
    }

    /** Serves on another loopback address, such as {@code 127.0.0.2}: another host as far as URLs go. */
    public static ScriptedUpstream start(String loopbackHost, Script script) throws IOException {
        return new ScriptedUpstream(loopbackHost, script);
    }

    public void script(Script s) {
        this.script = s;
    }

    public URI uri() {
        return URI.create("http://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort() + "/");
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Requests for a path such as {@code /m/@v/list}. */
    public int hits(String path) {
        return (int) requests.stream().filter(r -> r.path().equals(path)).count();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int n;
                synchronized (this) {
                    n = ++connections;
                }
                Thread.ofVirtual().name("scripted-upstream-" + n).start(() -> serve(s, n));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int connection) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            while (true) {
                String line = readLine(in);
                if (line == null || line.isEmpty()) {
                    return;
                }
                String[] parts = line.split(" ");
                Map<String, String> headers = new TreeMap<>();
                String h;
                while ((h = readLine(in)) != null && !h.isEmpty()) {
                    int c = h.indexOf(':');
                    if (c > 0) {
                        headers.put(
                                h.substring(0, c).strip().toLowerCase(Locale.ROOT),
                                h.substring(c + 1).strip());
                    }
                }
                Request req = new Request(
                        parts[0], parts.length > 1 ? parts[1] : "", Map.copyOf(headers), connection, System.nanoTime());
                requests.add(req);
                Reply reply = new Reply(s);
                script.answer(req, reply);
                if (!reply.keepAlive) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sockets.remove(s);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return c < 0 && b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        closed.countDown();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
