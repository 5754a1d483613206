package tern.receiver.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import tern.common.wire.Protocol;
import tern.common.digest.DigestKind;
import tern.common.page.PageGeometry;
import tern.proto.Hello;
import tern.proto.PageEncoding;
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
        requireSpace(a.geometry().bytes());
        requireHeap(a.geometry().pageCount(), a.kind());
        return a;
    }

    /** A resuming hello: valid, and asking for the geometry and digest of the migration {@code held} describes. */
    Asked resuming(Hello h, ResumeFile.Header held) throws ProtocolException {
        Asked a = valid(h);
        PageGeometry g = held.geometry();
        if (a.geometry().pageSize() != g.pageSize() || a.geometry().pages() != g.pages()) {
            throw ProtocolException.precondition("hello.page_count: resuming migration " + held.migrationId() + " of "
                    + g.pages() + " pages of " + g.pageSize() + " B, not " + a.geometry().pages() + " of "
                    + a.geometry().pageSize() + " B");
        }
        if (a.kind() != held.digest()) {
            throw ProtocolException.precondition("hello.digest: resuming migration " + held.migrationId() + " digested with "
                    + held.digest().cliName() + ", not " + a.kind().cliName());
        }
        return a;
    }

    private Asked valid(Hello h) throws ProtocolException {
        if (h.getProtocolVersion() != Protocol.PROTOCOL_VERSION) {
            throw ProtocolException.precondition("hello.protocol_version: " + Integer.toUnsignedString(h.getProtocolVersion())
                    + " is not spoken here; this receiver speaks version " + Protocol.PROTOCOL_VERSION);
        }
        if (h.getMigrationId().length() > 128) {
            throw ProtocolException.invalid("hello.migration_id: " + h.getMigrationId().length() + " characters, at most 128");
        }
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
        DigestKind kind;
        try {
            kind = DigestKind.fromProto(h.getDigest());
        } catch (IllegalArgumentException e) {
            throw ProtocolException.invalid("hello.digest: " + e.getMessage());
        }
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
        if (h.getStreamCount() != 1 || h.getStreamIndex() != 0) {
            throw ProtocolException.precondition("hello.stream_count: " + h.getStreamCount()
                    + " streams (index " + h.getStreamIndex() + "); this receiver supports one stream per migration");
        }
        return new Asked(new PageGeometry(h.getPageSize(), pageCount), kind, encodings, (int) maxBatchPages);
    }

    /** Refuses now, rather than failing a write half-way, when the image cannot fit where it goes. */
    private void requireSpace(long bytes) throws ProtocolException {
        try {
            Path dir = imagePath.toAbsolutePath().getParent();
            long usable = Files.getFileStore(dir).getUsableSpace();
            long replaced = Files.isRegularFile(imagePath) ? Files.size(imagePath) : 0;
            if (usable + replaced < bytes) {
                throw ProtocolException.precondition("image " + imagePath + ": " + bytes + " bytes needed, "
                        + (usable + replaced) + " available on its file system");
            }
        } catch (IOException e) {
            throw ProtocolException.precondition("image " + imagePath + ": cannot check free space: " + e.getMessage());
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
