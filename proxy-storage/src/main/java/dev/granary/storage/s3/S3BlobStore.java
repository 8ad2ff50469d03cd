package dev.granary.storage.s3;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;

/**
 * A {@link BlobStore} in an S3 bucket (AWS S3 or any S3-compatible store: MinIO, Ceph, R2,
 * s3proxy), on the AWS SDK for Java v2. Blob {@code k} is the object {@code prefix/k}, so the bucket
 * holds the same GOPROXY tree as the disk tier. Several replicas may share one bucket and prefix.
 *
 * <p>Besides the {@link BlobStore} contract: {@link #presignGet} signs download URLs for redirect mode;
 * {@link #checkHealth()} answers within {@link S3Tuning#healthTimeout()}; every failure other than
 * not-found is a {@link StorageException} whose message names the operation, the key, the bucket and
 * the cause (access denied, bucket missing, unreachable endpoint).
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>HTTP client.</b> Exactly one, chosen on purpose: {@code apache5-client} (Apache HttpClient
 *       5, blocking). The SPI is blocking streams in and out (callers run it on virtual threads), so
 *       an async client would only add a bridge; HttpClient 4 ({@code apache-client}) is end-of-life;
 *       the Netty client is banned from this module; {@code url-connection-client} fails conditional
 *       PUTs. Connect and socket timeouts are set, so an unreachable endpoint fails in seconds. The
 *       client (about 0.5 s to build) is created on first use, under a lock, exactly once.</li>
 *   <li><b>Commit semantics.</b> S3 makes an object visible only when its PutObject or
 *       CompleteMultipartUpload succeeds, and then whole: a reader never sees a partial object. Every
 *       put reads and counts the whole body against the declared size <em>before</em> that commit
 *       request, so a short, long or failing stream commits nothing. A multipart upload that fails for
 *       any reason (stream error, size mismatch, S3 error, lost create-only race) is aborted, so no
 *       parts are left billed in the bucket (a bucket lifecycle rule for abandoned uploads remains
 *       a good idea against crashed processes).</li>
 *   <li><b>Create-only</b> sends {@code If-None-Match: *} on PutObject and on
 *       CompleteMultipartUpload; S3 answers 412 when the key exists, so among racing writers, even on
 *       different replicas, exactly one wins. A 409 (a concurrent conditional write in flight) is
 *       retried. A large create-only body first checks existence with a HEAD, to avoid uploading
 *       megabytes that would be refused. Stores without conditional writes answer 501/NotImplemented:
 *       the store then remembers that (logged once) and falls back to HEAD-then-put. That fallback is
 *       not atomic (two writers may both "win", the last one's bytes stay), which is safe for Granary
 *       because every writer of a given key writes the same verified, immutable bytes. Stores that
 *       silently ignore the header cannot be detected.</li>
 *   <li><b>Uploads stream.</b> Bodies of known size up to {@link S3Tuning#partSize()} go in one
 *       PutObject from a buffer of exactly that size. Larger or unknown-size bodies go through a
 *       <em>manual</em> multipart upload (create, upload parts, complete) from one reused buffer of
 *       {@code partSize}, so a 300 MB upload holds one part in the heap. The SDK's automatic multipart
 *       client is not used: it sends headers and part-number GETs that S3-compatible stores reject.
 *       Each part and single put carries a {@code Content-MD5}, which every S3 implementation checks;
 *       the SDK's newer default trailing checksums are turned off ({@code WHEN_REQUIRED}) because
 *       several S3-compatible stores reject them, and Granary verifies content hashes end to end.</li>
 *   <li><b>Reads.</b> {@code get} sends one ranged GET for the first {@link S3Tuning#inlineReadBytes()}
 *       bytes: it answers not-found, the size (from {@code Content-Range}) and the ETag in one round
 *       trip. A blob that fits is then wholly in memory, an exact snapshot. A larger blob keeps that
 *       head and fetches the rest lazily, per stream, with a ranged GET carrying
 *       {@code If-Match: <etag>}: streams and ranges of one blob are byte-identical to what was opened,
 *       and if the object was replaced or deleted meanwhile the read fails with a
 *       {@link StorageException} instead of mixing two versions. (S3 without versioning cannot keep
 *       serving a deleted object, so that is the one place where this store is weaker than disk.)
 *       Streams are never buffered whole; closing one early aborts its connection instead of draining
 *       a large remainder.</li>
 *   <li><b>Delete</b> asks HEAD first so it can report whether the blob existed (a concurrent delete
 *       may make both report {@code true}). <b>List</b> pages through ListObjectsV2 with a trailing
 *       {@code /} on the prefix, which gives whole-segment matching; the result is sorted by
 *       {@link BlobKey} order.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class S3BlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(S3BlobStore.class);
    private static final int MAX_PARTS = 10_000;
    private static final int CONFLICT_RETRIES = 5;
    private static final String OCTET_STREAM = "application/octet-stream";
    private static final Duration MAX_PRESIGN = Duration.ofDays(7);

    private final S3Settings settings;
    private final S3Tuning tuning;
    private final String bucket;
    private final String keyPrefix;
    private final Object lock = new Object();
    private volatile S3Client client;
    private volatile S3Presigner presigner;
    private volatile boolean closed;
    private volatile boolean conditionalWritesUnsupported;
    private final AtomicLong multipartUploads = new AtomicLong();

    /** A store with {@link S3Tuning#defaults()}. Does not contact S3 (the client is made on first use). */
    public S3BlobStore(S3Settings settings) {
        this(settings, S3Tuning.defaults());
    }

    /** A store with the given tuning. Does not contact S3 (the client is made on first use). */
    public S3BlobStore(S3Settings settings, S3Tuning tuning) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.tuning = Objects.requireNonNull(tuning, "tuning");
        this.bucket = settings.bucket();
        this.keyPrefix = settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
    }

    /** The settings this store was made with. */
    public S3Settings settings() {
        return settings;
    }

    /** The tuning this store was made with. */
    public S3Tuning tuning() {
        return tuning;
    }

    /** The object key that holds {@code key}: the prefix, a slash, the key. */
    public String objectKey(BlobKey key) {
        return keyPrefix + key.value();
    }

    /** Multipart uploads completed by this store since it was made (for tests and metrics). */
    public long multipartUploadCount() {
        return multipartUploads.get();
    }

    /** Whether this store found that the endpoint lacks conditional writes and now emulates them. */
    public boolean emulatesConditionalWrites() {
        return conditionalWritesUnsupported;
    }

    /** For tests: behave as if the endpoint had answered 501 to a conditional write. */
    void emulateConditionalWritesForTest() {
        conditionalWritesUnsupported = true;
    }

    /**
     * Opens the blob with one ranged GET (see the implementation notes): small blobs arrive whole,
     * larger ones keep their head and stream the rest lazily, pinned to the ETag seen here.
     */
    @Override
    public Optional<Blob> get(BlobKey key) throws IOException {
        Objects.requireNonNull(key, "key");
        GetObjectRequest ranged = GetObjectRequest.builder()
                .bucket(bucket)
                .key(objectKey(key))
                .range("bytes=0-" + (tuning.inlineReadBytes() - 1))
                .build();
        try {
            return Optional.of(openHead(key, ranged));
        } catch (AwsServiceException e) {
            if (isNotFound(e)) {
                return Optional.empty();
            }
            if (e.statusCode() != 416) {
                throw failure("get", key, e);
            }
            // An empty object has no byte 0: some stores answer 416 to any range on it.
        } catch (SdkException e) {
            throw failure("get", key, e);
        }
        try {
            return Optional.of(openHead(
                    key,
                    GetObjectRequest.builder()
                            .bucket(bucket)
                            .key(objectKey(key))
                            .build()));
        } catch (AwsServiceException e) {
            if (isNotFound(e)) {
                return Optional.empty();
            }
            throw failure("get", key, e);
        } catch (SdkException e) {
            throw failure("get", key, e);
        }
    }

    private Blob openHead(BlobKey key, GetObjectRequest request) throws IOException {
        ResponseInputStream<GetObjectResponse> in = client().getObject(request);
        boolean consumed = false;
        try {
            GetObjectResponse r = in.response();
            long length = r.contentLength() == null ? -1 : r.contentLength();
            long total = totalSize(r.contentRange(), length);
            if (total < 0) {
                throw new StorageException("S3 get of " + key + " in " + describe() + " answered without a length");
            }
            int keep = (int) Math.min(tuning.inlineReadBytes(), total);
            byte[] head;
            try {
                head = in.readNBytes(keep);
            } catch (IOException | SdkException e) {
                throw failure("get", key, e);
            }
            if (head.length != keep) {
                throw new StorageException("S3 get of " + key + " in " + describe() + " ended after " + head.length
                        + " of " + keep + " bytes");
            }
            consumed = length == keep;
            if (total == keep) {
                return Blob.ofBytes(head, unquote(r.eTag()));
            }
            return new S3Blob(key, total, r.eTag(), head);
        } finally {
            if (!consumed) {
                in.abort(); // never drain the rest of a large object just to reuse a connection
            }
            closeQuietly(in);
        }
    }

    @Override
    public Optional<BlobStat> stat(BlobKey key) throws IOException {
        Objects.requireNonNull(key, "key");
        try {
            HeadObjectResponse r = client().headObject(b -> b.bucket(bucket).key(objectKey(key)));
            Instant modified = r.lastModified() == null ? Instant.EPOCH : r.lastModified();
            return Optional.of(new BlobStat(key, r.contentLength(), modified, Optional.ofNullable(unquote(r.eTag()))));
        } catch (AwsServiceException e) {
            if (isNotFound(e)) {
                return Optional.empty();
            }
            throw failure("stat", key, e);
        } catch (SdkException e) {
            throw failure("stat", key, e);
        }
    }

    /**
     * Uploads {@code content} in one PutObject or a manual multipart upload (see the implementation
     * notes), committing only after the whole body was read and counted.
     *
     * @throws StorageException if S3 fails or refuses, or the stream's length differs from
     *     {@code size}; a multipart upload is aborted in every failure case
     * @throws IOException as thrown by {@code content} itself
     */
    @Override
    public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(mode, "mode");
        if (size < -1) {
            throw new IllegalArgumentException("size " + size);
        }
        boolean createOnly = mode == PutMode.CREATE_ONLY;
        if (createOnly && conditionalWritesUnsupported && exists(key)) {
            return false;
        }
        int partSize = tuning.partSize();
        if (size >= 0 && size <= partSize) {
            byte[] body = readExactly(key, content, (int) size);
            return putSingle(key, body, body.length, createOnly);
        }
        PushbackInputStream in = new PushbackInputStream(content, 1);
        if (size < 0) {
            // Unknown size: most such bodies are small, so look at the first 64 KiB before
            // committing to a part-sized buffer.
            byte[] small = new byte[Math.min(64 * 1024, partSize)];
            int n = in.readNBytes(small, 0, small.length);
            if (n < small.length || atEnd(in)) {
                return putSingle(key, small, n, createOnly);
            }
            byte[] buf = new byte[partSize];
            System.arraycopy(small, 0, buf, 0, n);
            n += in.readNBytes(buf, n, partSize - n);
            if (n < partSize || atEnd(in)) {
                return putSingle(key, buf, n, createOnly);
            }
            return putMultipart(key, in, size, createOnly, buf, n);
        }
        return putMultipart(key, in, size, createOnly, new byte[partSize], 0);
    }

    private boolean putSingle(BlobKey key, byte[] body, int length, boolean createOnly) throws IOException {
        String md5 = md5(body, length);
        return writeConditionally(
                key,
                createOnly,
                "put",
                conditional -> client().putObject(
                                PutObjectRequest.builder()
                                        .bucket(bucket)
                                        .key(objectKey(key))
                                        .contentLength((long) length)
                                        .contentMD5(md5)
                                        .contentType(OCTET_STREAM)
                                        .ifNoneMatch(conditional ? "*" : null)
                                        .build(),
                                RequestBody.fromContentProvider(
                                        () -> new ByteArrayInputStream(body, 0, length), length, OCTET_STREAM)));
    }

    private boolean putMultipart(BlobKey key, InputStream in, long size, boolean createOnly, byte[] buf, int filled)
            throws IOException {
        if (createOnly && exists(key)) {
            return false; // don't upload a large body that the conditional complete would refuse
        }
        String objectKey = objectKey(key);
        String uploadId;
        try {
            uploadId = client().createMultipartUpload(
                            b -> b.bucket(bucket).key(objectKey).contentType(OCTET_STREAM))
                    .uploadId();
        } catch (SdkException e) {
            throw failure("start a multipart upload of", key, e);
        }
        boolean committed = false;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            long total = 0;
            int n = filled + in.readNBytes(buf, filled, buf.length - filled);
            while (n > 0) {
                total += n;
                if (size >= 0 && total > size) {
                    throw new StorageException(
                            "content for " + key + " is longer than the declared " + size + " bytes");
                }
                if (parts.size() >= MAX_PARTS) {
                    throw new StorageException(
                            "content for " + key + " exceeds " + MAX_PARTS + " parts of " + buf.length + " bytes");
                }
                parts.add(uploadPart(key, uploadId, parts.size() + 1, buf, n));
                n = in.readNBytes(buf, 0, buf.length);
            }
            if (size >= 0 && total != size) {
                throw new StorageException(
                        "content for " + key + " ended after " + total + " of the declared " + size + " bytes");
            }
            committed = complete(key, uploadId, parts, createOnly);
            if (committed) {
                multipartUploads.incrementAndGet();
            }
            return committed;
        } finally {
            if (!committed) {
                abort(key, uploadId);
            }
        }
    }

    private CompletedPart uploadPart(BlobKey key, String uploadId, int number, byte[] buf, int length)
            throws IOException {
        UploadPartRequest request = UploadPartRequest.builder()
                .bucket(bucket)
                .key(objectKey(key))
                .uploadId(uploadId)
                .partNumber(number)
                .contentLength((long) length)
                .contentMD5(md5(buf, length))
                .build();
        try {
            String etag = client().uploadPart(
                            request,
                            RequestBody.fromContentProvider(
                                    () -> new ByteArrayInputStream(buf, 0, length), length, OCTET_STREAM))
                    .eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw failure("upload part " + number + " of", key, e);
        }
    }

    private boolean complete(BlobKey key, String uploadId, List<CompletedPart> parts, boolean createOnly)
            throws IOException {
        return writeConditionally(
                key,
                createOnly,
                "complete the multipart upload of",
                conditional -> client().completeMultipartUpload(b -> b.bucket(bucket)
                        .key(objectKey(key))
                        .uploadId(uploadId)
                        .multipartUpload(u -> u.parts(parts))
                        .ifNoneMatch(conditional ? "*" : null)));
    }

    /** One write request, sent with {@code If-None-Match: *} when it must create and the store supports it. */
    private interface ConditionalWrite {
        void send(boolean conditional) throws IOException;
    }

    /**
     * Sends a write, conditional for create-only puts: 412 means another writer won ({@code false});
     * 501 switches this store to the exists-then-write fallback; 409 (a concurrent conditional write
     * in progress) is retried with backoff.
     */
    private boolean writeConditionally(BlobKey key, boolean createOnly, String what, ConditionalWrite write)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            boolean conditional = createOnly && !conditionalWritesUnsupported;
            if (createOnly && !conditional && exists(key)) {
                return false;
            }
            try {
                write.send(conditional);
                return true;
            } catch (AwsServiceException e) {
                if (conditional && e.statusCode() == 412) {
                    return false;
                }
                if (conditional && isNotImplemented(e)) {
                    noConditionalWrites(e);
                    continue;
                }
                if (conditional && e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
                    backOff(attempt);
                    continue;
                }
                throw failure(what, key, e);
            } catch (SdkException e) {
                throw failure(what, key, e);
            }
        }
    }

    private void abort(BlobKey key, String uploadId) {
        try {
            client().abortMultipartUpload(
                            b -> b.bucket(bucket).key(objectKey(key)).uploadId(uploadId));
        } catch (SdkException | IOException e) {
            log.warn(
                    "cannot abort multipart upload {} of {} in {} ({}); a bucket lifecycle rule should remove it",
                    uploadId,
                    key,
                    describe(),
                    e.toString());
        }
    }

    private void noConditionalWrites(AwsServiceException e) {
        if (!conditionalWritesUnsupported) {
            conditionalWritesUnsupported = true;
            log.warn(
                    "{} does not support conditional writes (If-None-Match: *; {}): create-only puts fall back to "
                            + "check-then-put, which is safe because writers of one key write identical verified bytes",
                    describe(),
                    e.getMessage());
        }
    }

    /**
     * Deletes the object after a HEAD (to report whether it existed). Idempotent.
     */
    @Override
    public boolean delete(BlobKey key) throws IOException {
        if (stat(key).isEmpty()) {
            return false;
        }
        try {
            client().deleteObject(b -> b.bucket(bucket).key(objectKey(key)));
            return true;
        } catch (AwsServiceException e) {
            if (isNotFound(e)) {
                return false;
            }
            throw failure("delete", key, e);
        } catch (SdkException e) {
            throw failure("delete", key, e);
        }
    }

    /** Pages through ListObjectsV2 under {@code prefix/} (whole segments); sorted. */
    @Override
    public List<BlobKey> list(BlobKey prefix) throws IOException {
        String p = prefix == null ? keyPrefix : keyPrefix + prefix.value() + "/";
        List<BlobKey> keys = new ArrayList<>();
        String token = null;
        try {
            do {
                ListObjectsV2Request.Builder b =
                        ListObjectsV2Request.builder().bucket(bucket).maxKeys(1000);
                if (!p.isEmpty()) {
                    b.prefix(p);
                }
                if (token != null) {
                    b.continuationToken(token);
                }
                ListObjectsV2Response r = client().listObjectsV2(b.build());
                for (S3Object o : r.contents()) {
                    String k = o.key();
                    if (k.startsWith(keyPrefix)) {
                        String rel = k.substring(keyPrefix.length());
                        if (BlobKey.isValid(rel)) { // skips "directory" markers and foreign names
                            keys.add(BlobKey.of(rel));
                        }
                    }
                }
                token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
            } while (token != null);
        } catch (AwsServiceException e) {
            throw failure("list", prefix, e);
        } catch (SdkException e) {
            throw failure("list", prefix, e);
        }
        keys.sort(null);
        return keys;
    }

    /**
     * HEADs the bucket within {@link S3Tuning#healthTimeout()}.
     *
     * @throws StorageException if S3 is unreachable, the bucket does not exist or access is denied
     */
    @Override
    public void checkHealth() throws IOException {
        try {
            client().headBucket(
                            b -> b.bucket(bucket).overrideConfiguration(o -> o.apiCallTimeout(tuning.healthTimeout())));
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404) {
                throw new StorageException("S3 bucket " + bucket + " does not exist at " + endpointText(), e);
            }
            throw failure("health check", null, e);
        } catch (SdkException e) {
            throw failure("health check", null, e);
        }
    }

    /**
     * A URL that lets anyone holding it GET the object under {@code key} until {@code expiry} has
     * passed, signed locally with this store's credentials (no request to S3, no existence check).
     *
     * @param expiry how long the URL is valid; positive and at most 7 days (SigV4's limit)
     * @return the URL; always present for this store
     */
    @Override
    public Optional<URI> presignGet(BlobKey key, Duration expiry) throws IOException {
        Objects.requireNonNull(key, "key");
        if (expiry.isNegative() || expiry.isZero() || expiry.compareTo(MAX_PRESIGN) > 0) {
            throw new IllegalArgumentException("presign expiry " + expiry + " outside (0, 7 days]");
        }
        try {
            GetObjectPresignRequest request = GetObjectPresignRequest.builder()
                    .signatureDuration(expiry)
                    .getObjectRequest(g -> g.bucket(bucket).key(objectKey(key)))
                    .build();
            return Optional.of(presigner().presignGetObject(request).url().toURI());
        } catch (SdkException | URISyntaxException e) {
            throw failure("presign", key, e);
        }
    }

    /** {@code s3://bucket/prefix (endpoint)}. */
    @Override
    public String describe() {
        return "s3://" + bucket + "/" + settings.prefix() + " (" + endpointText() + ")";
    }

    /** Closes the HTTP client; blobs and streams still open fail afterwards. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (client != null) {
                client.close();
                client = null;
            }
            if (presigner != null) {
                presigner.close();
                presigner = null;
            }
        }
    }

    // ---- client ---------------------------------------------------------------------------------

    private S3Client client() throws StorageException {
        S3Client c = client;
        if (c != null) {
            return c;
        }
        synchronized (lock) {
            if (closed) {
                throw new StorageException(describe() + " is closed");
            }
            if (client == null) {
                try {
                    var builder = S3Client.builder()
                            .region(Region.of(settings.region()))
                            .credentialsProvider(credentials())
                            .forcePathStyle(settings.pathStyle())
                            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                            .httpClientBuilder(Apache5HttpClient.builder()
                                    .connectionTimeout(tuning.connectTimeout())
                                    .socketTimeout(tuning.socketTimeout())
                                    .connectionAcquisitionTimeout(tuning.socketTimeout())
                                    .maxConnections(tuning.maxConnections()));
                    if (settings.endpoint() != null) {
                        builder.endpointOverride(settings.endpoint());
                    }
                    client = builder.build();
                } catch (SdkException | IllegalArgumentException e) {
                    throw new StorageException(
                            "cannot create the S3 client for " + describe() + ": " + e.getMessage(), e);
                }
            }
            return client;
        }
    }

    private S3Presigner presigner() throws StorageException {
        S3Presigner p = presigner;
        if (p != null) {
            return p;
        }
        synchronized (lock) {
            if (closed) {
                throw new StorageException(describe() + " is closed");
            }
            if (presigner == null) {
                try {
                    var builder = S3Presigner.builder()
                            .region(Region.of(settings.region()))
                            .credentialsProvider(credentials())
                            .serviceConfiguration(S3Configuration.builder()
                                    .pathStyleAccessEnabled(settings.pathStyle())
                                    .build());
                    if (settings.endpoint() != null) {
                        builder.endpointOverride(settings.endpoint());
                    }
                    presigner = builder.build();
                } catch (SdkException | IllegalArgumentException e) {
                    throw new StorageException(
                            "cannot create the S3 presigner for " + describe() + ": " + e.getMessage(), e);
                }
            }
            return presigner;
        }
    }

    private AwsCredentialsProvider credentials() {
        if (settings.accessKey().isPresent()) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    settings.accessKey().get(), settings.secretKey().orElseThrow()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    // ---- helpers --------------------------------------------------------------------------------

    private String endpointText() {
        return settings.endpoint() == null
                ? "aws " + settings.region()
                : settings.endpoint().toString();
    }

    private static boolean isNotFound(AwsServiceException e) {
        if (e instanceof NoSuchKeyException) {
            return true;
        }
        return e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e));
    }

    private static boolean isNotImplemented(AwsServiceException e) {
        return e.statusCode() == 501 || "NotImplemented".equals(errorCode(e));
    }

    private static String errorCode(AwsServiceException e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }

    /** Maps an SDK or I/O failure to a StorageException that says what, where and why. */
    StorageException failure(String operation, BlobKey key, Exception e) {
        if (e instanceof StorageException se) {
            return se;
        }
        String what = "S3 " + operation + (key == null ? "" : " " + key) + " in " + describe();
        if (e instanceof AwsServiceException s) {
            int status = s.statusCode();
            String code = errorCode(s);
            String message = s.awsErrorDetails() == null
                    ? s.getMessage()
                    : s.awsErrorDetails().errorMessage();
            if (status == 403) {
                return new StorageException(
                        what + " was refused: access denied (HTTP 403 " + code + ": " + message
                                + "); check the access key, the secret key and the bucket policy",
                        e);
            }
            if ("NoSuchBucket".equals(code)) {
                return new StorageException(what + " failed: bucket " + bucket + " does not exist (HTTP 404)", e);
            }
            return new StorageException(what + " failed: HTTP " + status + " " + code + ": " + message, e);
        }
        if (e instanceof SdkClientException || e instanceof IOException) {
            return new StorageException(what + " failed: S3 unreachable or not answering (" + rootMessage(e) + ")", e);
        }
        return new StorageException(what + " failed: " + e, e);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t.getMessage()) : t.getMessage() + "; " + root;
    }

    private static long totalSize(String contentRange, long contentLength) {
        // "bytes 0-262143/5000000"
        if (contentRange != null) {
            int slash = contentRange.lastIndexOf('/');
            if (slash >= 0) {
                String total = contentRange.substring(slash + 1).trim();
                if (!total.equals("*")) {
                    try {
                        return Long.parseLong(total);
                    } catch (NumberFormatException e) {
                        // fall through
                    }
                }
            }
        }
        return contentLength;
    }

    static String unquote(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.startsWith("W/") ? etag.substring(2) : etag;
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e.isBlank() ? null : e;
    }

    private static byte[] readExactly(BlobKey key, InputStream in, int size) throws IOException {
        byte[] body = in.readNBytes(size);
        if (body.length != size) {
            throw new StorageException(
                    "content for " + key + " ended after " + body.length + " of the declared " + size + " bytes");
        }
        if (in.read() >= 0) {
            throw new StorageException("content for " + key + " is longer than the declared " + size + " bytes");
        }
        return body;
    }

    private static boolean atEnd(PushbackInputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            return true;
        }
        in.unread(b);
        return false;
    }

    private static String md5(byte[] body, int length) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(body, 0, length);
            return Base64.getEncoder().encodeToString(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is a required JDK algorithm", e);
        }
    }

    private static void backOff(int attempt) throws StorageException {
        try {
            Thread.sleep(20L * attempt * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while retrying a conditional write", e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing an S3 response stream failed", e);
        }
    }

    /**
     * A blob larger than the inline size: its head is in memory, the rest is fetched per stream with
     * ranged GETs pinned to the ETag seen at open.
     */
    private final class S3Blob implements Blob {
        private final BlobKey key;
        private final long size;
        private final String rawEtag;
        private final byte[] head;

        S3Blob(BlobKey key, long size, String rawEtag, byte[] head) {
            this.key = key;
            this.size = size;
            this.rawEtag = rawEtag;
            this.head = head;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public Optional<String> etag() {
            return Optional.ofNullable(unquote(rawEtag));
        }

        @Override
        public InputStream openStream() {
            return openStream(0, size);
        }

        /** Serves the head from memory and fetches the remainder lazily with one ranged GET. */
        @Override
        public InputStream openStream(long offset, long length) {
            if (offset < 0 || length < 0 || offset > size || length > size - offset) {
                throw new IllegalArgumentException("range " + offset + "+" + length + " outside 0.." + size);
            }
            long end = offset + length;
            if (end <= head.length) {
                return new ByteArrayInputStream(head, (int) offset, (int) length);
            }
            InputStream tail = new RangeStream(key, rawEtag, Math.max(offset, head.length), end);
            if (offset < head.length) {
                return new SequenceInputStream(
                        new ByteArrayInputStream(head, (int) offset, head.length - (int) offset), tail);
            }
            return tail;
        }
    }

    /** Bytes {@code [from, to)} of one object version, requested on the first read. */
    private final class RangeStream extends InputStream {
        private final BlobKey key;
        private final String rawEtag;
        private final long from;
        private final long to;
        private long position;
        private ResponseInputStream<GetObjectResponse> in;
        private boolean closed;

        RangeStream(BlobKey key, String rawEtag, long from, long to) {
            this.key = key;
            this.rawEtag = rawEtag;
            this.from = from;
            this.to = to;
            this.position = from;
        }

        private InputStream open() throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            if (in == null) {
                GetObjectRequest.Builder b = GetObjectRequest.builder()
                        .bucket(bucket)
                        .key(objectKey(key))
                        .range("bytes=" + from + "-" + (to - 1));
                if (rawEtag != null) {
                    b.ifMatch(rawEtag);
                }
                try {
                    in = client().getObject(b.build());
                } catch (AwsServiceException e) {
                    if (e.statusCode() == 412 || isNotFound(e)) {
                        throw new StorageException(
                                "S3 object " + key + " in " + describe()
                                        + " was replaced or deleted after it was opened (HTTP " + e.statusCode()
                                        + "); open it again",
                                e);
                    }
                    throw failure("get", key, e);
                } catch (SdkException e) {
                    throw failure("get", key, e);
                }
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (position >= to) {
                return -1;
            }
            int n;
            try {
                n = open().read(b, off, (int) Math.min(len, to - position));
            } catch (SdkException e) {
                throw failure("get", key, e);
            }
            if (n < 0) {
                throw new StorageException(
                        "S3 object " + key + " in " + describe() + " ended at byte " + position + ", expected " + to);
            }
            position += n;
            return n;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (in != null) {
                if (position < to) {
                    in.abort();
                }
                closeQuietly(in);
            }
        }
    }
}
