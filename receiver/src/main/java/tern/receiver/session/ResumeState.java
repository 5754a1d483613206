package tern.receiver.session;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import tern.common.wire.Protocol;
import tern.common.digest.DigestKind;
import tern.common.page.PageGeometry;
import tern.proto.DigestTableChunk;
import tern.receiver.image.ResumeFile;
import tern.receiver.image.TargetImage;

/**
 * What lets a migration outlive its stream: the token a resuming stream must present, the resume
 * file next to the image ({@link ResumeFile}: unsealed while a stream may store pages, sealed when
 * the stream is lost, deleted when the migration is over), and the table a resumed stream is sent.
 * Made at an accepted hello, or {@link #restore}d by a restarted receiver. Not thread-safe: used
 * under its session's stream.
 */
public final class ResumeState {
    private final Path imagePath;
    private final ResumeFile.Header header;
    private final TargetImage image;
    private final String restoredDistrust;
    private int resumes;

    private ResumeState(Path imagePath, ResumeFile.Header header, TargetImage image, String restoredDistrust) {
        this.imagePath = imagePath;
        this.header = header;
        this.image = image;
        this.restoredDistrust = restoredDistrust;
    }

    /** A new migration's, with a fresh 128-bit random token; nothing is written yet. */
    static ResumeState create(Path imagePath, String migrationId, TargetImage image, DigestKind kind) {
        byte[] token = new byte[16];
        new SecureRandom().nextBytes(token);
        return new ResumeState(imagePath, new ResumeFile.Header(migrationId, token, image.geometry(), kind), image, null);
    }

    /**
     * A relayed QEMU stream's: a token and nothing on disk. Its state lives in the destination QEMU
     * and in this receiver's memory, neither of which a restarted receiver has, so there is no file
     * to seal or rebuild from.
     */
    static ResumeState inMemory(String migrationId, PageGeometry geometry, DigestKind kind) {
        byte[] token = new byte[16];
        new SecureRandom().nextBytes(token);
        return new ResumeState(null, new ResumeFile.Header(migrationId, token, geometry, kind), null, null);
    }

    /**
     * A restarted receiver's migration, from the resume file next to {@code imagePath}; null when
     * there is none. The table is the sealed one when the image is as it was sealed, else it is
     * rebuilt from the image bytes ({@link #restoredDistrust()} says which).
     */
    static ResumeState restore(Path imagePath) throws IOException {
        ResumeFile.Loaded l = ResumeFile.load(imagePath);
        if (l == null) {
            return null;
        }
        ResumeFile.Header h = l.header();
        TargetImage image = TargetImage.openExisting(imagePath, h.geometry(), h.digest());
        if (l.digests() != null) {
            image.loadTable(l.digests());
        } else {
            image.rebuildTable();
        }
        return new ResumeState(imagePath, h, image, l.digests() == null ? l.distrust() : null);
    }

    ResumeFile.Header header() {
        return header;
    }

    TargetImage image() {
        return image;
    }

    ByteString token() {
        return ByteString.copyFrom(header.token());
    }

    /** Whether {@code t} is this migration's token; constant time. */
    boolean tokenMatches(ByteString t) {
        return MessageDigest.isEqual(header.token(), t.toByteArray());
    }

    /** For a restored migration: null when the sealed table was trusted, else why it was rebuilt from the image. */
    String restoredDistrust() {
        return restoredDistrust;
    }

    /**
     * Before any page of a stream is stored (docs/design.md, ordering rules): a receiver killed from
     * here on finds the file unsealed and rebuilds its table from the image, never trusting a table
     * sealed before those stores.
     */
    void unseal() throws ProtocolException {
        if (imagePath == null) {
            return;
        }
        try {
            ResumeFile.writeUnsealed(imagePath, header);
        } catch (IOException e) {
            throw ProtocolException.precondition("resume file " + ResumeFile.pathFor(imagePath) + ": cannot write: "
                    + e.getMessage());
        }
    }

    /** A stream took the migration over. */
    void resumed() {
        resumes++;
    }

    /** Streams that resumed this migration. */
    public int resumes() {
        return resumes;
    }

    public int digestLength() {
        return image.table().digestLength();
    }

    /** The table from {@code firstPage}: the digests of what the image holds, computed here (invariant 3). */
    public DigestTableChunk tableChunk(int firstPage) {
        int len = image.table().digestLength();
        int n = Math.min(image.table().pages() - firstPage, Protocol.TABLE_CHUNK_BYTES / len);
        return DigestTableChunk.newBuilder()
                .setFirstPage(firstPage)
                .setDigests(ByteString.copyFrom(image.table().raw(), firstPage * len, n * len))
                .setLast(firstPage + n == image.table().pages())
                .build();
    }

    /**
     * The stream was lost: seal the table with the image's identity so that a receiver restarted
     * from here trusts it (unless the image changes meanwhile). Failing that, the file stays
     * unsealed and a restart rebuilds the table; the error is returned for the log.
     */
    public String seal() {
        if (imagePath == null) {
            return null;
        }
        try {
            ResumeFile.writeSealed(imagePath, header, image);
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot seal " + ResumeFile.pathFor(imagePath) + ": " + e.getMessage();
        }
    }

    /**
     * The image verified: its pages are forced to the device, then the resume file is deleted and
     * its directory forced, so that a crash after the verdict leaves a whole image and nothing to
     * resume. Null when done, else the verdict's refusal.
     */
    String finished() {
        try {
            image.force();
        } catch (IOException | RuntimeException e) {
            return "image verified, but cannot be forced to disk: " + e.getMessage();
        }
        try {
            ResumeFile.deleteDurably(imagePath);
            return null;
        } catch (IOException | RuntimeException e) {
            return "image verified, but its resume file " + ResumeFile.pathFor(imagePath) + " cannot be deleted: "
                    + e.getMessage();
        }
    }

    /** The migration is over (verified or failed for good): nothing is left to resume. */
    public void forget() {
        if (imagePath == null) {
            return;
        }
        try {
            ResumeFile.delete(imagePath);
        } catch (IOException ignored) {
            // a stale resume file names a token no sender will present; deleting it is only tidiness
        }
    }
}
