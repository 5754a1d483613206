package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tern.common.qemu.stream.QemuStreamBuilder.block;
import static tern.common.qemu.stream.QemuStreamBuilder.pageBytes;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.qemu.stream.ChunkedChannel;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.RecordingSink;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamSink;
import tern.common.testing.Allocations;

/** The parser on hand-built streams: what it makes of each element, and that every byte reaches the sink once, in order. */
class StreamParserTest {
    static final RamLayout.Entry RAM = block("pc.ram", 16 * 4096);
    static final RamLayout.Entry ACPI = block("/rom@etc/acpi/tables", 2 * 4096);

    static RecordingSink parse(byte[] stream, int buffer, int chunk) throws IOException {
        RecordingSink sink = new RecordingSink();
        StreamParser p = new StreamParser(new ChunkedChannel(stream, chunk), buffer);
        p.run(sink);
        assertEquals(stream.length, p.tally().bytesRead());
        return sink;
    }

    static RecordingSink parse(byte[] stream) throws IOException {
        return parse(stream, 64 * 1024, Integer.MAX_VALUE);
    }

    /** Two sections of pages over two blocks, the second the END, then the tail. */
    static QemuStreamBuilder twoBlocks() {
        return QemuStreamBuilder.standard(2, RAM, ACPI)
                .part(2).page("pc.ram", 0, pageBytes(0, 0)).page(null, 1, pageBytes(1, 0)).zero(null, 2)
                .page("/rom@etc/acpi/tables", 1, pageBytes(17, 0)).zero(null, 0).eos().footer(2)
                .end(2).page("pc.ram", 3, pageBytes(3, 0)).eos().footer(2)
                .tail(3);
    }

    @Test
    void pagesResolveToGlobalIndexesAndEverythingElseIsOpaqueInOrder() throws IOException {
        QemuStreamBuilder b = twoBlocks();
        RecordingSink s = parse(b.bytes());
        assertEquals(List.of("opaque", "layout pc.ram=65536, /rom@etc/acpi/tables=8192", "opaque", "page 0", "page 1",
                "zero 2", "page 17", "zero 16", "opaque", "GUEST_PAUSED", "opaque", "page 3", "opaque", "DEVICE_STATE",
                "opaque", "end"), s.outline());
        assertArrayEquals(b.opaque(), s.opaque(), "every byte but the page records, in order");
        assertArrayEquals(pageBytes(17, 0), s.events().get(6).bytes());
        assertEquals(16, s.layout().block(1).firstPage());
    }

    @Test
    void theEventsDoNotDependOnHowTheSocketCutsTheStream() throws IOException {
        byte[] stream = twoBlocks().bytes();
        List<RecordingSink.Event> whole = parse(stream).events();
        for (int chunk : new int[] {1, 7, 4096 + 13}) {
            assertEquals(whole, parse(stream, QemuStreamFormat.MAX_RECORD, chunk).events(), "chunks of " + chunk);
        }
    }

    @Test
    void continueCarriesTheBlockAcrossSectionsLikeQemusLastSentBlock() throws IOException {
        byte[] stream = QemuStreamBuilder.standard(2, RAM, ACPI)
                .part(2).page("/rom@etc/acpi/tables", 0, pageBytes(16, 0)).eos().footer(2)
                .part(2).page(null, 1, pageBytes(17, 0)).zero(null, 0).eos().footer(2)
                .end(2).zero(null, 1).eos().footer(2).tail(3).bytes();
        assertEquals(List.of("page 16", "page 17", "zero 16", "zero 17"), pagesOf(parse(stream)));
    }

    @Test
    void footersAreOptionalAndEmptySectionsPassThrough() throws IOException {
        byte[] withoutFooters = new QemuStreamBuilder().header().configuration("pc-i440fx-7.2").start("ram", 2, 0, 4)
                .setup(RAM).eos().part(2).eos().part(2).page("pc.ram", 5, pageBytes(5, 0)).eos().part(2).eos()
                .end(2).eos().tail(3).bytes();
        RecordingSink s = parse(withoutFooters);
        assertEquals(List.of("page 5"), pagesOf(s));
        assertEquals("end", s.outline().get(s.outline().size() - 1));
    }

    @Test
    void switchoverStartMarksThePauseOnce() throws IOException {
        byte[] stream = QemuStreamBuilder.standard(2, RAM).part(2).zero("pc.ram", 0).eos().footer(2)
                .command(QemuStreamFormat.CMD_SWITCHOVER_START).end(2).zero("pc.ram", 1).eos().footer(2).tail(3).bytes();
        StreamParser p = new StreamParser(new ChunkedChannel(stream, 64), QemuStreamFormat.MAX_RECORD);
        p.run(new RecordingSink());
        assertTrue(p.tally().switchoverStart());
        List<String> outline = parse(stream).outline();
        assertEquals(1, outline.stream().filter(StreamMilestone.GUEST_PAUSED.name()::equals).count());
        assertTrue(outline.indexOf("GUEST_PAUSED") < outline.indexOf("zero 1")
                && outline.indexOf("GUEST_PAUSED") > outline.indexOf("zero 0"), outline.toString());
    }

    @Test
    void configurationSubsectionsAndNoConfigurationAtAll() throws IOException {
        byte[] uuid = new QemuStreamBuilder().header().configuration("pc-q35-10.0")
                .subsection("configuration/target-page-bits", 1).be32(12)
                .subsection("configuration/uuid", 1).raw(new byte[16])
                .start("ram", 2, 0, 4).setup(RAM).eos().footer(2).end(2).eos().footer(2).tail(3).bytes();
        StreamParser p = new StreamParser(new ChunkedChannel(uuid, 3), QemuStreamFormat.MAX_RECORD);
        p.run(new RecordingSink());
        assertEquals("pc-q35-10.0", p.tally().machineType());
        byte[] bare = new QemuStreamBuilder().header().start("ram", 0, 0, 4).setup(RAM).eos().end(0).eos().tail(1).bytes();
        assertEquals("end", parse(bare).outline().get(parse(bare).outline().size() - 1));
    }

    @Test
    void theTallyCountsRecordsOpaqueAndTailBytes() throws IOException {
        QemuStreamBuilder b = twoBlocks();
        byte[] stream = b.bytes();
        StreamParser p = new StreamParser(new ChunkedChannel(stream, 100), QemuStreamFormat.MAX_RECORD);
        p.run(new RecordingSink());
        StreamTally t = p.tally();
        assertEquals(4, t.pageRecords());
        assertEquals(2, t.zeroRecords());
        assertEquals(b.opaque().length, t.opaqueBytes());
        assertEquals(3, t.ramSections(), "START, PART and END");
        assertFalse(t.switchoverStart(), "7.2's stream: the END section alone says the guest is paused");
        QemuStreamBuilder tail = new QemuStreamBuilder().tail(3);
        assertEquals(tail.bytes().length, t.tailBytes());
    }

    private static List<String> pagesOf(RecordingSink s) {
        return s.outline().stream().filter(e -> e.startsWith("page") || e.startsWith("zero")).toList();
    }

    @Test
    void parsingAllocatesNothingPerRecord() {
        byte[] small = manyPages(200).bytes();
        byte[] large = manyPages(2200).bytes();
        StreamSink none = new NullSink();
        double perSmall = Allocations.perCall(20, () -> run(small, none));
        double perLarge = Allocations.perCall(20, () -> run(large, none));
        double perRecord = (perLarge - perSmall) / (2 * 2000);
        assertTrue(perRecord < 1, perRecord + " bytes allocated per record");
    }

    private static QemuStreamBuilder manyPages(int n) {
        QemuStreamBuilder b = QemuStreamBuilder.standard(2, block("pc.ram", 4096L * n), ACPI).part(2);
        byte[] bytes = pageBytes(1, 1);
        for (int i = 0; i < n; i++) {
            b.page(i % 100 == 0 ? "pc.ram" : null, i, bytes).zero(null, i);
        }
        return b.eos().footer(2).end(2).eos().footer(2).tail(3);
    }

    private static void run(byte[] stream, StreamSink sink) {
        try {
            new StreamParser(new ChunkedChannel(stream, 65536), 64 * 1024).run(sink);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aBufferTooSmallForAPageRecordIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StreamParser(new ChunkedChannel(new byte[0], 1), 4096));
        assertTrue(e.getMessage().contains("at least " + QemuStreamFormat.MAX_RECORD), e.getMessage());
    }

    /** Takes every event and keeps nothing. */
    static final class NullSink implements StreamSink {
        @Override
        public void opaque(java.nio.ByteBuffer bytes) {
        }

        @Override
        public void layout(RamLayout layout) {
        }

        @Override
        public void page(int page, java.nio.ByteBuffer bytes) {
        }

        @Override
        public void zero(int page) {
        }

        @Override
        public void milestone(StreamMilestone milestone) {
        }

        @Override
        public void end() {
        }
    }
}
