package dev.granary.storage.s3;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@link S3BlobStore} keeps its blobs and how it signs in.
 *
 * @param endpoint the S3 endpoint, such as {@code http://127.0.0.1:9000} for MinIO; {@code null} for
 *     AWS S3 itself (the SDK derives the regional endpoint)
 * @param region the signing region, such as {@code us-east-1} (S3-compatible stores usually accept any)
 * @param bucket the bucket; it must exist (the store never creates buckets)
 * @param prefix a key prefix inside the bucket, without leading or trailing slash ({@code ""} for
 *     none); blob {@code k} is the object {@code prefix/k}. Leading and trailing slashes are stripped.
 * @param pathStyle address the bucket as {@code endpoint/bucket/key} instead of
 *     {@code bucket.endpoint/key}; most S3-compatible stores need it
 * @param accessKey the access key id; empty to use the SDK's default credential chain
 *     ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, profiles, instance roles, ...)
 * @param secretKey the secret access key; present exactly when {@code accessKey} is
 */
public record S3Settings(
        URI endpoint,
        String region,
        String bucket,
        String prefix,
        boolean pathStyle,
        Optional<String> accessKey,
        Optional<String> secretKey) {

    /**
     * Validates and normalizes.
     *
     * @throws IllegalArgumentException if the bucket or region is blank, the endpoint is not an absolute
     *     http(s) URI, or only one of the two keys is given
     */
    public S3Settings {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(bucket, "bucket");
        prefix = prefix == null ? "" : stripSlashes(prefix.strip());
        accessKey =
                Objects.requireNonNullElse(accessKey, Optional.<String>empty()).filter(s -> !s.isBlank());
        secretKey =
                Objects.requireNonNullElse(secretKey, Optional.<String>empty()).filter(s -> !s.isBlank());
        if (region.isBlank()) {
            throw new IllegalArgumentException("S3 region is blank");
        }
        if (bucket.isBlank()) {
            throw new IllegalArgumentException("S3 bucket is blank");
        }
        if (endpoint != null
                && (!endpoint.isAbsolute()
                        || endpoint.getHost() == null
                        || !("http".equalsIgnoreCase(endpoint.getScheme())
                                || "https".equalsIgnoreCase(endpoint.getScheme())))) {
            throw new IllegalArgumentException("S3 endpoint " + endpoint + " is not an absolute http(s) URL");
        }
        if (accessKey.isPresent() != secretKey.isPresent()) {
            throw new IllegalArgumentException("S3 access key and secret key must be given together (or neither, "
                    + "for the SDK's default credential chain)");
        }
    }

    /** Settings with explicit static credentials. */
    public static S3Settings of(
            URI endpoint,
            String region,
            String bucket,
            String prefix,
            boolean pathStyle,
            String accessKey,
            String secretKey) {
        return new S3Settings(
                endpoint,
                region,
                bucket,
                prefix,
                pathStyle,
                Optional.ofNullable(accessKey),
                Optional.ofNullable(secretKey));
    }

    /** The same settings under another key prefix. */
    public S3Settings withPrefix(String newPrefix) {
        return new S3Settings(endpoint, region, bucket, newPrefix, pathStyle, accessKey, secretKey);
    }

    /** The same settings with other static credentials. */
    public S3Settings withCredentials(String newAccessKey, String newSecretKey) {
        return new S3Settings(
                endpoint,
                region,
                bucket,
                prefix,
                pathStyle,
                Optional.ofNullable(newAccessKey),
                Optional.ofNullable(newSecretKey));
    }

    /** Never prints the secret key. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + (endpoint == null ? "aws" : endpoint) + ", region=" + region
                + ", bucket=" + bucket + ", prefix=" + prefix + ", pathStyle=" + pathStyle
                + ", accessKey=" + accessKey.orElse("(default chain)")
                + ", secretKey=" + (secretKey.isPresent() ? "***" : "(default chain)") + "]";
    }

    private static String stripSlashes(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && s.charAt(b) == '/') {
            b++;
        }
        while (e > b && s.charAt(e - 1) == '/') {
            e--;
        }
        return s.substring(b, e);
    }
}
