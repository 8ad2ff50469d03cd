package dev.granary.server.auth;

import dev.granary.core.Meters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current token table, from {@code auth.tokens-file} and {@code auth.tokens}. A file that
 * changes is read again ({@link #reload}); a file that does not parse keeps the table as it was
 * (logged and counted), so a bad edit never locks every client out or lets one in.
 */
public final class TokenStore implements Supplier<TokenTable> {
    private static final Logger log = LoggerFactory.getLogger(TokenStore.class);

    private final Path file;
    private final String inline;
    private final MeterRegistry registry;
    private final AtomicReference<TokenTable> table = new AtomicReference<>();

    /**
     * Loads the table.
     *
     * @param file   the token file, or null
     * @param inline token lines given directly (the environment), or empty
     * @throws IllegalArgumentException when the file cannot be read or a line is wrong
     */
    public TokenStore(Path file, String inline, MeterRegistry registry) {
        this.file = file;
        this.inline = inline == null ? "" : inline;
        this.registry = registry;
        table.set(read());
        Gauge.builder(Meters.AUTH_TOKENS, () -> table.get().size())
                .description("Client tokens loaded")
                .register(registry);
    }

    @Override
    public TokenTable get() {
        return table.get();
    }

    /** The token file, when there is one to watch. */
    public Path file() {
        return file;
    }

    /** Reads the sources again; keeps the current table when they do not parse. */
    public void reload() {
        try {
            TokenTable t = read();
            table.set(t);
            registry.counter(Meters.RELOADS, "file", "tokens", "result", "ok").increment();
            log.info("token file reloaded: {} tokens", t.size());
        } catch (IllegalArgumentException e) {
            registry.counter(Meters.RELOADS, "file", "tokens", "result", "failed")
                    .increment();
            log.warn(
                    "token file not reloaded, the previous {} tokens stay in force: {}",
                    table.get().size(),
                    e.getMessage());
        }
    }

    private TokenTable read() {
        Map<String, String> sources = new LinkedHashMap<>();
        if (file != null) {
            try {
                sources.put(file.toString(), Files.readString(file));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "auth.tokens-file " + file + ": cannot read it: " + e.getMessage(), e);
            }
        }
        sources.put("auth.tokens", inline);
        return TokenTable.parse(sources);
    }
}
