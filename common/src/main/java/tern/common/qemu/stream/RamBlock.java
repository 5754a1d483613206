package tern.common.qemu.stream;

/**
 * One RAMBlock as the setup record of QEMU's "ram" section lists it: its idstr, its used length
 * in bytes, and the global index of its first page (blocks follow one another in setup order).
 */
public record RamBlock(String idstr, long usedBytes, int firstPage) {
    public int pages() {
        return (int) (usedBytes >>> QemuStreamFormat.PAGE_BITS);
    }
}
