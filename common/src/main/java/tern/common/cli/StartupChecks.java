package tern.common.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What a tool checks at start-up, before it connects, listens or pauses anything: that each path
 * is what the tool will use it as (a file it can write or read, a unix socket, a host name that
 * resolves), and, with {@link MemoryBudget}, that the memory options ask for is there. A failed
 * check is a usage error ({@link IllegalArgumentException}: exit 2) naming the option and the
 * value, so every tool words them alike and none finds them after work has started.
 */
public final class StartupChecks {
    private StartupChecks() {
    }

    /**
     * {@code file} can be created or replaced later (--stats, --record-trace). Tried for real:
     * a file that does not exist yet is created and deleted again, since permission bits alone do
     * not tell (root passes them; /proc and read-only mounts refuse anyway).
     */
    public static void writableFile(String option, Path file) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + file + ": no directory " + dir);
        }
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException(option + " " + file + ": is a directory");
        }
        try {
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                Files.newByteChannel(abs, StandardOpenOption.WRITE).close();
            } else {
                try {
                    Files.newByteChannel(abs, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW).close();
                } catch (FileAlreadyExistsException raced) {
                    return; // someone made it meanwhile: it exists, and will be replaced
                }
                Files.delete(abs);
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(option + " " + file + ": cannot write there (" + reason(e) + ")");
        }
    }

    /** {@code dir} is a directory this tool can create files in, or can be created (trial and bench output). */
    public static void writableDirectory(String option, Path dir) {
        Path abs = dir.toAbsolutePath();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            throw new IllegalArgumentException(option + " " + dir + ": " + existing + " is not a directory");
        }
        try {
            Files.deleteIfExists(Files.createTempFile(existing, ".tern-check-", ""));
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(option + " " + dir + ": cannot create files in " + existing + " ("
                    + reason(e) + ")");
        }
    }

    /** {@code file} exists, is a regular file and can be read (a source, a certificate, a trace). */
    public static void readableFile(String option, Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + ": not a regular file");
        }
        try {
            Files.newByteChannel(file, StandardOpenOption.READ).close();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(option + " " + file + ": cannot read it (" + reason(e) + ")");
        }
    }

    /** {@code file} is a unix domain socket (a QEMU's QMP socket). */
    public static void unixSocket(String option, Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + ": no such socket");
        }
        if (!a.isOther() || !isSocket(file)) {
            throw new IllegalArgumentException(option + " " + file + ": not a unix socket ("
                    + (a.isDirectory() ? "a directory" : a.isRegularFile() ? "a regular file" : "another kind of file")
                    + "); give the QMP socket QEMU was started with (-qmp unix:PATH,server=on,wait=off)");
        }
    }

    /** {@code host} resolves to an address (a mistyped name is found here, not as a failed connection). */
    public static void resolvable(String option, String host) {
        try {
            InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(option + " " + host + ": unknown host " + host);
        }
    }

    private static boolean isSocket(Path file) {
        try {
            Object mode = Files.getAttribute(file, "unix:mode");
            return mode instanceof Integer m && (m & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return true; // no unix view: "other" is the best this platform tells
        }
    }

    /** The operating system's reason, without the path the message already names. */
    private static String reason(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
