package tern.common.testing;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * java.util.logging in tests: what the libraries log (gRPC and netty on a refused stream, a reset
 * connection, an oversized message: what the tests provoke and assert) is held for the test that
 * runs and printed to stderr only if it fails; a SEVERE record is printed at once, since no test
 * provokes one (the awaitResume race was one). Every test of a module whose classpath has the
 * common test-jar gets it: JUnit finds it through META-INF/services with
 * {@code junit.jupiter.extensions.autodetection.enabled} (the parent pom sets it for surefire and
 * failsafe). Records from other threads between two tests go with the second.
 */
public final class QuietLogs implements BeforeEachCallback, TestWatcher {
    /** Records held at most, the latest kept: a flood of them stays bounded. */
    private static final int HELD = 2_000;
    private static final Held HANDLER = install();

    @Override
    public void beforeEach(ExtensionContext context) {
        HANDLER.clear();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        List<String> held = HANDLER.drain();
        if (!held.isEmpty()) {
            PrintStream err = System.err;
            err.println("--- java.util.logging records of " + context.getDisplayName() + " ---");
            held.forEach(err::print);
            err.flush();
        }
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        HANDLER.clear();
    }

    private static Held install() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Held h = new Held();
        root.addHandler(h);
        return h;
    }

    private static final class Held extends Handler {
        private final ArrayDeque<String> records = new ArrayDeque<>();
        private final SimpleFormatter format = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            String text = format.format(r);
            if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                System.err.print(text);
                return;
            }
            synchronized (this) {
                if (records.size() == HELD) {
                    records.removeFirst();
                }
                records.addLast(text);
            }
        }

        synchronized void clear() {
            records.clear();
        }

        synchronized List<String> drain() {
            List<String> l = new ArrayList<>(records);
            records.clear();
            return l;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
