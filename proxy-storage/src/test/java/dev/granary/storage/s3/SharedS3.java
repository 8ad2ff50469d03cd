package dev.granary.storage.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One s3proxy ({@link TestS3}) per JVM, shared by every test class that uses this extension: started on
 * first use, kept in the root context's store and stopped (by PID, data deleted) when that store closes
 * at the end of the test run. Tests receive it as a constructor or method parameter of type
 * {@link TestS3} and take a fresh {@link TestS3#createBucket() bucket} each, so they never see each
 * other's objects.
 *
 * <p>A test that stops or restarts S3 (an outage) must not use the shared server: it starts its own.
 */
public final class SharedS3 implements ParameterResolver {
    private static final Namespace NAMESPACE = Namespace.create(SharedS3.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestS3.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return get(context);
    }

    /** The JVM's shared server, started now if this is the first use. */
    public static TestS3 get(ExtensionContext context) {
        // The root store outlives every test class and closes what it holds (AutoCloseable) at the end of the run.
        return context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(
                        Shared.class,
                        k -> {
                            try {
                                TestS3 s3 = TestS3.start();
                                s3.share();
                                return new Shared(s3);
                            } catch (IOException e) {
                                throw new UncheckedIOException("s3proxy did not start", e);
                            }
                        },
                        Shared.class)
                .s3();
    }

    /** The store's entry: closing it stops the shared server. */
    private record Shared(TestS3 s3) implements AutoCloseable {
        @Override
        public void close() {
            s3.stopShared();
        }
    }
}
