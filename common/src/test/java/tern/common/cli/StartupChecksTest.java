package tern.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each start-up check refuses what the tool could not use, naming the option and the path; and leaves nothing behind. */
class StartupChecksTest {
    @TempDir
    Path dir;

    private static String refused(Runnable check) {
        return assertThrows(IllegalArgumentException.class, check::run).getMessage();
    }

    @Test
    void aFileToWrite() throws Exception {
        Path fresh = dir.resolve("stats.jsonl");
        StartupChecks.writableFile("--stats", fresh);
        assertFalse(Files.exists(fresh), "the probe leaves no file behind");
        Files.writeString(fresh, "kept");
        StartupChecks.writableFile("--stats", fresh);
        assertEquals("kept", Files.readString(fresh), "an existing file is not changed by the check");
        assertEquals("--stats " + dir.resolve("no/stats") + ": no directory " + dir.resolve("no"),
                refused(() -> StartupChecks.writableFile("--stats", dir.resolve("no/stats"))));
        assertEquals("--stats " + dir + ": is a directory", refused(() -> StartupChecks.writableFile("--stats", dir)));
        String proc = refused(() -> StartupChecks.writableFile("--record-trace", Path.of("/proc/tern-probe")));
        assertTrue(proc.startsWith("--record-trace /proc/tern-probe: cannot write there ("), proc);
    }

    @Test
    void aDirectoryToWriteInto() {
        StartupChecks.writableDirectory("--out", dir.resolve("a/b"));
        assertFalse(Files.exists(dir.resolve("a")), "nothing is created");
        String proc = refused(() -> StartupChecks.writableDirectory("--out", Path.of("/proc/tern-out")));
        assertTrue(proc.startsWith("--out /proc/tern-out: cannot create files in /proc"), proc);
    }

    @Test
    void aFileToRead() throws Exception {
        assertEquals("--source " + dir.resolve("x") + ": no such file",
                refused(() -> StartupChecks.readableFile("--source", dir.resolve("x"))));
        assertEquals("--source " + dir + ": not a regular file", refused(() -> StartupChecks.readableFile("--source", dir)));
        Path f = Files.writeString(dir.resolve("f"), "x");
        StartupChecks.readableFile("--source", f);
    }

    @Test
    void aUnixSocket() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(sock));
            StartupChecks.unixSocket("qmp=", sock);
        }
        Path file = Files.writeString(dir.resolve("file"), "x");
        String m = refused(() -> StartupChecks.unixSocket("qmp=", file));
        assertTrue(m.startsWith("qmp= " + file + ": not a unix socket (a regular file)"), m);
        assertEquals("qmp= " + dir.resolve("none") + ": no such socket",
                refused(() -> StartupChecks.unixSocket("qmp=", dir.resolve("none"))));
    }

    @Test
    void aHostName() {
        StartupChecks.resolvable("--to", "127.0.0.1");
        assertEquals("--to no-such-host.invalid: unknown host no-such-host.invalid",
                refused(() -> StartupChecks.resolvable("--to", "no-such-host.invalid")));
    }
}
