package tern.common.qemu.stream;

import static tern.common.qemu.stream.QemuStreamFormat.FLAG_CONTINUE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_EOS;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_MEM_SIZE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_PAGE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_ZERO;
import static tern.common.qemu.stream.QemuStreamFormat.PAGE_SIZE;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Hand-built QEMU migration streams for tests, written element by element as QEMU 7.2 writes them
 * (savevm.c, ram.c); {@link #opaque()} is what a relay must pass on verbatim: every byte but the
 * PAGE and ZERO records.
 */
public final class QemuStreamBuilder {
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private final ByteArrayOutputStream opaque = new ByteArrayOutputStream();

    /** Bytes of page {@code n}'s version {@code v}, distinct for every (n, v). */
    public static byte[] pageBytes(int n, int v) {
        byte[] p = new byte[PAGE_SIZE];
        for (int i = 0; i < PAGE_SIZE; i += 8) {
            ByteBuffer.wrap(p, i, 8).putLong(((long) n << 32) ^ ((long) v << 16) ^ i);
        }
        return p;
    }

    /** The usual opening: header, configuration (no subsections), ram START with {@code blocks}, EOS, footer. */
    public static QemuStreamBuilder standard(int sid, RamLayout.Entry... blocks) {
        return new QemuStreamBuilder().header().configuration("pc-i440fx-7.2").start("ram", sid, 0, 4)
                .setup(blocks).eos().footer(sid);
    }

    public static RamLayout.Entry block(String idstr, long bytes) {
        return new RamLayout.Entry(idstr, bytes);
    }

    public QemuStreamBuilder header() {
        return be32(QemuStreamFormat.MAGIC).be32(QemuStreamFormat.VERSION);
    }

    public QemuStreamBuilder configuration(String machine) {
        u8(QemuStreamFormat.CONFIGURATION);
        byte[] n = machine.getBytes(StandardCharsets.ISO_8859_1);
        return be32(n.length).raw(n);
    }

    /** A configuration subsection header: 0x05, name, version; the payload follows with {@link #raw} and friends. */
    public QemuStreamBuilder subsection(String name, int version) {
        u8(QemuStreamFormat.SUBSECTION);
        return str(name).be32(version);
    }

    public QemuStreamBuilder command(int cmd, byte... args) {
        return u8(QemuStreamFormat.COMMAND).be16(cmd).be16(args.length).raw(args);
    }

    public QemuStreamBuilder start(String idstr, int sid, int instance, int version) {
        return u8(QemuStreamFormat.SECTION_START).be32(sid).str(idstr).be32(instance).be32(version);
    }

    public QemuStreamBuilder full(String idstr, int sid, int instance, int version) {
        return u8(QemuStreamFormat.SECTION_FULL).be32(sid).str(idstr).be32(instance).be32(version);
    }

    public QemuStreamBuilder part(int sid) {
        return u8(QemuStreamFormat.SECTION_PART).be32(sid);
    }

    public QemuStreamBuilder end(int sid) {
        return u8(QemuStreamFormat.SECTION_END).be32(sid);
    }

    /** The setup record: MEM_SIZE with the total, then every block's idstr and length. */
    public QemuStreamBuilder setup(RamLayout.Entry... blocks) {
        long total = 0;
        for (RamLayout.Entry b : blocks) {
            total += b.usedBytes();
        }
        be64(total | FLAG_MEM_SIZE);
        for (RamLayout.Entry b : blocks) {
            str(b.idstr()).be64(b.usedBytes());
        }
        return this;
    }

    public QemuStreamBuilder eos() {
        return be64(FLAG_EOS);
    }

    public QemuStreamBuilder footer(int sid) {
        return u8(QemuStreamFormat.SECTION_FOOTER).be32(sid);
    }

    /** A PAGE record of page {@code page} of its block, naming the block ({@code idstr} non-null) or continuing. */
    public QemuStreamBuilder page(String idstr, long page, byte[] bytes) {
        record(idstr, page, FLAG_PAGE);
        byte[] b = Arrays.copyOf(bytes, PAGE_SIZE);
        all.writeBytes(b);
        return this;
    }

    public QemuStreamBuilder zero(String idstr, long page) {
        record(idstr, page, FLAG_ZERO);
        all.write(0);
        return this;
    }

    /** A RAM record's be64 with any {@code flags} and nothing after it, counted as opaque (for refusals). */
    public QemuStreamBuilder ramWord(long offset, int flags) {
        return be64(offset | flags);
    }

    private void record(String idstr, long page, int flag) {
        long v = (page * PAGE_SIZE) | flag | (idstr == null ? FLAG_CONTINUE : 0);
        all.writeBytes(ByteBuffer.allocate(8).putLong(v).array());
        if (idstr != null) {
            byte[] n = idstr.getBytes(StandardCharsets.ISO_8859_1);
            all.write(n.length);
            all.writeBytes(n);
        }
    }

    public QemuStreamBuilder u8(int v) {
        return raw((byte) v);
    }

    public QemuStreamBuilder be16(int v) {
        return raw(ByteBuffer.allocate(2).putShort((short) v).array());
    }

    public QemuStreamBuilder be32(long v) {
        return raw(ByteBuffer.allocate(4).putInt((int) v).array());
    }

    public QemuStreamBuilder be64(long v) {
        return raw(ByteBuffer.allocate(8).putLong(v).array());
    }

    /** u8 length and the string's bytes. */
    public QemuStreamBuilder str(String s) {
        byte[] n = s.getBytes(StandardCharsets.ISO_8859_1);
        return u8(n.length).raw(n);
    }

    public QemuStreamBuilder raw(byte... bytes) {
        all.writeBytes(bytes);
        opaque.writeBytes(bytes);
        return this;
    }

    /** The device-state tail as QEMU writes it: a FULL section, EOF and the JSON description. */
    public QemuStreamBuilder tail(int sid) {
        full("timer", sid, 0, 2).raw(new byte[24]).footer(sid).u8(QemuStreamFormat.SECTION_EOF);
        byte[] json = "{\"page_size\":4096,\"devices\":[]}".getBytes(StandardCharsets.US_ASCII);
        return u8(QemuStreamFormat.VMDESCRIPTION).be32(json.length).raw(json);
    }

    public byte[] bytes() {
        return all.toByteArray();
    }

    /** Every byte written except PAGE and ZERO records, in order. */
    public byte[] opaque() {
        return opaque.toByteArray();
    }
}
