package tern.receiver.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tern.common.qemu.stream.QemuStreamBuilder.block;
import static tern.common.qemu.stream.QemuStreamBuilder.pageBytes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.testing.Allocations;

/** The rebuilder's own block cursor, checked byte for byte against streams written as QEMU writes them. */
class StreamRebuilderTest {
    private static final RamLayout LAYOUT = RamLayout.of(List.of(block("pc.ram", 8 * 4096), block("pc.bios", 2 * 4096)));
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    private StreamRebuilder rebuilder(int buffer) {
        StreamRebuilder r = new StreamRebuilder(Channels.newChannel(written), buffer);
        r.layout(LAYOUT);
        return r;
    }

    private static ByteBuffer opaque(int... b) {
        byte[] bytes = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            bytes[i] = (byte) b[i];
        }
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void namesTheBlockOnItsFirstRecordAfterOpaqueBytesAndWhenTheBlockChanges() throws IOException {
        StreamRebuilder r = rebuilder(64 * 1024);
        r.opaque(opaque(2, 0, 0, 0, 2)); // a PART header
        r.page(0, ByteBuffer.wrap(pageBytes(0, 0)));
        r.zero(1);
        r.page(9, ByteBuffer.wrap(pageBytes(9, 0)));
        r.page(3, ByteBuffer.wrap(pageBytes(3, 0)));
        r.opaque(opaque(0, 0, 0, 0, 0, 0, 0, 0x10, 2, 0, 0, 0, 2)); // EOS, next PART header
        r.page(4, ByteBuffer.wrap(pageBytes(4, 0)));
        r.zero(5);
        r.end();
        byte[] expected = new QemuStreamBuilder().part(2).page("pc.ram", 0, pageBytes(0, 0)).zero(null, 1)
                .page("pc.bios", 1, pageBytes(9, 0)).page("pc.ram", 3, pageBytes(3, 0)).eos()
                .part(2).page("pc.ram", 4, pageBytes(4, 0)).zero(null, 5).bytes();
        assertArrayEquals(expected, written.toByteArray());
        assertEquals(expected.length, r.bytesWritten());
        assertEquals(4, r.pageRecords());
        assertEquals(2, r.zeroRecords());
    }

    @Test
    void recordsLeftOutLeaveNoDanglingContinue() throws IOException {
        // the source wrote pc.bios page 0 (naming the block) and page 1 with CONTINUE; page 0 was
        // left out, so page 1 must name its block itself
        StreamRebuilder r = rebuilder(64 * 1024);
        r.page(1, ByteBuffer.wrap(pageBytes(1, 0)));
        r.page(9, ByteBuffer.wrap(pageBytes(9, 0)));
        r.end();
        assertArrayEquals(new QemuStreamBuilder().page("pc.ram", 1, pageBytes(1, 0)).page("pc.bios", 1, pageBytes(9, 0))
                .bytes(), written.toByteArray());
    }

    @Test
    void opaqueRunsLargerThanTheBufferAndRecordsAcrossItsEdgeArriveWhole() throws IOException {
        StreamRebuilder r = rebuilder(QemuStreamFormat.MAX_RECORD);
        byte[] big = new byte[3 * QemuStreamFormat.MAX_RECORD + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        QemuStreamBuilder expected = new QemuStreamBuilder();
        for (int i = 0; i < 5; i++) {
            r.opaque(ByteBuffer.wrap(big, 0, 100 + i));
            expected.raw(java.util.Arrays.copyOf(big, 100 + i));
            r.page(i, ByteBuffer.wrap(pageBytes(i, 1)));
            r.zero(i + 1);
            expected.page("pc.ram", i, pageBytes(i, 1)).zero(null, i + 1);
        }
        r.opaque(ByteBuffer.wrap(big));
        r.milestone(StreamMilestone.DEVICE_STATE);
        expected.raw(big);
        assertArrayEquals(expected.bytes(), written.toByteArray(), "a milestone writes out what is gathered");
        r.end();
    }

    @Test
    void theCallersBufferIsLeftAsItWas() throws IOException {
        StreamRebuilder r = rebuilder(64 * 1024);
        ByteBuffer page = ByteBuffer.wrap(pageBytes(2, 2));
        ByteBuffer bytes = opaque(1, 2, 3);
        r.opaque(bytes);
        r.page(2, page);
        assertEquals(0, page.position());
        assertEquals(0, bytes.position());
    }

    @Test
    void refusesRecordsItCannotPlace() {
        StreamRebuilder early = new StreamRebuilder(Channels.newChannel(written), 64 * 1024);
        assertTrue(assertThrows(IllegalStateException.class, () -> early.zero(0)).getMessage().contains("before the RAM layout"));
        StreamRebuilder r = rebuilder(64 * 1024);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.zero(10)).getMessage()
                .contains("page index 10 out of range for 10 pages"));
        assertThrows(IllegalArgumentException.class, () -> r.page(0, ByteBuffer.allocate(100)));
        assertThrows(IllegalStateException.class,
                () -> r.layout(RamLayout.of(List.of(block("pc.ram", 4096)))), "a different layout mid-stream");
        assertThrows(IllegalArgumentException.class, () -> new StreamRebuilder(Channels.newChannel(written), 4096));
    }

    @Test
    void rebuildingAllocatesNothingPerRecord() {
        WritableByteChannel discard = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                src.position(src.limit());
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        StreamRebuilder r = new StreamRebuilder(discard, 64 * 1024);
        r.layout(LAYOUT);
        ByteBuffer page = ByteBuffer.wrap(pageBytes(1, 1));
        ByteBuffer header = opaque(2, 0, 0, 0, 2);
        int[] i = {0};
        double perRecord = Allocations.perCall(50_000, () -> {
            try {
                int p = i[0]++ % 10;
                if (p == 0) {
                    r.opaque(header.rewind());
                }
                r.page(p, page);
                r.zero(p);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(perRecord < 1, perRecord + " bytes allocated per record");
    }
}
