package tern.lab.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.TernVersion;
import tern.common.cli.VerboseOption;
import tern.common.cli.HostPort;
import tern.common.page.MappedPages;
import tern.common.page.PageSegments;
import tern.common.units.Converters;

/**
 * The raw-TCP ceiling's sending side (tern-bench starts it; not a user tool). It maps the same
 * {@code file:} source Tern's sender maps, through the same {@link MappedPages} /
 * {@link PageSegments} view, copies pages one by one into a direct send buffer as Tern's sender
 * captures them, and writes each full buffer to a blocking {@link SocketChannel}: no framing, no
 * digest, no per-write allocation.
 *
 * <p>Protocol with tern.lab.bench.TcpSink, per round: a 16-byte header (bytes, round; 0
 * bytes ends), the sink answers 8 bytes once its new sparse image exists, then the bytes, then
 * the sink's 16-byte acknowledgement (bytes written, its own nanoseconds from the first byte read
 * to the last write). With tern-bench, per round: this prints {@code ready ROUND BYTES}, waits for
 * a {@code go} line on stdin (so the caller can read both sides' CPU time between rounds), and
 * prints {@code done ROUND BYTES NANOS SINK_NANOS}, NANOS from the first page copied to the
 * sink's acknowledgement. Warm-up rounds send the file's first {@code --warmup-bytes}.
 */
@Command(name = "tern-bench-tcp-source", mixinStandardHelpOptions = true, versionProvider = TernVersion.class, sortOptions = false,
        description = "The raw-TCP baseline's sender (run by tern-bench).")
public final class TcpSource implements Callable<Integer> {
    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class)
    InetSocketAddress to;

    @Option(names = "--source", required = true, paramLabel = "file:PATH")
    String source;

    @Option(names = "--page-size", converter = Converters.Size.class, defaultValue = "4096")
    long pageSize;

    @Option(names = "--buffer", converter = Converters.Size.class, defaultValue = "256KiB",
            description = "Bytes per socket write (default: ${DEFAULT-VALUE}).")
    long buffer;

    @Option(names = "--warmup-rounds", defaultValue = "1")
    int warmupRounds;

    @Option(names = "--warmup-bytes", converter = Converters.Size.class, defaultValue = "512MiB")
    long warmupBytes;

    @Option(names = "--rounds", defaultValue = "2", description = "Rounds of the whole file after the warm-up.")
    int rounds;

    @Mixin
    VerboseOption verbose;

    public static void main(String[] args) {
        System.exit(Cli.run(new TcpSource(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (!source.startsWith("file:")) {
            throw new IllegalArgumentException("--source " + source + ": expected file:PATH");
        }
        if (buffer < pageSize || buffer % pageSize != 0 || buffer > (1 << 30)) {
            throw new IllegalArgumentException("--buffer " + buffer + " must be a whole number of pages, at most 1 GiB");
        }
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (MappedPages file = MappedPages.openReadOnly(Path.of(source.substring(5)), (int) pageSize);
             SocketChannel ch = SocketChannel.open(new InetSocketAddress(to.getHostString(), to.getPort()))) {
            PageSegments.View view = file.view();
            long pages = file.geometry().pages();
            ByteBuffer buf = ByteBuffer.allocateDirect((int) buffer);
            ByteBuffer header = ByteBuffer.allocateDirect(16);
            ByteBuffer ack = ByteBuffer.allocateDirect(16);
            int pagesPerBuffer = (int) (buffer / pageSize);
            for (int round = 1; round <= warmupRounds + rounds; round++) {
                long roundPages = round <= warmupRounds ? Math.max(1, Math.min(pages, warmupBytes / pageSize)) : pages;
                long bytes = roundPages * pageSize;
                header.clear();
                header.putLong(0, bytes).putLong(8, round);
                TcpWire.writeFully(ch, header);
                ack.clear().limit(8);
                TcpWire.readFully(ch, ack, "the sink"); // the sink's image exists
                System.out.println("ready " + round + " " + bytes);
                System.out.flush();
                String go = stdin.readLine();
                if (!"go".equals(go)) {
                    throw new IllegalStateException("expected 'go' on stdin before round " + round + ", got " + go);
                }
                long t0 = System.nanoTime();
                for (long p = 0; p < roundPages; ) {
                    int n = (int) Math.min(pagesPerBuffer, roundPages - p);
                    buf.clear();
                    for (int i = 0; i < n; i++) {
                        buf.put(view.page(p + i)); // as Tern's sender captures a page into its buffer
                    }
                    buf.flip();
                    TcpWire.writeFully(ch, buf);
                    p += n;
                }
                ack.clear();
                TcpWire.readFully(ch, ack, "the sink");
                long nanos = System.nanoTime() - t0;
                long written = ack.getLong(0);
                if (written != bytes) {
                    throw new IllegalStateException("round " + round + ": the sink wrote " + written + " of " + bytes + " bytes");
                }
                System.out.println(String.format(Locale.ROOT, "done %d %d %d %d", round, bytes, nanos, ack.getLong(8)));
                System.out.flush();
            }
            header.clear();
            header.putLong(0, 0).putLong(8, 0);
            TcpWire.writeFully(ch, header);
        }
        return 0;
    }
}
