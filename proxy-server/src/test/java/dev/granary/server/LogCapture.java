package dev.granary.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects the log events of the whole process (the root logger) while open, for assertions on what was logged. */
public final class LogCapture implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    // AppenderBase.doAppend synchronizes on the appender: so do the readers.
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture() {
        appender.setContext(root.getLoggerContext());
        appender.start();
        root.addAppender(appender);
    }

    /** Events at {@code level} or above. */
    public List<ILoggingEvent> atLeast(Level level) {
        synchronized (appender) {
            return appender.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(level))
                    .toList();
        }
    }

    /** Events above DEBUG that carry a throwable (a stack trace in the log), or at ERROR. */
    public List<String> noisy() {
        synchronized (appender) {
            return appender.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)
                            || e.getLevel().isGreaterOrEqual(Level.INFO) && e.getThrowableProxy() != null)
                    .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null
                                    ? ""
                                    : " [" + e.getThrowableProxy().getClassName() + "]"))
                    .toList();
        }
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
