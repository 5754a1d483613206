package tern.sender.stream;

import static tern.common.qemu.stream.QemuStreamFormat.CMD_SWITCHOVER_START;
import static tern.common.qemu.stream.QemuStreamFormat.COMMAND;
import static tern.common.qemu.stream.QemuStreamFormat.CONFIGURATION;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_CONTINUE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_EOS;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_MASK;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_MEM_SIZE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_PAGE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_ZERO;
import static tern.common.qemu.stream.QemuStreamFormat.MAGIC;
import static tern.common.qemu.stream.QemuStreamFormat.PAGE_BITS;
import static tern.common.qemu.stream.QemuStreamFormat.PAGE_SIZE;
import static tern.common.qemu.stream.QemuStreamFormat.RAM_IDSTR;
import static tern.common.qemu.stream.QemuStreamFormat.RAM_INSTANCE;
import static tern.common.qemu.stream.QemuStreamFormat.RAM_VERSION;
import static tern.common.qemu.stream.QemuStreamFormat.SECTION_END;
import static tern.common.qemu.stream.QemuStreamFormat.SECTION_EOF;
import static tern.common.qemu.stream.QemuStreamFormat.SECTION_FOOTER;
import static tern.common.qemu.stream.QemuStreamFormat.SECTION_FULL;
import static tern.common.qemu.stream.QemuStreamFormat.SECTION_PART;
import static tern.common.qemu.stream.QemuStreamFormat.SECTION_START;
import static tern.common.qemu.stream.QemuStreamFormat.VERSION;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamRefusedException;
import tern.common.qemu.stream.StreamSink;

/**
 * Reads QEMU's precopy migration stream (7.2 and 10.x, one channel, no return path) as a relay
 * sees it and tells a {@link StreamSink} what it holds (docs/design.md, "QEMU stream mode"; QEMU 7.2
 * migration/savevm.c and ram.c):
 *
 * <pre>
 *   be32 magic, be32 3
 *   [0x07 configuration: be32 len, machine type, subsections target-page-bits | capabilities | uuid]
 *   then, until the "ram" END section:
 *     0x08 command       only SWITCHOVER_START (10.x): the guest is paused
 *     0x01 START "ram"   instance 0, version 4: the setup record (MEM_SIZE, block list) ... EOS [footer]
 *     0x02 PART, 0x03 END of that section: ZERO/PAGE records ... EOS [footer]
 *   then the first FULL section (or EOF) opens the tail, opaque until the socket closes.
 * </pre>
 *
 * Everything else is refused with a {@link StreamRefusedException} naming it, its offset and
 * QEMU's name for the feature that sends it. PAGE and ZERO records are resolved to global page
 * indexes with the parser's own block cursor, which persists across sections as QEMU's
 * last_sent_block does; all other bytes go to the sink as opaque, in order. Per record the parser
 * allocates nothing: pages are lent to the sink as views of the input buffer.
 */
public final class StreamParser {
    private static final int MAX_MACHINE_TYPE = 256;

    private final ReadableByteChannel channel;
    private final int bufferBytes;
    private StreamInput in;
    private StreamSink sink;
    private RamLayout layout;
    private String machineType;
    private long ramSectionId = -1;
    /** Type and id of the section being parsed, for error messages; -1 outside sections. */
    private int sectionType = -1;
    private long sectionId = -1;
    /** The block of the last record that named one: QEMU's last_sent_block, kept across sections. */
    private int cursor = -1;
    private boolean paused;
    private boolean switchoverStart;
    private boolean ramEnded;
    private long tailBytes;
    private long pageRecords;
    private long zeroRecords;
    private long ramSections;

    /** A parser of the stream {@code channel} yields, holding at most {@code bufferBytes} of it at a time. */
    public StreamParser(ReadableByteChannel channel, int bufferBytes) {
        this.channel = channel;
        this.bufferBytes = QemuStreamFormat.recordBuffer("stream buffer", bufferBytes);
    }

    /** Parses the whole stream into {@code sink}; returns after {@link StreamSink#end()}. */
    public void run(StreamSink sink) throws IOException {
        if (in != null) {
            throw new IllegalStateException("a stream is parsed once");
        }
        this.sink = sink;
        this.in = new StreamInput(channel, bufferBytes, sink);
        header();
        while (true) {
            long at = in.offset();
            int type = in.peek();
            if (type < 0) {
                throw truncated(at, "before the end of the \"ram\" section");
            }
            if (ramEnded) {
                if (type == SECTION_FULL || type == SECTION_EOF) {
                    tail();
                    return;
                }
                throw refused(at, QemuStreamFormat.sectionName(type) + " after the \"ram\" END section, where device"
                        + " state (QEMU_VM_SECTION_FULL) was expected");
            }
            switch (type) {
                case COMMAND -> command(at);
                case SECTION_START -> start(at);
                case SECTION_PART, SECTION_END -> partOrEnd(at, type);
                case SECTION_FULL -> throw refused(at, "QEMU_VM_SECTION_FULL " + fullSectionName()
                        + " before the end of the \"ram\" section (QEMU 8.1+ sends early_setup device state there:"
                        + " virtio-mem)");
                case SECTION_EOF -> throw refused(at, "QEMU_VM_EOF before the end of the \"ram\" section");
                default -> throw refused(at, QemuStreamFormat.sectionName(type) + " where a section or command"
                        + " was expected");
            }
        }
    }

    /** What was parsed so far: on the parsing thread (a sink), or once {@link #run} returned. */
    public StreamTally tally() {
        long read = in == null ? 0 : in.offset();
        long opaque = in == null ? 0 : in.opaqueBytes();
        return new StreamTally(read, opaque, tailBytes, pageRecords, zeroRecords, ramSections, machineType, switchoverStart);
    }

    /** The stream offset of the next byte to parse: on the parsing thread. */
    public long offset() {
        return in == null ? 0 : in.offset();
    }

    /** The RAM blocks of the setup record; null before it was parsed. */
    public RamLayout layout() {
        return layout;
    }

    private void header() throws IOException {
        if (!in.fill(8)) {
            throw truncated(0, "inside the header (magic and version)");
        }
        long magic = in.be32(0);
        if (magic != (MAGIC & 0xffffffffL)) {
            throw refused(0, String.format("magic 0x%08x is not QEMU's 0x%08x (\"QEVM\"): not a QEMU migration stream"
                    + " (is QEMU's tls-creds set? Tern's own TLS protects the link)", magic, MAGIC));
        }
        long version = in.be32(4);
        if (version != VERSION) {
            throw refused(4, "stream version " + version + ", expected " + VERSION);
        }
        in.consume(8);
        if (in.peek() == CONFIGURATION) {
            machineType = new ConfigurationSection(in).parse();
        }
    }

    private void command(long at) throws IOException {
        need(5, at, "inside a command");
        int cmd = in.be16(1);
        int len = in.be16(3);
        if (cmd != CMD_SWITCHOVER_START) {
            throw refused(at, "command " + QemuStreamFormat.commandName(cmd) + " (length " + len + "): precopy without"
                    + " a return path sends only MIG_CMD_SWITCHOVER_START");
        }
        if (len != 0) {
            throw refused(at, "MIG_CMD_SWITCHOVER_START with " + len + " bytes of arguments, expected none");
        }
        if (ramSectionId < 0) {
            throw refused(at, "MIG_CMD_SWITCHOVER_START before the \"ram\" section started");
        }
        in.consume(5);
        switchoverStart = true;
        paused(StreamMilestone.GUEST_PAUSED);
    }

    private void start(long at) throws IOException {
        need(6, at, "inside a section header");
        long id = in.be32(1);
        int n = in.u8(5);
        need(6 + n + 8, at, "inside a section header");
        String idstr = new String(in.array(), in.index(6), n, StandardCharsets.ISO_8859_1);
        long instance = in.be32(6 + n);
        long version = in.be32(10 + n);
        if (!idstr.equals(RAM_IDSTR)) {
            throw refused(at, "iterable section " + QemuStreamFormat.iterableSection(idstr) + " (section id " + id
                    + "); Tern carries only \"ram\"");
        }
        if (ramSectionId >= 0) {
            throw refused(at, "a second \"ram\" START section (id " + id + "; the first was " + ramSectionId + ")");
        }
        if (instance != RAM_INSTANCE || version != RAM_VERSION) {
            throw refused(at, "\"ram\" section instance " + instance + " version " + version + ", expected instance "
                    + RAM_INSTANCE + " version " + RAM_VERSION);
        }
        in.consume(6 + n + 8);
        ramSectionId = id;
        enter(SECTION_START, id);
        records();
        footer();
        leave();
    }

    private void partOrEnd(long at, int type) throws IOException {
        need(5, at, "inside a section header");
        long id = in.be32(1);
        if (ramSectionId < 0 || id != ramSectionId) {
            throw refused(at, QemuStreamFormat.sectionName(type) + " of section id " + id + (ramSectionId < 0
                    ? " before any START section" : ", not the \"ram\" section's id " + ramSectionId));
        }
        if (type == SECTION_END) {
            // QEMU writes the END sections only after vm_stop (migration_completion)
            paused(StreamMilestone.GUEST_PAUSED);
        }
        in.consume(5);
        enter(type, id);
        records();
        footer();
        leave();
        ramEnded = type == SECTION_END;
    }

    private void enter(int type, long id) {
        sectionType = type;
        sectionId = id;
        ramSections++;
    }

    private void leave() {
        sectionType = -1;
        sectionId = -1;
    }

    /** The RAM records of one section, up to and including its EOS. */
    private void records() throws IOException {
        boolean first = true;
        while (true) {
            long at = in.offset();
            need(8, at, "inside a RAM record");
            long v = in.be64(0);
            int flags = (int) (v & FLAG_MASK);
            long addr = v & ~(long) FLAG_MASK;
            if (flags == FLAG_EOS && addr == 0) {
                in.consume(8);
                return;
            }
            if (flags == FLAG_MEM_SIZE && first && sectionType == SECTION_START && layout == null) {
                setup(at, addr);
            } else {
                pageRecord(at, flags, addr);
            }
            first = false;
        }
    }

    /** The setup record: the total of the blocks' used lengths, then each block's idstr and length. */
    private void setup(long at, long total) throws IOException {
        in.consume(8);
        List<RamLayout.Entry> entries = new ArrayList<>();
        long left = total;
        while (left > 0) {
            long blockAt = in.offset();
            need(1, blockAt, "inside the setup record's block list");
            int n = in.u8(0);
            need(1 + n + 8, blockAt, "inside the setup record's block list");
            String idstr = new String(in.array(), in.index(1), n, StandardCharsets.ISO_8859_1);
            long used = in.be64(1 + n);
            if (n == 0 || used <= 0 || used > left) {
                throw refused(blockAt, "setup record lists block '" + idstr + "' of " + used + " bytes with " + left
                        + " of the announced " + total + " left");
            }
            in.consume(1 + n + 8);
            entries.add(new RamLayout.Entry(idstr, used));
            left -= used;
        }
        try {
            layout = RamLayout.of(entries);
        } catch (IllegalArgumentException e) {
            throw refused(at, "setup record: " + e.getMessage());
        }
        in.flushOpaque();
        sink.layout(layout);
    }

    private void pageRecord(long at, int flags, long addr) throws IOException {
        int kind = flags & ~FLAG_CONTINUE;
        if (kind != FLAG_PAGE && kind != FLAG_ZERO) {
            throw refused(at, unsupported(flags));
        }
        if (layout == null) {
            throw refused(at, "a RAM record before the setup record");
        }
        int header = 8;
        if ((flags & FLAG_CONTINUE) != 0) {
            if (cursor < 0) {
                throw refused(at, "RAM record with RAM_SAVE_FLAG_CONTINUE before any record named its block");
            }
        } else {
            need(9, at, "inside a RAM record");
            int n = in.u8(8);
            need(9 + n, at, "inside a RAM record");
            int block = layout.find(in.array(), in.index(9), n);
            if (block < 0) {
                throw refused(at, "RAM record names block '" + new String(in.array(), in.index(9), n,
                        StandardCharsets.ISO_8859_1) + "', which the setup record did not list (" + layout + ")");
            }
            cursor = block;
            header += 1 + n;
        }
        var block = layout.block(cursor);
        if (addr >= block.usedBytes()) {
            throw refused(at, "RAM record at offset " + addr + " of block '" + block.idstr() + "', which has "
                    + block.usedBytes() + " bytes");
        }
        int page = block.firstPage() + (int) (addr >>> PAGE_BITS);
        if (kind == FLAG_PAGE) {
            need(header + PAGE_SIZE, at, "inside a PAGE record");
            in.flushOpaque();
            sink.page(page, in.slice(header, PAGE_SIZE));
            in.skipRecord(header + PAGE_SIZE);
            pageRecords++;
        } else {
            need(header + 1, at, "inside a ZERO record");
            int fill = in.u8(header);
            if (fill != 0) {
                throw refused(at, String.format("ZERO record for offset %d of block '%s' with fill byte 0x%02x"
                        + " (QEMU 10.x refuses it too)", addr, block.idstr(), fill));
            }
            in.flushOpaque();
            sink.zero(page);
            in.skipRecord(header + 1);
            zeroRecords++;
        }
    }

    private static String unsupported(int flags) {
        int bad = flags & ~(FLAG_PAGE | FLAG_ZERO | FLAG_CONTINUE);
        if (bad != 0) {
            return QemuStreamFormat.unsupportedFlag(Integer.lowestOneBit(bad)) + String.format(" (record flags 0x%03x)", flags);
        }
        return String.format("RAM record flags 0x%03x: %s", flags, (flags & (FLAG_PAGE | FLAG_ZERO)) == 0
                ? "RAM_SAVE_FLAG_CONTINUE without a record type" : "both RAM_SAVE_FLAG_ZERO and RAM_SAVE_FLAG_PAGE");
    }

    /** An optional QEMU_VM_SECTION_FOOTER after a section: 0x7e and the section id again. */
    private void footer() throws IOException {
        long at = in.offset();
        if (in.peek() != SECTION_FOOTER) {
            return;
        }
        need(5, at, "inside a section footer");
        long id = in.be32(1);
        if (id != sectionId) {
            throw refused(at, "section footer of section id " + id + " after section " + sectionId);
        }
        in.consume(5);
    }

    /** Everything from the first byte after the "ram" END to the end of the socket, opaque. */
    private void tail() throws IOException {
        in.flushOpaque();
        sink.milestone(StreamMilestone.DEVICE_STATE);
        while (in.fill(1)) {
            tailBytes += in.consumeAll();
            in.flushOpaque();
        }
        sink.end();
    }

    private void paused(StreamMilestone m) throws IOException {
        if (!paused) {
            paused = true;
            in.flushOpaque();
            sink.milestone(m);
        }
    }

    private String fullSectionName() throws IOException {
        if (!in.fill(6)) {
            return "";
        }
        int n = in.u8(5);
        return in.fill(6 + n) ? "'" + new String(in.array(), in.index(6), n, StandardCharsets.ISO_8859_1) + "'" : "";
    }

    private void need(int n, long at, String where) throws IOException {
        if (!in.fill(n)) {
            throw truncated(at, where);
        }
    }

    private StreamRefusedException truncated(long at, String where) {
        return new StreamRefusedException(at, "the stream ended " + where + context()
                + " (QEMU cancelled or failed its migration, or closed the socket)");
    }

    private StreamRefusedException refused(long at, String what) {
        return new StreamRefusedException(at, what + context());
    }

    private String context() {
        return sectionType < 0 ? "" : " [in " + QemuStreamFormat.sectionName(sectionType) + " of \"ram\", section id "
                + sectionId + "]";
    }
}
