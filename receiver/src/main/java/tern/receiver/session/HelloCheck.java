package tern.receiver.session;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import tern.common.wire.Protocol;
import tern.common.digest.DigestKind;
import tern.common.digest.DigestTable;
import tern.common.page.PageGeometry;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.units.ByteSize;
import tern.common.wire.PeerText;
import tern.proto.Hello;
import tern.proto.PageEncoding;
import tern.proto.QemuStreamHello;
import tern.receiver.image.ResumeFile;

/**
 * The checks a hello must pass before anything is created or changed (invariant 4 of
 * docs/design.md). Each refusal names the field and the value; a hello that passes says what it
 * asks for. A new migration's hello must also find room for its image and its table here; a
 * resuming one must ask for the migration it resumes.
 */
final class HelloCheck {
    /** What a valid hello asks for. */
    record Asked(PageGeometry geometry, DigestKind kind, Set<PageEncoding> encodings, int maxBatchPages) {
    }

    /** What a valid QEMU stream hello asks for: the guest's RAM blocks, the digest, the largest chunk. */
    record StreamAsked(RamLayout layout, DigestKind kind, int maxChunkBytes) {
    }

    private final Path imagePath;
    private final ReceiverConfig config;

    HelloCheck(Path imagePath, ReceiverConfig config) {
        this.imagePath = imagePath;
        this.config = config;
    }

    /** A new migration's hello: valid, without a token, and with room for its image and table. */
    Asked newMigration(Hello h) throws ProtocolException {
        Asked a = valid(h);
        if (!h.getResumeToken().isEmpty()) {
            throw ProtocolException.precondition("hello.resume_token: this receiver has no migration to resume");
        }
        requireSpace(a.geometry().bytes(), a.geometry().pageCount() * a.kind().length());
        requireHeap(a.geometry().pageCount(), a.kind());
        return a;
    }

    /** A resuming hello: valid, and asking for the geometry and digest of the migration {@code held} describes. */
    Asked resuming(Hello h, ResumeFile.Header held) throws ProtocolException {
        Asked a = valid(h);
        PageGeometry g = held.geometry();
        if (a.geometry().pageSize() != g.pageSize() || a.geometry().pages() != g.pages()) {
            String field = a.geometry().pageSize() != g.pageSize() ? "hello.page_size" : "hello.page_count";
            throw ProtocolException.precondition(field + ": resuming migration " + held.migrationId() + " of "
                    + g.pages() + " pages of " + g.pageSize() + " B, not " + a.geometry().pages() + " of "
                    + a.geometry().pageSize() + " B");
        }
        if (a.kind() != held.digest()) {
            throw ProtocolException.precondition("hello.digest: resuming migration " + held.migrationId() + " digested with "
                    + held.digest().cliName() + ", not " + a.kind().cliName());
        }
        return a;
    }

    /**
     * A new QEMU stream migration's hello: the common fields, then the RAM blocks (they number the
     * pages: page_count must be their sum), a cryptographic digest (a page a guest crafted to
     * collide would be dropped as held), chunks that fit this receiver's message limit, and heap for
     * the table.
     */
    StreamAsked streamMigration(Hello h) throws ProtocolException {
        StreamAsked a = validStream(h);
        if (!h.getResumeToken().isEmpty()) {
            throw ProtocolException.precondition("hello.resume_token: this receiver has no migration to resume");
        }
        requireHeap(a.layout().pageCount(), a.kind());
        return a;
    }

    /** A resuming QEMU stream hello: valid, and for the blocks and digest of the migration it resumes. */
    StreamAsked resumingStream(Hello h, RamLayout layout, DigestKind kind, String migrationId) throws ProtocolException {
        if (!h.hasQemuStream()) {
            throw ProtocolException.precondition("hello.qemu_stream: migration " + migrationId + " relays a QEMU stream;"
                    + " a resuming hello must say so");
        }
        StreamAsked a = validStream(h);
        if (!a.layout().equals(layout) || a.kind() != kind) {
            throw ProtocolException.precondition("hello.qemu_stream.blocks: resuming migration " + migrationId + " of "
                    + layout + " digested with " + kind.cliName() + ", not " + a.layout() + " with " + a.kind().cliName());
        }
        return a;
    }

    private StreamAsked validStream(Hello h) throws ProtocolException {
        common(h);
        QemuStreamHello q = h.getQemuStream();
        if (h.getPageSize() != QemuStreamFormat.PAGE_SIZE) {
            throw ProtocolException.invalid("hello.page_size: " + Integer.toUnsignedString(h.getPageSize())
                    + "; a QEMU stream's pages are " + QemuStreamFormat.PAGE_SIZE + " bytes");
        }
        List<RamLayout.Entry> entries = new ArrayList<>();
        for (int i = 0; i < q.getBlocksCount(); i++) {
            entries.add(new RamLayout.Entry(q.getBlocks(i).getIdstr(), q.getBlocks(i).getUsedBytes()));
        }
        RamLayout layout;
        try {
            layout = RamLayout.of(entries);
        } catch (IllegalArgumentException e) {
            throw ProtocolException.invalid("hello.qemu_stream.blocks: " + e.getMessage());
        }
        if (h.getPageCount() != layout.pageCount()) {
            throw ProtocolException.invalid("hello.page_count: " + Long.toUnsignedString(h.getPageCount())
                    + ", but the blocks hold " + layout.pageCount() + " pages");
        }
        if (layout.bytes() > config.maxImageBytes()) {
            throw ProtocolException.invalid("hello.qemu_stream.blocks: " + layout.bytes() + " bytes of guest RAM exceed"
                    + " --max-image " + config.maxImageBytes());
        }
        DigestKind kind = digest(h);
        if (!kind.cryptographic()) {
            throw ProtocolException.invalid("hello.digest: " + kind.cliName() + " is not cryptographic; a QEMU stream's"
                    + " held pages are dropped on their digest alone");
        }
        long maxChunk = Integer.toUnsignedLong(q.getMaxChunkBytes());
        long maxMessage = maxChunk + 64 + 6L * Protocol.streamChunkRecords((int) Math.min(Integer.MAX_VALUE, maxChunk)) + 64;
        if (maxChunk < QemuStreamFormat.PAGE_SIZE || maxMessage > config.maxMessageBytes()) {
            throw ProtocolException.invalid("hello.qemu_stream.max_chunk_bytes: " + maxChunk + " bytes"
                    + (maxChunk < QemuStreamFormat.PAGE_SIZE ? " hold no page" : " of payload do not fit the receiver's"
                    + " message limit of " + config.maxMessageBytes() + " bytes"));
        }
        return new StreamAsked(layout, kind, (int) maxChunk);
    }

    /** What every hello must get right: the protocol version, the id, one stream. */
    private void common(Hello h) throws ProtocolException {
        if (h.getProtocolVersion() != Protocol.PROTOCOL_VERSION) {
            throw ProtocolException.precondition("hello.protocol_version: " + Integer.toUnsignedString(h.getProtocolVersion())
                    + " is not spoken here; this receiver speaks version " + Protocol.PROTOCOL_VERSION);
        }
        if (h.getMigrationId().length() > 128) {
            throw ProtocolException.invalid("hello.migration_id: " + h.getMigrationId().length() + " characters, at most 128");
        }
        int control = PeerText.firstControl(h.getMigrationId());
        if (control >= 0) {
            // the id goes into log lines: a newline, CR or escape sequence would forge or garble them
            throw ProtocolException.invalid("hello.migration_id: control character U+"
                    + String.format("%04X", (int) h.getMigrationId().charAt(control)) + " at index " + control
                    + "; an id is shown in logs and may hold no control or format characters");
        }
        if (h.getStreamCount() != 1) {
            throw ProtocolException.precondition("hello.stream_count: " + Integer.toUnsignedString(h.getStreamCount())
                    + " streams; this receiver supports one stream per migration");
        }
        if (h.getStreamIndex() != 0) {
            throw ProtocolException.invalid("hello.stream_index: " + Integer.toUnsignedString(h.getStreamIndex())
                    + " is not below hello.stream_count " + h.getStreamCount());
        }
    }

    private static DigestKind digest(Hello h) throws ProtocolException {
        try {
            return DigestKind.fromProto(h.getDigest());
        } catch (IllegalArgumentException e) {
            throw ProtocolException.invalid("hello.digest: " + e.getMessage());
        }
    }

    private Asked valid(Hello h) throws ProtocolException {
        common(h);
        if (!PageGeometry.validPageSize(Integer.toUnsignedLong(h.getPageSize()))) {
            throw ProtocolException.invalid("hello.page_size: " + Integer.toUnsignedString(h.getPageSize())
                    + " is not a power of two in " + PageGeometry.MIN_PAGE_SIZE + ".." + PageGeometry.MAX_PAGE_SIZE);
        }
        long pageCount = h.getPageCount();
        if (pageCount <= 0 || pageCount > Integer.MAX_VALUE) {
            throw ProtocolException.invalid("hello.page_count: " + Long.toUnsignedString(pageCount)
                    + " is not in 1.." + Integer.MAX_VALUE);
        }
        long bytes = pageCount * h.getPageSize();
        if (bytes > config.maxImageBytes()) {
            throw ProtocolException.invalid("hello.page_count: an image of " + bytes + " bytes exceeds --max-image "
                    + config.maxImageBytes());
        }
        DigestKind kind = digest(h);
        requireTableWithinLimit(pageCount, h.getPageSize(), kind);
        Set<PageEncoding> encodings = EnumSet.noneOf(PageEncoding.class);
        for (int i = 0; i < h.getEncodingsCount(); i++) {
            PageEncoding e = PageEncoding.forNumber(h.getEncodingsValue(i));
            if (e == null || e == PageEncoding.PAGE_ENCODING_UNSPECIFIED) {
                throw ProtocolException.invalid("hello.encodings[" + i + "]: unknown page encoding " + h.getEncodingsValue(i));
            }
            encodings.add(e);
        }
        if (!encodings.contains(PageEncoding.RAW)) {
            throw ProtocolException.invalid("hello.encodings: RAW must be offered");
        }
        long maxBatchPages = Integer.toUnsignedLong(h.getMaxBatchPages());
        long maxBatchBytes = maxBatchPages * (h.getPageSize() + 16L) + 1024;
        if (maxBatchPages == 0 || maxBatchBytes > config.maxMessageBytes()) {
            throw ProtocolException.invalid("hello.max_batch_pages: " + Integer.toUnsignedString(h.getMaxBatchPages())
                    + " pages of " + h.getPageSize() + " bytes do not fit the receiver's message limit of "
                    + config.maxMessageBytes() + " bytes");
        }
        return new Asked(new PageGeometry(h.getPageSize(), pageCount), kind, encodings, (int) maxBatchPages);
    }

    /**
     * A hello commits a digest table of page_count × digest length bytes on the heap, whatever it
     * goes on to send: a 30-byte hello for 2^26 pages of 512 B would pin 2 GiB. The table may be
     * at most that of an image of --max-image in 4 KiB pages with 32-byte digests (1/128 of it:
     * 512 MiB at the default 64 GiB), so small pages do not multiply what a hello commits.
     */
    private void requireTableWithinLimit(long pageCount, int pageSize, DigestKind kind) throws ProtocolException {
        long table = pageCount * kind.length();
        if (table > DigestTable.MAX_BYTES) {
            throw ProtocolException.invalid("hello.page_count: " + pageCount + " pages of " + pageSize
                    + " B need a digest table of " + ByteSize.format(table) + ", more than one table holds ("
                    + ByteSize.format(DigestTable.MAX_BYTES) + "): use larger pages");
        }
        long limit = config.maxImageBytes() / 4096 * 32;
        if (table > limit) {
            throw ProtocolException.invalid("hello.page_count: " + pageCount + " pages of " + pageSize
                    + " B need a digest table of " + ByteSize.format(table) + "; --max-image "
                    + ByteSize.format(config.maxImageBytes()) + " allows a table of at most " + ByteSize.format(limit)
                    + " (that of the whole image in 4 KiB pages): use larger pages, or raise --max-image");
        }
    }

    /**
     * Refuses now, rather than failing a write half-way, when the image (sparse: this many bytes
     * at most) and the digest table its resume file is sealed with cannot fit where they go.
     */
    private void requireSpace(long bytes, long tableBytes) throws ProtocolException {
        Path dir = imagePath.toAbsolutePath().getParent();
        try {
            FileStore store = Files.getFileStore(dir);
            long usable = store.getUsableSpace();
            long replaced = Files.isRegularFile(imagePath) ? Files.size(imagePath) : 0;
            if (usable + replaced < bytes + tableBytes) {
                throw ProtocolException.precondition("image " + imagePath + ": " + ByteSize.format(bytes + tableBytes)
                        + " needed (image and resume table), " + ByteSize.format(usable + replaced) + " available in "
                        + dir + " (file system " + store + ")");
            }
        } catch (IOException e) {
            throw ProtocolException.precondition("image " + imagePath + ": cannot check free space in " + dir + ": "
                    + e.getMessage());
        }
    }

    /**
     * The digest table lives on the heap: a hello asking for more pages than it can hold is refused
     * here, since running out of heap would end the process rather than this migration (invariant 4).
     */
    private static void requireHeap(long pageCount, DigestKind kind) throws ProtocolException {
        long table = pageCount * kind.length();
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        // half of what is free: the rest is for the transport, the stream's buffers and garbage
        if (table > available / 2) {
            throw ProtocolException.precondition("hello.page_count: " + pageCount + " pages need a digest table of "
                    + table + " bytes; this receiver's heap has " + available + " bytes free (raise -Xmx through"
                    + " TERN_JAVA_OPTS, or use larger pages)");
        }
    }
}
