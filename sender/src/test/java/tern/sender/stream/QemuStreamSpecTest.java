package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class QemuStreamSpecTest {
    @Test
    void qmpAloneMeansTernRunsMigrate() {
        QemuStreamSpec s = QemuStreamSpec.parse("qemu-stream:qmp=/run/guest.qmp");
        assertEquals(Path.of("/run/guest.qmp"), s.qmpSocket());
        assertNull(s.listen());
    }

    @Test
    void listenTakesAUnixSocketOrALoopbackPort() {
        assertEquals("unix:/run/tern.sock", QemuStreamSpec.parse("qemu-stream:qmp=q,listen=unix:/run/tern.sock").listen());
        assertEquals("tcp:127.0.0.1:4444", QemuStreamSpec.parse("qemu-stream:listen=tcp:127.0.0.1:4444,qmp=q").listen());
    }

    @Test
    void badSpecsAreRefusedNamingWhat() {
        assertTrue(message("qemu-stream:listen=unix:/x").contains("qmp=SOCKET is required"));
        assertTrue(message("qemu-stream:qmp=q,listen=tcp:10.0.0.1:4444").contains("must be on loopback"));
        assertTrue(message("qemu-stream:qmp=q,listen=tcp:127.0.0.1:0").contains("needs a port"));
        assertTrue(message("qemu-stream:qmp=q,listen=udp:x").contains("expected unix:PATH or tcp:127.0.0.1:PORT"));
        assertTrue(message("qemu-stream:qmp=q,handoff=tcp:x:1").contains("unknown key 'handoff'"));
        assertTrue(message("qemu-stream:qmp=").contains("needs a value"));
    }

    private static String message(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> QemuStreamSpec.parse(spec)).getMessage();
    }
}
