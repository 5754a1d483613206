package tern.receiver.image;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import tern.common.digest.DigestKind;
import tern.common.page.PageGeometry;
import tern.proto.DigestAlgorithm;

/**
 * What a restarted receiver needs to resume a migration, kept next to the image as
 * {@code IMAGE.tern-resume}: the migration's token, id and geometry, and, when <em>sealed</em>, the
 * digest table together with the image's identity at the moment it was sealed.
 *
 * <p>Unsealed means "pages may have been stored since": the receiver writes it (durably) before
 * it stores the first page of a stream, so a receiver killed mid-stream comes back to an unsealed
 * file and rebuilds every digest from the image bytes. Sealing happens when a stream is lost and
 * the receiver holds the migration for a resume: the image is fsynced first, then its mtime is set
 * to a stamp with random nanoseconds, then the table is written with the stamp, size and inode.
 * Any later write to the image (write(2), or a store through a shared mapping on a file system that
 * updates mtime on the write fault after an fsync) moves mtime off the stamp, so an identity
 * mismatch means "rebuild from the bytes". Whatever slips through this check is still caught at
 * completion, where the receiver recomputes every digest from the image and asks for the drifted
 * pages again (Resync).
 *
 * <p>Written to a temporary file, forced, then renamed over the old one and the directory forced:
 * a crash leaves the old state or the new one, never a torn one.
 */
public final class ResumeFile {
    private static final byte[] MAGIC = "TERNRSM1".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_ID_BYTES = 1024;

    /** The migration a resume file belongs to. */
    public record Header(String migrationId, byte[] token, PageGeometry geometry, DigestKind digest) {
    }

    /**
     * A loaded resume file: the digests are those of the sealed table when the image is as it was
     * sealed, else null, with {@code distrust} saying why the table cannot be used.
     */
    public record Loaded(Header header, byte[] digests, String distrust) {
    }

    private ResumeFile() {
    }

    public static Path pathFor(Path image) {
        return image.resolveSibling(image.getFileName() + ".tern-resume");
    }

    /** Records that pages may be stored from now on: a restart must rebuild the table from the image. */
    public static void writeUnsealed(Path image, Header h) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = header(b, h, false);
        out.flush();
        replace(image, ByteBuffer.wrap(b.toByteArray()), null);
    }

    /** Forces the image to disk, stamps its identity and writes the table with it. */
    public static void writeSealed(Path image, Header h, TargetImage img) throws IOException {
        // Ordering (docs/design.md): force, then stamp, then record the identity with the table, so a
        // sealed table never describes bytes a crash could lose, nor an image written after the stamp.
        img.force();
        long nanos = new SecureRandom().nextInt(1_000_000_000);
        FileTime stamp = FileTime.from(Instant.now().minusSeconds(1).getEpochSecond() * 1_000_000_000L + nanos,
                TimeUnit.NANOSECONDS);
        Files.setLastModifiedTime(image, stamp);
        BasicFileAttributes a = Files.readAttributes(image, BasicFileAttributes.class);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = header(b, h, true);
        out.writeLong(a.size());
        out.writeLong(a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        out.writeUTF(String.valueOf(a.fileKey()));
        byte[] raw = img.table().raw();
        out.writeInt(raw.length);
        out.flush();
        replace(image, ByteBuffer.wrap(b.toByteArray()), ByteBuffer.wrap(raw));
    }

    /** The resume file of {@code image}, or null when there is none. */
    public static Loaded load(Path image) throws IOException {
        Path file = pathFor(image);
        if (!Files.exists(file)) {
            return null;
        }
        try (InputStream s = Files.newInputStream(file); DataInputStream in = new DataInputStream(s)) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException("not a Tern resume file (bad magic)");
            }
            boolean sealed = in.readBoolean();
            int idLength = in.readUnsignedShort();
            if (idLength > MAX_ID_BYTES) {
                throw new IOException("migration id of " + idLength + " bytes");
            }
            String id = new String(in.readNBytes(idLength), StandardCharsets.UTF_8);
            byte[] token = in.readNBytes(in.readUnsignedByte());
            int pageSize = in.readInt();
            long pages = in.readLong();
            DigestAlgorithm algorithm = DigestAlgorithm.forNumber(in.readInt());
            if (!PageGeometry.validPageSize(pageSize) || pages <= 0 || pages > Integer.MAX_VALUE || algorithm == null) {
                throw new IOException("bad geometry or digest (" + pageSize + " B x " + pages + " pages, " + algorithm + ")");
            }
            DigestKind kind = DigestKind.fromProto(algorithm);
            Header h = new Header(id, token, new PageGeometry(pageSize, pages), kind);
            if (!sealed) {
                return new Loaded(h, null, "the receiver stopped while a stream was storing pages");
            }
            long size = in.readLong();
            long mtime = in.readLong();
            String key = in.readUTF();
            int tableBytes = in.readInt();
            if (tableBytes != pages * kind.length()) {
                throw new IOException("table of " + tableBytes + " bytes for " + pages + " pages of " + kind.cliName());
            }
            byte[] digests = in.readNBytes(tableBytes);
            if (digests.length != tableBytes) {
                throw new EOFException("table cut short");
            }
            if (!Files.exists(image)) {
                return new Loaded(h, null, "the image is missing");
            }
            BasicFileAttributes a = Files.readAttributes(image, BasicFileAttributes.class);
            long nowMtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            if (a.size() != size || nowMtime != mtime || !String.valueOf(a.fileKey()).equals(key)) {
                return new Loaded(h, null, "the image changed since the table was sealed (size " + size + " -> " + a.size()
                        + ", mtime " + mtime + " -> " + nowMtime + ", file " + key + " -> " + a.fileKey() + ")");
            }
            return new Loaded(h, digests, null);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("resume file " + file + " is unreadable (" + e.getMessage()
                    + "); delete it to start a new migration into this image", e);
        }
    }

    public static void delete(Path image) throws IOException {
        Files.deleteIfExists(pathFor(image));
    }

    /** Deletes the file and forces its directory, so that a crash cannot bring the file back. */
    public static void deleteDurably(Path image) throws IOException {
        if (Files.deleteIfExists(pathFor(image))) {
            forceDirectory(pathFor(image));
        }
    }

    private static void forceDirectory(Path file) throws IOException {
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static DataOutputStream header(ByteArrayOutputStream b, Header h, boolean sealed) throws IOException {
        DataOutputStream out = new DataOutputStream(b);
        out.write(MAGIC);
        out.writeBoolean(sealed);
        byte[] id = h.migrationId().getBytes(StandardCharsets.UTF_8);
        out.writeShort(Math.min(id.length, MAX_ID_BYTES));
        out.write(id, 0, Math.min(id.length, MAX_ID_BYTES));
        out.writeByte(h.token().length);
        out.write(h.token());
        out.writeInt(h.geometry().pageSize());
        out.writeLong(h.geometry().pages());
        out.writeInt(h.digest().toProto().getNumber());
        return out;
    }

    private static void replace(Path image, ByteBuffer head, ByteBuffer table) throws IOException {
        Path file = pathFor(image);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        // the token lets whoever holds it feed this image: readable by the owner only
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            while (table != null && table.hasRemaining()) {
                ch.write(table);
            }
            // Ordering (docs/design.md): forced before the rename, so the name never points at a torn file
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // the rename is durable only once the directory is
        forceDirectory(file);
    }
}
