package tern.receiver.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import tern.common.units.ByteSize;

/**
 * What the receiver checks of --image before it listens, so that no sender moves a byte towards
 * an image that cannot be written: the directory exists and takes new files (the image, and the
 * resume file beside it), the path is a regular file or nothing yet, an existing image is replaced
 * only with --overwrite (or resumed), and its file system has room for at least a resume file.
 * Each problem is an {@link IllegalArgumentException} naming --image and what is wrong: a usage
 * error, exit 2.
 */
public final class ImagePathCheck {
    /** Free space below this cannot hold even a small migration's resume table. */
    static final long MIN_FREE_BYTES = 1 << 20;

    private ImagePathCheck() {
    }

    /**
     * @param resumable a resume file lies next to the image: it is reused as it is
     * @param overwrite --overwrite: an existing non-empty image may be replaced
     */
    public static void check(Path image, boolean overwrite, boolean resumable) {
        Path abs = image.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) {
            throw bad(image, "has no directory");
        }
        if (!Files.exists(dir)) {
            throw bad(image, "directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw bad(image, dir + " is not a directory");
        }
        if (Files.exists(abs)) {
            existing(image, abs, overwrite, resumable);
        }
        probe(image, dir);
        try {
            FileStore store = Files.getFileStore(dir);
            long free = store.getUsableSpace();
            if (free < MIN_FREE_BYTES) {
                throw bad(image, "only " + ByteSize.format(free) + " free in " + dir + " (file system " + store
                        + "); a migration needs room for its image and its resume table");
            }
        } catch (IOException e) {
            throw bad(image, "cannot read the free space of " + dir + ": " + describe(e));
        }
    }

    private static void existing(Path image, Path abs, boolean overwrite, boolean resumable) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(abs, BasicFileAttributes.class);
        } catch (IOException e) {
            throw bad(image, "cannot be read: " + describe(e));
        }
        if (a.isDirectory()) {
            throw bad(image, "is a directory");
        }
        if (!a.isRegularFile()) {
            throw bad(image, "is not a regular file (a device, FIFO or socket cannot hold an image)");
        }
        if (!resumable && !overwrite && a.size() > 0) {
            throw bad(image, "exists (" + a.size() + " bytes) and holds no migration to resume; pass --overwrite to"
                    + " replace it");
        }
        try (FileChannel ignored = FileChannel.open(abs, StandardOpenOption.WRITE)) {
            // opened for writing without truncating it: the image is left as it is
        } catch (IOException e) {
            throw bad(image, "cannot be written: " + describe(e));
        }
    }

    /** Creates and deletes a file beside the image: the resume file is written there the same way. */
    private static void probe(Path image, Path dir) {
        Path probe;
        try {
            probe = Files.createTempFile(dir, "." + image.getFileName() + ".", ".probe");
        } catch (IOException e) {
            throw bad(image, "cannot create files in " + dir + ": " + describe(e));
        }
        try {
            Files.delete(probe);
        } catch (IOException e) {
            throw bad(image, "cannot delete files in " + dir + ": " + describe(e));
        }
    }

    private static IllegalArgumentException bad(Path image, String what) {
        return new IllegalArgumentException("--image " + image + ": " + what);
    }

    /** NIO's exceptions often say only the path: name the kind of failure instead. */
    static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory (not a file system that takes new files?)";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
