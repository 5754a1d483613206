package tern.common.qemu.stream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The guest's RAM as one page space: the blocks of the setup record, in setup order, each taking
 * the next {@code usedBytes / 4096} global page indexes. Both ends build it from the same list,
 * so a (block, offset) of QEMU's stream and a page index on Tern's link name the same page.
 * Immutable; the lookups allocate nothing.
 */
public final class RamLayout {
    /** An idstr is written after a u8 length. */
    public static final int MAX_IDSTR = 255;

    private final List<RamBlock> blocks;
    private final byte[][] idBytes;
    private final int[] firstPages;
    private final int pageCount;

    /** A block as the setup record names it, before pages are numbered. */
    public record Entry(String idstr, long usedBytes) {
    }

    private RamLayout(List<RamBlock> blocks, int pageCount) {
        this.blocks = List.copyOf(blocks);
        this.pageCount = pageCount;
        this.idBytes = new byte[blocks.size()][];
        this.firstPages = new int[blocks.size()];
        for (int i = 0; i < blocks.size(); i++) {
            idBytes[i] = blocks.get(i).idstr().getBytes(StandardCharsets.ISO_8859_1);
            firstPages[i] = blocks.get(i).firstPage();
        }
    }

    /**
     * Numbers the pages of {@code entries}.
     *
     * @throws IllegalArgumentException naming the block whose idstr or length cannot be carried
     */
    public static RamLayout of(List<Entry> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no RAM blocks");
        }
        List<RamBlock> blocks = new ArrayList<>(entries.size());
        Set<String> seen = new HashSet<>();
        long next = 0;
        for (Entry e : entries) {
            int n = e.idstr().getBytes(StandardCharsets.ISO_8859_1).length;
            if (n == 0 || n > MAX_IDSTR) {
                throw new IllegalArgumentException("RAM block idstr '" + e.idstr() + "' has " + n + " bytes, expected 1.." + MAX_IDSTR);
            }
            if (!seen.add(e.idstr())) {
                throw new IllegalArgumentException("RAM block '" + e.idstr() + "' listed twice");
            }
            if (e.usedBytes() <= 0 || (e.usedBytes() & QemuStreamFormat.FLAG_MASK) != 0) {
                throw new IllegalArgumentException("RAM block '" + e.idstr() + "' has " + e.usedBytes()
                        + " bytes, not a positive multiple of " + QemuStreamFormat.PAGE_SIZE);
            }
            blocks.add(new RamBlock(e.idstr(), e.usedBytes(), (int) next));
            next += e.usedBytes() >>> QemuStreamFormat.PAGE_BITS;
            if (next > Integer.MAX_VALUE) {
                // page indexes are ints everywhere in Tern (PageGeometry): 8 TiB of 4 KiB pages
                throw new IllegalArgumentException("RAM blocks up to '" + e.idstr() + "' exceed " + Integer.MAX_VALUE + " pages");
            }
        }
        return new RamLayout(blocks, (int) next);
    }

    public List<RamBlock> blocks() {
        return blocks;
    }

    public RamBlock block(int index) {
        return blocks.get(index);
    }

    public int blockCount() {
        return blocks.size();
    }

    public int pageCount() {
        return pageCount;
    }

    public long bytes() {
        return (long) pageCount << QemuStreamFormat.PAGE_BITS;
    }

    /** The idstr's bytes of block {@code index}, as the stream carries them; do not modify. */
    public byte[] idBytes(int index) {
        return idBytes[index];
    }

    /** The block whose idstr is {@code buf[off, off + len)}, or -1. */
    public int find(byte[] buf, int off, int len) {
        for (int i = 0; i < idBytes.length; i++) {
            if (Arrays.equals(idBytes[i], 0, idBytes[i].length, buf, off, off + len)) {
                return i;
            }
        }
        return -1;
    }

    /** The block holding global page {@code page}. */
    public int blockOf(int page) {
        if (page < 0 || page >= pageCount) {
            throw new IllegalArgumentException("page index " + page + " out of range for " + pageCount + " pages of guest RAM");
        }
        int i = Arrays.binarySearch(firstPages, page);
        return i >= 0 ? i : -i - 2;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RamLayout l && l.blocks.equals(blocks);
    }

    @Override
    public int hashCode() {
        return blocks.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (RamBlock b : blocks) {
            sb.append(sb.length() == 0 ? "" : ", ").append(b.idstr()).append('=').append(b.usedBytes());
        }
        return sb.toString();
    }
}
