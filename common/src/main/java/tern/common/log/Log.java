package tern.common.log;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Log lines on stderr, the same in every tool: {@code TIME TOOL: message}, TIME as
 * {@link Timestamp}. {@link #install} (run by {@code Cli.run}) names the tool and gives the
 * libraries' java.util.logging records (gRPC, netty) the same form. Stdout is the tools' own
 * report (progress, the table, "listening on"), which scripts read: it is not stamped.
 */
public final class Log {
    private static volatile String tool = "tern";

    private Log() {
    }

    /** Names the tool in every line, and routes java.util.logging's console output through {@link #format}. */
    public static void install(String toolName) {
        tool = toolName;
        Formatter f = new Formatter() {
            @Override
            public String format(LogRecord r) {
                String text = r.getLevel().getName().toLowerCase() + ": " + r.getLoggerName() + ": " + formatMessage(r);
                if (r.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(trace));
                    text += System.lineSeparator() + trace.toString().stripTrailing();
                }
                return Log.format(text) + System.lineSeparator();
            }
        };
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.setFormatter(f);
        }
    }

    /** {@code message} as a log line, without the line end. */
    public static String format(String message) {
        return Timestamp.now() + " " + tool + ": " + message;
    }

    public static void error(String message) {
        line(System.err, message);
    }

    public static void warning(String message) {
        line(System.err, "warning: " + message);
    }

    /** Writes one log line to {@code out} and flushes, so it is seen at once beside the stdout report. */
    public static void line(PrintStream out, String message) {
        out.println(format(message));
        out.flush();
    }

    /** As {@link #line(PrintStream, String)}, on a writer (picocli's error writer). */
    public static void line(PrintWriter out, String message) {
        out.println(format(message));
        out.flush();
    }

    /** {@code line} without its leading time: what a test compares; the line itself if it has none. */
    public static String untimed(String line) {
        return line.length() > 25 && line.charAt(23) == 'Z' && line.charAt(24) == ' ' && line.charAt(10) == 'T'
                ? line.substring(25) : line;
    }
}
