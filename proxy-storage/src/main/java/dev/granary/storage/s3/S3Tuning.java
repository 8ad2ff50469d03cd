package dev.granary.storage.s3;

import java.time.Duration;
import java.util.Objects;

/**
 * Knobs of an {@link S3BlobStore} that are not about where the data lives. {@link #defaults()} suits
 * production; tests lower the part size.
 *
 * @param partSize bodies up to this size go in one PutObject; larger or unknown-size bodies are
 *     uploaded in parts of this size (S3 requires at least 5 MiB for every part but the last; the
 *     store holds one part in the heap per upload in progress)
 * @param inlineReadBytes {@code get} reads the first this-many bytes in its one request; blobs no
 *     larger than this are then fully in memory (one round trip, a true snapshot), larger ones keep
 *     only this head in memory and stream the rest
 * @param connectTimeout TCP connect timeout: an unreachable endpoint fails within about three of these
 * @param socketTimeout longest silence on an open connection before a read fails
 * @param healthTimeout the whole budget of {@link S3BlobStore#checkHealth()}
 * @param maxConnections the HTTP connection pool's size (each open stream holds one connection)
 */
public record S3Tuning(
        int partSize,
        int inlineReadBytes,
        Duration connectTimeout,
        Duration socketTimeout,
        Duration healthTimeout,
        int maxConnections) {

    /** The smallest part S3 accepts (except for the last part of an upload). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    /** The largest part this store will buffer. */
    public static final int MAX_PART_SIZE = 64 * 1024 * 1024;

    /** Validates. */
    public S3Tuning {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(socketTimeout, "socketTimeout");
        Objects.requireNonNull(healthTimeout, "healthTimeout");
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException(
                    "part size " + partSize + " outside " + MIN_PART_SIZE + ".." + MAX_PART_SIZE);
        }
        if (inlineReadBytes < 1 || inlineReadBytes > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("inline read size " + inlineReadBytes + " outside 1..16 MiB");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections " + maxConnections);
        }
    }

    /**
     * 8 MiB parts, 256 KiB read inline, 3 s connect, 30 s socket, 5 s health check, 64 connections.
     */
    public static S3Tuning defaults() {
        return new S3Tuning(
                8 * 1024 * 1024, 256 * 1024, Duration.ofSeconds(3), Duration.ofSeconds(30), Duration.ofSeconds(5), 64);
    }

    /** The same tuning with another part size. */
    public S3Tuning withPartSize(int newPartSize) {
        return new S3Tuning(newPartSize, inlineReadBytes, connectTimeout, socketTimeout, healthTimeout, maxConnections);
    }

    /** The same tuning with another inline read size. */
    public S3Tuning withInlineReadBytes(int bytes) {
        return new S3Tuning(partSize, bytes, connectTimeout, socketTimeout, healthTimeout, maxConnections);
    }

    /** The same tuning with other timeouts. */
    public S3Tuning withTimeouts(Duration connect, Duration socket, Duration health) {
        return new S3Tuning(partSize, inlineReadBytes, connect, socket, health, maxConnections);
    }
}
