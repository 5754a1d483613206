package tern.common.qemu.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static tern.common.qemu.stream.QemuStreamBuilder.block;
import static tern.common.qemu.stream.QemuStreamBuilder.pageBytes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.digest.DigestKind;

/** Stream mode's skip rule: only a page equal to the latest version forwarded is dropped (invariants 2 and 3). */
class DigestingSinkTest {
    private final RecordingSink out = new RecordingSink();
    private final DigestingSink filter = DigestingSink.dropHeld(DigestKind.SHA256, out);

    private void page(int n, byte[] bytes) throws IOException {
        filter.page(n, ByteBuffer.wrap(bytes));
    }

    private List<String> forwarded() {
        return out.outline().stream().filter(s -> !s.startsWith("layout")).toList();
    }

    @Test
    void theLatestVersionForwardedDecidesNotTheFirst() throws IOException {
        filter.layout(RamLayout.of(List.of(block("pc.ram", 4 * 4096))));
        page(0, pageBytes(0, 1));
        page(0, pageBytes(0, 1)); // unchanged: held
        page(0, pageBytes(0, 2));
        page(0, pageBytes(0, 1)); // back to version 1, but the destination holds version 2
        page(1, pageBytes(1, 1));
        assertEquals(List.of("page 0", "page 0", "page 0", "page 1"), forwarded());
        assertEquals(1, filter.dropped());
    }

    @Test
    void zeroRecordsAlwaysGoAndMakeTheZeroPageTheLatest() throws IOException {
        filter.layout(RamLayout.of(List.of(block("pc.ram", 4 * 4096))));
        page(2, new byte[4096]); // never forwarded before: unknown is not zero
        page(3, pageBytes(3, 1));
        filter.zero(3);
        filter.zero(3);
        page(3, new byte[4096]); // the destination holds zeros there
        page(3, pageBytes(3, 1)); // version 1 again after zeros
        assertEquals(List.of("page 2", "page 3", "zero 3", "zero 3", "page 3"), forwarded());
        assertEquals(1, filter.dropped());
    }

    @Test
    void everythingButHeldPagesPassesInOrder() throws IOException {
        filter.layout(RamLayout.of(List.of(block("pc.ram", 4096))));
        filter.opaque(ByteBuffer.wrap(new byte[] {1, 2}));
        page(0, pageBytes(0, 0));
        filter.opaque(ByteBuffer.wrap(new byte[] {3}));
        page(0, pageBytes(0, 0));
        filter.opaque(ByteBuffer.wrap(new byte[] {4}));
        filter.end();
        assertEquals(List.of("opaque", "page 0", "opaque", "end"), forwarded());
        assertEquals(4, out.opaque().length);
    }

    @Test
    void theReceiversTableDropsNothingAndGivesTheSendersRoot() throws IOException {
        RamLayout layout = RamLayout.of(List.of(block("pc.ram", 4 * 4096)));
        RecordingSink delivered = new RecordingSink();
        DigestingSink receiver = DigestingSink.recording(DigestKind.SHA256, delivered);
        DigestingSink sender = DigestingSink.dropHeld(DigestKind.SHA256, receiver);
        sender.layout(layout);
        for (int v : new int[] {1, 1, 2, 1}) {
            sender.page(0, ByteBuffer.wrap(pageBytes(0, v)));
            receiver.page(1, ByteBuffer.wrap(pageBytes(1, 1))); // a record the sender never saw: the roots must differ...
        }
        org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(sender.digests().root(), receiver.digests().root()));
        sender.page(1, ByteBuffer.wrap(pageBytes(1, 1))); // ...until the sender's table has it too
        sender.zero(2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(sender.digests().root(), receiver.digests().root());
        assertEquals(0, receiver.dropped());
        assertEquals(1, sender.dropped());
    }

    @Test
    void aDigestThatCanBeMadeToCollideIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DigestingSink.dropHeld(DigestKind.XXH3_128, out));
    }
}
