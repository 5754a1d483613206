package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static tern.common.qemu.stream.QemuStreamBuilder.block;
import static tern.common.qemu.stream.QemuStreamBuilder.pageBytes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.digest.DigestKind;
import tern.common.qemu.stream.ChunkedChannel;
import tern.common.qemu.stream.DigestingSink;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.RecordingSink;
import tern.receiver.stream.StreamRebuilder;

/** Parse, (filter,) rebuild: the stream a destination QEMU would load. */
class RoundTripTest {
    private static final RamLayout.Entry RAM = block("pc.ram", 16 * 4096);
    private static final RamLayout.Entry ROM = block("pc.rom", 4 * 4096);

    private static byte[] rebuild(byte[] stream, boolean dedup) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamRebuilder r = new StreamRebuilder(Channels.newChannel(out), QemuStreamFormat.MAX_RECORD);
        new StreamParser(new ChunkedChannel(stream, 999), QemuStreamFormat.MAX_RECORD)
                .run(dedup ? DigestingSink.dropHeld(DigestKind.SHA256, r) : r);
        return out.toByteArray();
    }

    private static RecordingSink events(byte[] stream) throws IOException {
        RecordingSink s = new RecordingSink();
        new StreamParser(new ChunkedChannel(stream, 4096), QemuStreamFormat.MAX_RECORD).run(s);
        return s;
    }

    @Test
    void aStreamThatNamesTheBlockAtEverySectionComesBackByteForByte() throws IOException {
        byte[] stream = QemuStreamBuilder.standard(2, RAM, ROM)
                .part(2).page("pc.ram", 0, pageBytes(0, 0)).zero(null, 1).page("pc.rom", 0, pageBytes(16, 0)).eos().footer(2)
                .part(2).eos().footer(2)
                .end(2).zero("pc.rom", 3).page(null, 2, pageBytes(18, 0)).eos().footer(2).tail(3).bytes();
        assertArrayEquals(stream, rebuild(stream, false));
    }

    @Test
    void continueAcrossSectionsIsRewrittenAndMeansTheSame() throws IOException {
        byte[] stream = QemuStreamBuilder.standard(2, RAM, ROM)
                .part(2).page("pc.rom", 0, pageBytes(16, 0)).eos().footer(2)
                .part(2).page(null, 1, pageBytes(17, 0)).eos().footer(2)
                .end(2).zero(null, 1).eos().footer(2).tail(3).bytes();
        byte[] rebuilt = rebuild(stream, false);
        assertNotEquals(stream.length, rebuilt.length, "the rebuilt stream names pc.rom again in each section");
        assertEquals(events(stream).events(), events(rebuilt).events());
    }

    @Test
    void pagesDroppedAsHeldLeaveAStreamThatParsesToTheRestInOrder() throws IOException {
        byte[] stream = QemuStreamBuilder.standard(2, RAM, ROM)
                .part(2).page("pc.rom", 0, pageBytes(16, 0)).page(null, 1, pageBytes(17, 0)).eos().footer(2)
                // pc.rom page 0 is held and dropped; page 1 (CONTINUE in the source) changed
                .end(2).page("pc.rom", 0, pageBytes(16, 0)).page(null, 1, pageBytes(17, 1)).eos().footer(2)
                .tail(3).bytes();
        RecordingSink s = events(rebuild(stream, true));
        assertEquals(List.of("page 16", "page 17", "page 17"),
                s.outline().stream().filter(e -> e.startsWith("page")).toList());
        assertArrayEquals(pageBytes(17, 1), s.events().stream().filter(e -> e.kind().equals("page")).toList().get(2).bytes());
        assertArrayEquals(events(stream).opaque(), s.opaque(), "every opaque byte arrives");
    }
}
