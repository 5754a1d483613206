package tern.receiver;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Headers;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A raw HTTP/2 client, written from RFC 9113 with netty's HPACK codec, for what no well-behaved
 * gRPC client sends: gRPC length prefixes that lie, messages cut short, compressed flags, streams
 * reset at any byte, HEADERS+RST_STREAM floods, a zero receive window. It keeps the protocol's
 * obligations (SETTINGS and PING acknowledgements, the peer's flow-control windows) and reports
 * what the server did to each stream: its messages, its trailers (grpc-status, grpc-message) or
 * its RST_STREAM, and a GOAWAY. One reader thread; writes from any thread. Published in the
 * receiver's test-jar for the integration tests.
 */
public final class RawHttp2 implements AutoCloseable {
    public static final int DATA = 0;
    public static final int HEADERS = 1;
    public static final int RST_STREAM = 3;
    public static final int SETTINGS = 4;
    public static final int PING = 6;
    public static final int GOAWAY = 7;
    public static final int WINDOW_UPDATE = 8;
    public static final int CONTINUATION = 9;
    public static final int END_STREAM = 0x1;
    public static final int ACK = 0x1;
    public static final int END_HEADERS = 0x4;
    /** RST_STREAM / GOAWAY codes. */
    public static final int CANCEL = 0x8;
    public static final int ENHANCE_YOUR_CALM = 0xb;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String MIGRATE = "/tern.v1.Migration/Migrate";

    /** What the server did to one stream. */
    public static final class StreamState {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private Http2Headers trailers;
        private Integer resetCode;
        private boolean headersSeen;

        /** The gRPC status code from the trailers, or -1 (a reset, or not ended). */
        public synchronized int grpcStatus() {
            if (trailers == null || trailers.get("grpc-status") == null) {
                return -1;
            }
            return Integer.parseInt(trailers.get("grpc-status").toString());
        }

        public synchronized String grpcMessage() {
            CharSequence m = trailers == null ? null : trailers.get("grpc-message");
            return m == null ? null : URLDecoder.decode(m.toString().replace("+", "%2B"), StandardCharsets.UTF_8);
        }

        public synchronized Integer resetCode() {
            return resetCode;
        }

        public synchronized boolean ended() {
            return trailers != null || resetCode != null;
        }

        /** The gRPC messages the server sent on the stream, whole ones only. */
        public synchronized List<byte[]> messages() {
            List<byte[]> out = new ArrayList<>();
            byte[] b = data.toByteArray();
            int at = 0;
            while (at + 5 <= b.length) {
                int len = ((b[at + 1] & 0xff) << 24) | ((b[at + 2] & 0xff) << 16) | ((b[at + 3] & 0xff) << 8) | (b[at + 4] & 0xff);
                if (at + 5 + len > b.length) {
                    break;
                }
                byte[] m = new byte[len];
                System.arraycopy(b, at + 5, m, 0, len);
                out.add(m);
                at += 5 + len;
            }
            return out;
        }

        @Override
        public synchronized String toString() {
            return (trailers != null ? "grpc-status " + grpcStatus() + " " + grpcMessage() : "no trailers")
                    + (resetCode != null ? ", RST_STREAM " + resetCode : "");
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final boolean returnWindow;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
    private final Thread reader;
    // guarded by this
    private final Map<Integer, StreamState> streams = new HashMap<>();
    private final Map<Integer, Long> sendWindows = new HashMap<>();
    private long connectionWindow = 65535;
    private int peerInitialWindow = 65535;
    private int peerMaxFrame = 16384;
    private int nextStream = 1;
    private long pingsAcked;
    private Integer goAwayCode;
    private boolean closed;
    private ByteArrayOutputStream headerBlock;
    private int headerBlockStream;
    private int headerBlockFlags;

    private RawHttp2(Socket socket, int initialWindow) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 << 10);
        this.returnWindow = initialWindow > 0;
        synchronized (out) {
            out.write(PREFACE);
            // SETTINGS_INITIAL_WINDOW_SIZE (4): how much the server may send on each stream before we say more
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            s.write(new byte[] {0, 4});
            s.write(int32(initialWindow));
            frame(SETTINGS, 0, 0, s.toByteArray(), 0, s.size());
            out.flush();
        }
        reader = new Thread(this::read, "raw-http2-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** A connection to 127.0.0.1:{@code port} whose streams each let the server send {@code initialWindow} bytes (0: none). */
    public static RawHttp2 connect(int port, int initialWindow) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setTcpNoDelay(true);
        return new RawHttp2(s, initialWindow);
    }

    public static RawHttp2 connect(int port) throws IOException {
        return connect(port, 1 << 20);
    }

    /** Opens a Migrate stream (HEADERS, END_HEADERS); returns its id. */
    public int open() throws IOException {
        return open(false);
    }

    /** Opens a Migrate stream, optionally announcing gzip-compressed messages (grpc-encoding). */
    public int open(boolean gzip) throws IOException {
        Http2Headers h = new DefaultHttp2Headers().method("POST").scheme("http").path(MIGRATE).authority("localhost")
                .add("content-type", "application/grpc").add("te", "trailers");
        if (gzip) {
            h.add("grpc-encoding", "gzip");
        }
        synchronized (out) {
            int id;
            synchronized (this) {
                id = nextStream;
                nextStream += 2;
                streams.put(id, new StreamState());
                sendWindows.put(id, (long) peerInitialWindow);
            }
            ByteBuf b = Unpooled.buffer();
            try {
                encoder.encodeHeaders(id, h, b);
            } catch (Http2Exception e) {
                throw new IOException(e);
            }
            byte[] block = new byte[b.readableBytes()];
            b.readBytes(block);
            b.release();
            frame(HEADERS, END_HEADERS, id, block, 0, block.length);
            out.flush();
            return id;
        }
    }

    /** A gRPC message as its length-prefixed frame: flag byte, 4-byte length (as given), body. */
    public static byte[] grpcFrame(int flags, long declaredLength, byte[] body) {
        byte[] f = new byte[5 + body.length];
        f[0] = (byte) flags;
        System.arraycopy(int32((int) declaredLength), 0, f, 1, 4);
        System.arraycopy(body, 0, f, 5, body.length);
        return f;
    }

    public static byte[] grpcFrame(byte[] body) {
        return grpcFrame(0, body.length, body);
    }

    /**
     * Sends {@code len} bytes on {@code stream} as DATA frames, waiting for the server's windows;
     * false (the rest unsent) if the stream or connection ended, or no window came within {@code timeout}.
     */
    public boolean data(int stream, byte[] b, int off, int len, boolean endStream, Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        int at = off;
        int left = len;
        do {
            int n;
            synchronized (this) {
                while (true) {
                    StreamState st = streams.get(stream);
                    if (closed || st == null || st.ended()) {
                        return false;
                    }
                    long window = Math.min(connectionWindow, sendWindows.get(stream));
                    if (left == 0 || window > 0) {
                        n = (int) Math.min(Math.min(left, window), peerMaxFrame);
                        connectionWindow -= n;
                        sendWindows.put(stream, sendWindows.get(stream) - n);
                        break;
                    }
                    long wait = end - System.nanoTime();
                    if (wait <= 0) {
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
            boolean last = left - n == 0;
            synchronized (out) {
                frame(DATA, last && endStream ? END_STREAM : 0, stream, b, at, n);
                out.flush();
            }
            at += n;
            left -= n;
        } while (left > 0);
        return true;
    }

    public boolean data(int stream, byte[] b, boolean endStream) throws IOException {
        return data(stream, b, 0, b.length, endStream, Duration.ofSeconds(RawPeer.TIMEOUT_SECONDS));
    }

    /** RST_STREAM with {@code code}. */
    public void reset(int stream, int code) throws IOException {
        synchronized (out) {
            frame(RST_STREAM, 0, stream, int32(code), 0, 4);
            out.flush();
        }
    }

    /**
     * A round trip: once the server acknowledged this PING it has read every frame sent before it
     * (one connection is read in order), so its transport has seen each of them.
     */
    public boolean ping(Duration timeout) throws IOException, InterruptedException {
        long want;
        synchronized (this) {
            want = pingsAcked + 1;
        }
        synchronized (out) {
            frame(PING, 0, 0, new byte[8], 0, 8);
            out.flush();
        }
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (pingsAcked < want && !closed) {
                long wait = end - System.nanoTime();
                if (wait <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            }
            return pingsAcked >= want;
        }
    }

    /** Waits until the server ended {@code stream} (trailers or RST_STREAM) or the connection closed; the stream's state. */
    public StreamState awaitEnd(int stream, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            StreamState st = streams.get(stream);
            while (!st.ended() && !closed) {
                long wait = end - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            }
            return st;
        }
    }

    /** Waits until the server sent {@code n} whole messages on {@code stream}, or ended it; its messages. */
    public List<byte[]> awaitMessages(int stream, int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            StreamState st = streams.get(stream);
            while (st.messages().size() < n && !st.ended() && !closed) {
                long wait = end - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            }
            return st.messages();
        }
    }

    public synchronized StreamState stream(int id) {
        return streams.get(id);
    }

    /** Waits until the server sent GOAWAY or closed the connection; the GOAWAY's code, or null. */
    public Integer awaitGoAway(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (goAwayCode == null && !closed) {
                long wait = end - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            }
            return goAwayCode;
        }
    }

    public synchronized Integer goAwayCode() {
        return goAwayCode;
    }

    /** Whether the server closed the connection (or it failed). */
    public synchronized boolean closed() {
        return closed;
    }

    /** Waits until the server closed the connection. */
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (!closed) {
                long wait = end - System.nanoTime();
                if (wait <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            }
            return true;
        }
    }

    private void read() {
        try {
            while (true) {
                int len = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                byte[] payload = new byte[len];
                in.readFully(payload);
                onFrame(type, flags, stream, payload);
            }
        } catch (EOFException | java.net.SocketException e) {
            // the server closed the connection
        } catch (IOException | Http2Exception e) {
            // a broken connection ends like a closed one
        } finally {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
        }
    }

    private void onFrame(int type, int flags, int stream, byte[] p) throws IOException, Http2Exception {
        switch (type) {
            case SETTINGS -> {
                if ((flags & ACK) == 0) {
                    synchronized (this) {
                        for (int i = 0; i + 6 <= p.length; i += 6) {
                            int id = ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
                            int v = readInt32(p, i + 2);
                            if (id == 4) {
                                for (Map.Entry<Integer, Long> e : sendWindows.entrySet()) {
                                    e.setValue(e.getValue() + v - peerInitialWindow);
                                }
                                peerInitialWindow = v;
                            } else if (id == 5) {
                                peerMaxFrame = v;
                            }
                        }
                        notifyAll();
                    }
                    synchronized (out) {
                        frame(SETTINGS, ACK, 0, new byte[0], 0, 0);
                        out.flush();
                    }
                }
            }
            case PING -> {
                if ((flags & ACK) != 0) {
                    synchronized (this) {
                        pingsAcked++;
                        notifyAll();
                    }
                } else {
                    synchronized (out) {
                        frame(PING, ACK, 0, p, 0, p.length);
                        out.flush();
                    }
                }
            }
            case WINDOW_UPDATE -> {
                long inc = readInt32(p, 0) & 0x7fffffffL;
                synchronized (this) {
                    if (stream == 0) {
                        connectionWindow += inc;
                    } else if (sendWindows.containsKey(stream)) {
                        sendWindows.put(stream, sendWindows.get(stream) + inc);
                    }
                    notifyAll();
                }
            }
            case DATA -> {
                synchronized (this) {
                    StreamState st = streams.get(stream);
                    if (st != null) {
                        synchronized (st) {
                            st.data.write(p, 0, p.length);
                        }
                    }
                    if ((flags & END_STREAM) != 0 && st != null) {
                        synchronized (st) {
                            st.trailers = st.trailers == null ? new DefaultHttp2Headers() : st.trailers;
                        }
                    }
                    notifyAll();
                }
                if (returnWindow && p.length > 0) {
                    synchronized (out) {
                        frame(WINDOW_UPDATE, 0, 0, int32(p.length), 0, 4);
                        frame(WINDOW_UPDATE, 0, stream, int32(p.length), 0, 4);
                        out.flush();
                    }
                }
            }
            case HEADERS, CONTINUATION -> {
                byte[] block = p;
                if (type == HEADERS) {
                    int at = 0;
                    int pad = 0;
                    if ((flags & 0x8) != 0) {
                        pad = p[0] & 0xff;
                        at = 1;
                    }
                    if ((flags & 0x20) != 0) {
                        at += 5;
                    }
                    block = Arrays.copyOfRange(p, at, p.length - pad);
                    headerBlock = new ByteArrayOutputStream();
                    headerBlockStream = stream;
                    headerBlockFlags = flags;
                }
                headerBlock.write(block);
                if ((flags & END_HEADERS) != 0) {
                    ByteBuf b = Unpooled.wrappedBuffer(headerBlock.toByteArray());
                    Http2Headers h = decoder.decodeHeaders(headerBlockStream, b);
                    b.release();
                    synchronized (this) {
                        StreamState st = streams.get(headerBlockStream);
                        if (st != null) {
                            synchronized (st) {
                                if ((headerBlockFlags & END_STREAM) != 0) {
                                    st.trailers = h;
                                } else {
                                    st.headersSeen = true;
                                }
                            }
                        }
                        notifyAll();
                    }
                }
            }
            case RST_STREAM -> {
                synchronized (this) {
                    StreamState st = streams.get(stream);
                    if (st != null) {
                        synchronized (st) {
                            st.resetCode = readInt32(p, 0);
                        }
                    }
                    notifyAll();
                }
            }
            case GOAWAY -> {
                synchronized (this) {
                    goAwayCode = readInt32(p, 4);
                    notifyAll();
                }
            }
            default -> {
                // PRIORITY, PUSH_PROMISE (never sent to a client that did not enable it), unknown: ignored
            }
        }
    }

    /** Writes one frame; the caller holds {@code out}'s lock. */
    private void frame(int type, int flags, int stream, byte[] b, int off, int len) throws IOException {
        out.write(new byte[] {(byte) (len >>> 16), (byte) (len >>> 8), (byte) len, (byte) type, (byte) flags});
        out.write(int32(stream));
        out.write(b, off, len);
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static int readInt32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
