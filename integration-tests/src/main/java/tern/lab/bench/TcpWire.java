package tern.lab.bench;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Whole buffers over the TCP ceiling's blocking socket: both sides of {@link TcpSource}'s protocol. */
final class TcpWire {
    private TcpWire() {
    }

    static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Fills {@code b}; an end of stream first is an error naming {@code peer} ("the sink"). */
    static void readFully(SocketChannel ch, ByteBuffer b, String peer) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException(peer + " closed the connection");
            }
        }
    }
}
