package tern.lab.process;

import java.io.IOException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The first line of a server the lab starts (tern-receiver, the benchmark's TCP sink):
 * "listening on ADDRESS:PORT, image PATH" ({@code image} null for a tern-receiver --qemu-stream,
 * which has none). The one place that reads it, for servers started on port 0.
 */
public record Listening(String address, int port, String image) {
    private static final Pattern LINE = Pattern.compile("listening on ([0-9a-fA-F.:]+):(\\d+)(?:, image (.+))?");

    /** Waits for {@code server}'s listening line; fails if it ends, prints another, or {@code timeout} passes. */
    public static Listening await(ChildProcess server, Duration timeout) throws IOException, InterruptedException {
        String line = server.awaitStdoutLine(l -> l.startsWith("listening on "), timeout);
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new IOException(server.name() + ": not a listening line: " + line + "\n" + server.outputs());
        }
        return new Listening(m.group(1), Integer.parseInt(m.group(2)), m.group(3));
    }

    /** ADDRESS:PORT, for --to. */
    public String to() {
        return address + ":" + port;
    }
}
