package tern.common.qemu.stream;

/**
 * The bytes of QEMU's precopy migration stream that Tern reads or writes, with QEMU's own names
 * (docs/design.md, "QEMU stream mode"; QEMU 7.2 migration/savevm.h, savevm.c, ram.c; unchanged in 10.x but
 * for the command SWITCHOVER_START and the multifd flag). All integers on the wire are big-endian.
 */
public final class QemuStreamFormat {
    /** "QEVM", then the version: QEMU_VM_FILE_MAGIC, QEMU_VM_FILE_VERSION (2 is obsolete). */
    public static final int MAGIC = 0x5145564d;
    public static final int VERSION = 3;

    /** x86's TARGET_PAGE_SIZE; the flags of a RAM record live in the bits below it. */
    public static final int PAGE_BITS = 12;
    public static final int PAGE_SIZE = 1 << PAGE_BITS;
    public static final int FLAG_MASK = PAGE_SIZE - 1;

    // Section types: the byte that opens everything after the header.
    public static final int SECTION_EOF = 0x00;
    public static final int SECTION_START = 0x01;
    public static final int SECTION_PART = 0x02;
    public static final int SECTION_END = 0x03;
    public static final int SECTION_FULL = 0x04;
    public static final int SUBSECTION = 0x05;
    public static final int VMDESCRIPTION = 0x06;
    public static final int CONFIGURATION = 0x07;
    public static final int COMMAND = 0x08;
    public static final int SECTION_FOOTER = 0x7e;

    // RAM_SAVE_FLAG_*: the low bits of a RAM record's be64 (offset in block | flags).
    public static final int FLAG_FULL = 0x001;
    public static final int FLAG_ZERO = 0x002;
    public static final int FLAG_MEM_SIZE = 0x004;
    public static final int FLAG_PAGE = 0x008;
    public static final int FLAG_EOS = 0x010;
    public static final int FLAG_CONTINUE = 0x020;
    public static final int FLAG_XBZRLE = 0x040;
    public static final int FLAG_HOOK = 0x080;
    public static final int FLAG_COMPRESS_PAGE = 0x100;
    public static final int FLAG_MULTIFD_FLUSH = 0x200;

    /** The one iterable section Tern parses: register_savevm_live("ram", 0, 4, ...). */
    public static final String RAM_IDSTR = "ram";
    public static final int RAM_INSTANCE = 0;
    public static final int RAM_VERSION = 4;

    /** The largest RAM record Tern reads or writes: be64, an idstr of 255 bytes after its length, a page. */
    public static final int MAX_RECORD = 8 + 1 + 255 + PAGE_SIZE;

    /** MIG_CMD_SWITCHOVER_START (QEMU 10.0+): the guest has been stopped, the final sections follow. */
    public static final int CMD_SWITCHOVER_START = 11;

    private QemuStreamFormat() {
    }

    /**
     * {@code bytes}, checked to hold a whole RAM record: a parser or writer works on records whole.
     *
     * @throws IllegalArgumentException naming {@code what} when it is smaller
     */
    public static int recordBuffer(String what, int bytes) {
        if (bytes < MAX_RECORD) {
            throw new IllegalArgumentException(what + " of " + bytes + " bytes; at least " + MAX_RECORD
                    + " (one page record) are needed");
        }
        return bytes;
    }

    /** QEMU's name of a section type byte. */
    public static String sectionName(int type) {
        return switch (type) {
            case SECTION_EOF -> "QEMU_VM_EOF";
            case SECTION_START -> "QEMU_VM_SECTION_START";
            case SECTION_PART -> "QEMU_VM_SECTION_PART";
            case SECTION_END -> "QEMU_VM_SECTION_END";
            case SECTION_FULL -> "QEMU_VM_SECTION_FULL";
            case SUBSECTION -> "QEMU_VM_SUBSECTION";
            case VMDESCRIPTION -> "QEMU_VM_VMDESCRIPTION";
            case CONFIGURATION -> "QEMU_VM_CONFIGURATION";
            case COMMAND -> "QEMU_VM_COMMAND";
            case SECTION_FOOTER -> "QEMU_VM_SECTION_FOOTER";
            default -> String.format("unknown section type 0x%02x", type);
        };
    }

    /**
     * What a RAM flag bit Tern does not carry means, in QEMU's words: the flag's name and the
     * capability (or transport) that makes QEMU send it.
     */
    public static String unsupportedFlag(int bit) {
        return switch (bit) {
            case FLAG_FULL -> "RAM_SAVE_FLAG_FULL (0x001, obsolete since 2009)";
            case FLAG_MEM_SIZE -> "RAM_SAVE_FLAG_MEM_SIZE (0x004) outside the setup record";
            case FLAG_XBZRLE -> "RAM_SAVE_FLAG_XBZRLE (0x040): QEMU's capability xbzrle is on";
            case FLAG_HOOK -> "RAM_SAVE_FLAG_HOOK (0x080): an RDMA migration";
            case FLAG_COMPRESS_PAGE -> "RAM_SAVE_FLAG_COMPRESS_PAGE (0x100): QEMU's capability compress is on";
            case FLAG_MULTIFD_FLUSH -> "RAM_SAVE_FLAG_MULTIFD_FLUSH (0x200): QEMU's capability multifd is on";
            default -> String.format("unknown RAM flag 0x%03x", bit);
        };
    }

    /** QEMU's name of a migration command (MIG_CMD_*) and, for those Tern refuses, what sends it. */
    public static String commandName(int cmd) {
        return switch (cmd) {
            case 1 -> "MIG_CMD_OPEN_RETURN_PATH (QEMU's capability return-path, or postcopy-ram/switchover-ack, is on)";
            case 2 -> "MIG_CMD_PING (sent on a return path: capability return-path)";
            case 3 -> "MIG_CMD_POSTCOPY_ADVISE (QEMU's capability postcopy-ram or dirty-bitmaps is on)";
            case 4 -> "MIG_CMD_POSTCOPY_LISTEN (postcopy)";
            case 5 -> "MIG_CMD_POSTCOPY_RUN (postcopy)";
            case 6 -> "MIG_CMD_POSTCOPY_RAM_DISCARD (postcopy)";
            case 7 -> "MIG_CMD_PACKAGED (postcopy)";
            case 8 -> "MIG_CMD_ENABLE_COLO (QEMU's capability x-colo is on)";
            case 9 -> "MIG_CMD_POSTCOPY_RESUME (postcopy recovery)";
            case 10 -> "MIG_CMD_RECV_BITMAP (postcopy recovery)";
            case CMD_SWITCHOVER_START -> "MIG_CMD_SWITCHOVER_START";
            default -> "unknown migration command " + cmd;
        };
    }

    /** What an iterable section other than RAM means: QEMU's capability or device that sends it. */
    public static String iterableSection(String idstr) {
        String what = switch (idstr) {
            case "block" -> "block migration (QEMU's capability block)";
            case "dirty-bitmap" -> "dirty bitmap migration (QEMU's capability dirty-bitmaps)";
            default -> idstr.endsWith("/vfio") ? "VFIO device state (a vfio-pci device)"
                    : "an iterable device section Tern does not parse";
        };
        return "'" + idstr + "': " + what;
    }
}
