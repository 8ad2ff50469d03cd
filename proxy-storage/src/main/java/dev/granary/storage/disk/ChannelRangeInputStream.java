package dev.granary.storage.disk;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * Reads {@code [position, end)} of a file channel with positional reads, so several such streams over
 * one channel are independent and never move the channel's own position. Closing the stream does not
 * close the channel (the blob owns it).
 */
final class ChannelRangeInputStream extends InputStream {
    private final FileChannel ch;
    private final long end;
    private long position;
    private boolean closed;

    ChannelRangeInputStream(FileChannel ch, long position, long end) {
        this.ch = ch;
        this.position = position;
        this.end = end;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (position >= end) {
            return -1;
        }
        int want = (int) Math.min(len, end - position);
        int n = ch.read(ByteBuffer.wrap(b, off, want), position);
        if (n < 0) {
            // The file is never truncated in place; treat a short file as corruption, not EOF.
            throw new EOFException("file ended at " + position + " before the expected " + end + " bytes");
        }
        position += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        ensureOpen();
        if (n <= 0) {
            return 0;
        }
        long s = Math.min(n, end - position);
        position += s;
        return s;
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        return (int) Math.min(Integer.MAX_VALUE, end - position);
    }

    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
    }
}
