package tern.common.qmp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import tern.common.json.JsonObjects;
import tern.common.stats.Json;

/**
 * A QMP (QEMU Machine Protocol) client over a unix socket: JSON lines both ways. One reader
 * thread sorts QEMU's lines into replies and events; {@link #execute} sends a command and returns
 * its {@code return} value (or throws {@link QmpException} with QEMU's class and description);
 * {@link #awaitEvent} waits for an event, keeping those that arrive meanwhile. Commands go one at
 * a time; a thread waiting for an event does not hold them up, so another thread can, say,
 * cancel a migration whose end the first one awaits.
 */
public final class QmpClient implements AutoCloseable {
    private final Path socket;
    private final SocketChannel channel;
    /** Held while a command is outstanding: QEMU answers commands in order, one reply each. */
    private final Object commands = new Object();
    // Guarded by this: what the reader thread sorted, and whether the connection ended.
    private final Deque<Map<String, Object>> replies = new ArrayDeque<>();
    private final Deque<QmpEvent> events = new ArrayDeque<>();
    private boolean closed;
    private final Duration replyTimeout;
    private volatile String readError;

    private QmpClient(Path socket, SocketChannel channel, Duration replyTimeout) {
        this.socket = socket;
        this.channel = channel;
        this.replyTimeout = replyTimeout;
        Thread reader = new Thread(this::readLoop, "qmp-" + socket.getFileName());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects to {@code socket}, retrying until {@code connectTimeout} while the socket is not
     * there yet (a QEMU that is still starting), reads the greeting and enters command mode.
     */
    public static QmpClient connect(Path socket, Duration connectTimeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        SocketChannel ch;
        while (true) {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                break;
            } catch (IOException e) {
                ch.close();
                if (System.nanoTime() > deadline) {
                    throw new IOException("QMP socket " + socket + ": cannot connect within "
                            + connectTimeout.toMillis() + " ms: " + e.getMessage());
                }
                // QEMU creates the socket while starting up; it sends no signal we could wait on.
                Thread.sleep(20);
            }
        }
        QmpClient c = new QmpClient(socket, ch, Duration.ofSeconds(30));
        try {
            Map<String, Object> greeting = c.nextReply(connectTimeout);
            if (!greeting.containsKey("QMP")) {
                throw new IOException("QMP socket " + socket + ": expected a QMP greeting, got " + greeting);
            }
            c.execute("qmp_capabilities");
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public Path socket() {
        return socket;
    }

    public Object execute(String command) throws IOException, InterruptedException {
        return execute(command, null);
    }

    /** Runs {@code command} with {@code arguments} (null: none); returns QEMU's {@code return} value. */
    public Object execute(String command, Json arguments) throws IOException, InterruptedException {
        Json cmd = Json.object().put("execute", command);
        if (arguments != null) {
            cmd.put("arguments", arguments);
        }
        synchronized (commands) {
            channel.write(ByteBuffer.wrap((cmd + "\n").getBytes(StandardCharsets.UTF_8)));
            Map<String, Object> m = nextReply(replyTimeout);
            if (m.containsKey("return")) {
                return m.get("return");
            }
            if (m.get("error") instanceof Map<?, ?> err) {
                throw new QmpException(command, String.valueOf(err.get("class")), String.valueOf(err.get("desc")));
            }
            throw new IOException("QMP " + command + ": unexpected reply " + m);
        }
    }

    /** The first event (kept or new) that matches {@code match}; events before it are dropped. */
    public synchronized QmpEvent awaitEvent(Predicate<QmpEvent> match, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            while (!events.isEmpty()) {
                QmpEvent e = events.poll();
                if (match.test(e)) {
                    return e;
                }
            }
            if (closed) {
                throw closedError();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left); // releases this: commands go on meanwhile
        }
    }

    /** The next line that is not an event: a command's reply (or the greeting). */
    private synchronized Map<String, Object> nextReply(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (replies.isEmpty()) {
            if (closed) {
                throw closedError();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("QMP socket " + socket + ": no reply within " + timeout.toMillis() + " ms");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return replies.poll();
    }

    private IOException closedError() {
        return new IOException("QMP socket " + socket + ": QEMU closed the connection"
                + (readError != null ? " (" + readError + ")" : ""));
    }

    private static QmpEvent event(Map<String, Object> m) {
        long micros = 0;
        if (m.get("timestamp") instanceof Map<?, ?> ts && ts.get("seconds") instanceof Long sec
                && ts.get("microseconds") instanceof Long us) {
            micros = sec * 1_000_000 + us;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> data = m.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of();
        return new QmpEvent(String.valueOf(m.get("event")), micros, data);
    }

    private void readLoop() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    Map<String, Object> m = JsonObjects.parse(line);
                    synchronized (this) {
                        if (m.containsKey("event")) {
                            events.add(event(m));
                        } else {
                            replies.add(m);
                        }
                        notifyAll();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            readError = e.getMessage();
        } finally {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
