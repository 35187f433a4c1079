package dev.rollguard.client;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The WARNING lines a class logs through {@link System.Logger} while open (the JDK's default backend, {@code
 * java.util.logging}, is the one on this module's test class path).
 */
final class CapturedLog implements AutoCloseable {

    final List<String> warnings = new CopyOnWriteArrayList<>();
    /** Held so that the logger, and the handler on it, live as long as this. */
    private final Logger logger;

    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(record.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    CapturedLog(Class<?> type) {
        this.logger = Logger.getLogger(type.getName());
        logger.addHandler(handler);
    }

    /** The warnings that contain every one of {@code parts}. */
    List<String> containing(String... parts) {
        return warnings.stream()
                .filter(w -> List.of(parts).stream().allMatch(w::contains))
                .toList();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
