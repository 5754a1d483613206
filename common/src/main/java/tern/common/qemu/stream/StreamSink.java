package tern.common.qemu.stream;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a relay makes of QEMU's precopy stream, in stream order: opaque bytes that must reach the
 * destination QEMU verbatim (header, configuration, section headers and footers, commands, EOS,
 * the setup record, and the whole device-state tail), and RAM records resolved to global page
 * indexes of the {@link RamLayout}. A page record's block and CONTINUE bit are not part of it:
 * whoever writes the stream again names blocks with its own cursor.
 *
 * <p>Buffers are views of the producer's buffer, valid only during the call: copy what must be
 * kept. The producer calls from one thread.
 */
public interface StreamSink {
    /** Bytes to pass on unchanged and in order; {@code bytes} from position to limit. */
    void opaque(ByteBuffer bytes) throws IOException;

    /** The RAM blocks, once, after the setup record's bytes and before any page or zero record. */
    void layout(RamLayout layout) throws IOException;

    /** A PAGE record: {@code bytes} holds the page's 4096 bytes. */
    void page(int page, ByteBuffer bytes) throws IOException;

    /** A ZERO record (fill byte 0): the page is all zero bytes. */
    void zero(int page) throws IOException;

    /** A point in the stream a relay acts on; see {@link StreamMilestone}. */
    void milestone(StreamMilestone milestone) throws IOException;

    /** The source closed the stream after the device-state tail: everything has been delivered. */
    void end() throws IOException;
}
