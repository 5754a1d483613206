package tern.lab.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A guest's serial console: QEMU ({@code -serial tcp:127.0.0.1:PORT}) connects to this listener
 * and its lines are kept, with their arrival time, copied to a log file, and can be awaited.
 */
public final class SerialConsole implements AutoCloseable {
    /** A console line and when it arrived (host wall clock, ms). */
    public record Line(String text, long epochMillis) {
    }

    private final ServerSocket server;
    private final Path log;
    private final List<Line> lines = new ArrayList<>();
    private boolean ended;

    public SerialConsole(Path log) throws IOException {
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        this.log = log;
        Thread t = new Thread(this::pump, "console-" + log.getFileName());
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void pump() {
        try (Socket s = server.accept();
             BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
             var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                String text = line.replace("\r", "");
                w.write(text);
                w.newLine();
                w.flush();
                synchronized (this) {
                    lines.add(new Line(text, System.currentTimeMillis()));
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // QEMU went away or the console was closed: ended below
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /** The first line from index {@code from} on that matches, or null when none came within {@code timeout}. */
    public synchronized Line await(int from, Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = from; ; ) {
            for (; i < lines.size(); i++) {
                if (match.test(lines.get(i).text())) {
                    return lines.get(i);
                }
            }
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    public synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    public synchronized int size() {
        return lines.size();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
