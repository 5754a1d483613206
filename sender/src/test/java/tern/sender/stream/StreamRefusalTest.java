package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tern.common.qemu.stream.QemuStreamBuilder.block;
import static tern.common.qemu.stream.QemuStreamBuilder.pageBytes;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_COMPRESS_PAGE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_CONTINUE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_FULL;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_HOOK;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_MEM_SIZE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_MULTIFD_FLUSH;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_PAGE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_XBZRLE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_ZERO;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.common.qemu.stream.ChunkedChannel;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.RecordingSink;
import tern.common.qemu.stream.StreamRefusedException;

/**
 * Every byte the relay cannot carry is refused with a message naming what (QEMU's name for the
 * feature where it is one) and the offset where it starts.
 */
class StreamRefusalTest {
    private static final RamLayout.Entry RAM = block("pc.ram", 16 * 4096);

    /** A stream that is fine up to {@code good}; the refused element, written by {@code bad}, starts where {@code good} ends. */
    private static Arguments refused(String fragment, QemuStreamBuilder good, UnaryOperator<QemuStreamBuilder> bad) {
        long offset = good.bytes().length;
        return Arguments.of(fragment, bad.apply(good).bytes(), offset);
    }

    private static QemuStreamBuilder header() {
        return new QemuStreamBuilder().header().configuration("pc-i440fx-7.2");
    }

    private static QemuStreamBuilder setUp() {
        return QemuStreamBuilder.standard(2, RAM);
    }

    private static QemuStreamBuilder inPart() {
        return setUp().part(2);
    }

    private static QemuStreamBuilder afterEnd() {
        return setUp().end(2).eos().footer(2);
    }

    static Stream<Arguments> streams() {
        return Stream.of(
                refused("not a QEMU migration stream", new QemuStreamBuilder(), b -> b.be32(0x16030100).be32(3)),
                refused("tls-creds", new QemuStreamBuilder(), b -> b.be32(0x16030100).be32(3)),
                Arguments.of("stream version 2", new QemuStreamBuilder().be32(0x5145564d).be32(2).bytes(), 4L),
                refused("machine type of 0 bytes", new QemuStreamBuilder().header(), b -> b.u8(7).be32(0)),
                refused("x-ignore-shared on, announced in the configuration section",
                        header().subsection("configuration/capabilities", 1), b -> b.be32(1).str("x-ignore-shared")),
                refused("mapped-ram", header().subsection("configuration/capabilities", 1), b -> b.be32(1).str("mapped-ram")),
                refused("target page bits 16", header().subsection("configuration/target-page-bits", 1), b -> b.be32(16)),
                refused("unknown configuration subsection 'configuration/foo'", header(),
                        b -> b.subsection("configuration/foo", 1)),
                refused("'configuration/uuid' at version 2", header(), b -> b.subsection("configuration/uuid", 2)),
                refused("MIG_CMD_OPEN_RETURN_PATH (QEMU's capability return-path", header(), b -> b.command(1)),
                refused("MIG_CMD_PING", header(), b -> b.command(2, new byte[4])),
                refused("MIG_CMD_POSTCOPY_ADVISE (QEMU's capability postcopy-ram or dirty-bitmaps", header(),
                        b -> b.command(3, new byte[16])),
                refused("MIG_CMD_ENABLE_COLO (QEMU's capability x-colo", header(), b -> b.command(8)),
                refused("MIG_CMD_PACKAGED", header(), b -> b.command(7, new byte[4])),
                refused("unknown migration command 12", header(), b -> b.command(12)),
                refused("MIG_CMD_SWITCHOVER_START with 4 bytes", setUp(), b -> b.command(11, new byte[4])),
                refused("MIG_CMD_SWITCHOVER_START before the \"ram\" section started", header(), b -> b.command(11)),
                refused("'block': block migration (QEMU's capability block)", header(), b -> b.start("block", 1, 0, 1)),
                refused("'dirty-bitmap': dirty bitmap migration (QEMU's capability dirty-bitmaps)", setUp(),
                        b -> b.start("dirty-bitmap", 3, 0, 1)),
                refused("VFIO device state", setUp(), b -> b.start("0000:00:04.0/vfio", 3, 0, 1)),
                refused("\"ram\" section instance 0 version 5", header(), b -> b.start("ram", 2, 0, 5)),
                refused("a second \"ram\" START section", setUp(), b -> b.start("ram", 3, 0, 4)),
                refused("QEMU_VM_SECTION_PART of section id 2 before any START section", header(), b -> b.part(2)),
                refused("not the \"ram\" section's id 2", setUp(), b -> b.part(3)),
                refused("QEMU_VM_SECTION_FULL '0000:00:03.0/virtio-mem-early' before the end of the \"ram\" section"
                        + " (QEMU 8.1+ sends early_setup device state there: virtio-mem)", setUp(),
                        b -> b.full("0000:00:03.0/virtio-mem-early", 3, 0, 1)),
                refused("QEMU_VM_EOF before the end of the \"ram\" section", setUp(), b -> b.u8(0)),
                refused("QEMU_VM_SUBSECTION where a section or command was expected", setUp(), b -> b.u8(5)),
                refused("unknown section type 0x09", setUp(), b -> b.u8(9)),
                refused("QEMU_VM_SECTION_PART after the \"ram\" END section", afterEnd(), b -> b.part(2)),
                refused("QEMU_VM_COMMAND after the \"ram\" END section", afterEnd(), b -> b.command(11)),
                refused("RAM_SAVE_FLAG_XBZRLE (0x040): QEMU's capability xbzrle is on", inPart(),
                        b -> b.ramWord(0, FLAG_XBZRLE)),
                refused("RAM_SAVE_FLAG_COMPRESS_PAGE (0x100): QEMU's capability compress is on", inPart(),
                        b -> b.ramWord(4096, FLAG_COMPRESS_PAGE | FLAG_CONTINUE)),
                refused("RAM_SAVE_FLAG_MULTIFD_FLUSH (0x200): QEMU's capability multifd is on", inPart(),
                        b -> b.ramWord(0, FLAG_MULTIFD_FLUSH)),
                refused("RAM_SAVE_FLAG_HOOK (0x080): an RDMA migration", inPart(), b -> b.ramWord(0, FLAG_HOOK)),
                refused("RAM_SAVE_FLAG_FULL (0x001", inPart(), b -> b.ramWord(0, FLAG_FULL)),
                refused("RAM_SAVE_FLAG_MEM_SIZE (0x004) outside the setup record", inPart(), b -> b.ramWord(0, FLAG_MEM_SIZE)),
                refused("unknown RAM flag 0x400", inPart(), b -> b.ramWord(0, 0x400 | FLAG_PAGE)),
                refused("RAM_SAVE_FLAG_CONTINUE without a record type", inPart(), b -> b.ramWord(0, FLAG_CONTINUE)),
                refused("both RAM_SAVE_FLAG_ZERO and RAM_SAVE_FLAG_PAGE", inPart(), b -> b.ramWord(0, FLAG_ZERO | FLAG_PAGE)),
                refused("RAM_SAVE_FLAG_CONTINUE before any record named its block", inPart(),
                        b -> b.page(null, 0, pageBytes(0, 0))),
                refused("names block 'vga.vram', which the setup record did not list", inPart(),
                        b -> b.page("vga.vram", 0, pageBytes(0, 0))),
                refused("offset 65536 of block 'pc.ram', which has 65536 bytes", inPart(),
                        b -> b.page("pc.ram", 16, pageBytes(0, 0))),
                refused("fill byte 0xff", inPart(), b -> b.ramWord(0, FLAG_ZERO).str("pc.ram").u8(0xff)),
                refused("section footer of section id 3 after section 2", inPart().eos(), b -> b.footer(3)),
                refused("the stream ended inside a PAGE record [in QEMU_VM_SECTION_PART of \"ram\", section id 2]",
                        inPart(), b -> b.ramWord(0, FLAG_PAGE).str("pc.ram").raw(new byte[100])),
                refused("the stream ended before the end of the \"ram\" section", setUp(), b -> b),
                refused("the stream ended inside the header", new QemuStreamBuilder(), b -> b.be32(0x5145564d)),
                refused("a RAM record before the setup record", header().start("ram", 2, 0, 4),
                        b -> b.page("pc.ram", 0, pageBytes(0, 0))),
                refused("block 'pc.ram' of 65536 bytes with 8192 of the announced 8192 left",
                        header().start("ram", 2, 0, 4).ramWord(8192, FLAG_MEM_SIZE), b -> b.str("pc.ram").be64(65536)),
                refused("RAM block 'odd' has 1000 bytes, not a positive multiple of 4096", header().start("ram", 2, 0, 4),
                        b -> b.setup(block("odd", 1000), block("rest", 7192))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void refusesNamingWhatAndWhere(String fragment, byte[] stream, long offset) {
        StreamRefusedException e = assertThrows(StreamRefusedException.class,
                () -> new StreamParser(new ChunkedChannel(stream, 5), QemuStreamFormat.MAX_RECORD).run(new RecordingSink()));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().startsWith("QEMU migration stream, byte " + offset + ": "), e.getMessage());
    }
}
