package tern.lab.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.TernVersion;
import tern.common.cli.VerboseOption;
import tern.common.cli.HostPort;
import tern.common.units.Converters;

/**
 * The raw-TCP ceiling's receiving side (tern-bench starts it; not a user tool). Per round it
 * creates a new sparse image exactly as Tern's TargetImage does (truncate to 0, set the length),
 * then reads the stream into a direct buffer of {@code --buffer} bytes and stores each full
 * buffer with one positional write, as TargetImage stores a batch's run of consecutive pages
 * (64 pages, 256 KiB, by default): the same system calls into the same kind of file, without
 * framing, decoding or digests. The protocol is in tern.lab.bench.TcpSource.
 */
@Command(name = "tern-bench-tcp-sink", mixinStandardHelpOptions = true, versionProvider = TernVersion.class, sortOptions = false,
        description = "The raw-TCP baseline's receiver (run by tern-bench).")
public final class TcpSink implements Callable<Integer> {
    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class)
    InetSocketAddress listen;

    @Option(names = "--image", required = true, paramLabel = "PATH")
    Path image;

    @Option(names = "--buffer", converter = Converters.Size.class, defaultValue = "256KiB",
            description = "Bytes per positional write (default: ${DEFAULT-VALUE}).")
    long buffer;

    @Option(names = "--discard", description = "Read and drop the bytes: no image (the network alone).")
    boolean discard;

    @Mixin
    VerboseOption verbose;

    public static void main(String[] args) {
        System.exit(Cli.run(new TcpSink(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (buffer < 4096 || buffer > (1 << 30)) {
            throw new IllegalArgumentException("--buffer " + buffer + " must be between 4 KiB and 1 GiB");
        }
        if (Files.isDirectory(image)) {
            throw new IllegalArgumentException("image " + image + " is a directory");
        }
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(listen.getHostString(), listen.getPort()));
            InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
            System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort() + ", image " + image);
            System.out.flush();
            try (SocketChannel ch = server.accept()) {
                serve(ch);
            }
        }
        return 0;
    }

    private void serve(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) buffer);
        ByteBuffer header = ByteBuffer.allocateDirect(16);
        ByteBuffer reply = ByteBuffer.allocateDirect(16);
        while (true) {
            header.clear();
            TcpWire.readFully(ch, header, "the source");
            long bytes = header.getLong(0);
            long round = header.getLong(8);
            if (bytes == 0) {
                return;
            }
            if (!discard) {
                // As TargetImage.createZeroed: a new image of zeros, sparse, so it costs nothing until written.
                try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
                    raf.setLength(0);
                    raf.setLength(bytes);
                }
            }
            long t0;
            long written = 0;
            try (FileChannel fc = discard ? null : FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                reply.clear().limit(8);
                reply.putLong(0, bytes);
                TcpWire.writeFully(ch, reply); // ready: the image exists
                t0 = 0;
                while (written < bytes) {
                    buf.clear().limit((int) Math.min(buf.capacity(), bytes - written));
                    while (buf.hasRemaining()) {
                        if (ch.read(buf) < 0) {
                            throw new EOFException("the source closed the connection after " + written + " of " + bytes + " bytes");
                        }
                        if (t0 == 0) {
                            t0 = System.nanoTime();
                        }
                    }
                    buf.flip();
                    if (discard) {
                        written += buf.remaining();
                        continue;
                    }
                    while (buf.hasRemaining()) {
                        written += fc.write(buf, written);
                    }
                }
            }
            long nanos = System.nanoTime() - t0;
            reply.clear();
            reply.putLong(0, written).putLong(8, nanos);
            TcpWire.writeFully(ch, reply);
            System.out.println(String.format(Locale.ROOT, "round %d: %d bytes written in %.1f ms", round, written, nanos / 1e6));
            System.out.flush();
        }
    }
}
