package tern.sender.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class QemuSourceSpecTest {
    @Test
    void parsesRamFileQmpAndHandOff() {
        QemuSourceSpec s = QemuSourceSpec.parse("qemu:/dev/shm/g.ram,qmp=/run/g.qmp,handoff=tcp:10.0.0.2:4444");
        assertEquals(Path.of("/dev/shm/g.ram"), s.ramFile());
        assertEquals(Path.of("/run/g.qmp"), s.qmpSocket());
        assertEquals("tcp:10.0.0.2:4444", s.handoffUri());
        QemuSourceSpec noHandOff = QemuSourceSpec.parse("qemu:/dev/shm/g.ram,qmp=/run/g.qmp");
        assertNull(noHandOff.handoffUri());
    }

    @Test
    void refusesWhatItCannotUseSayingWhy() {
        assertMessage("qemu:/dev/shm/g.ram", "qmp=SOCKET is required");
        assertMessage("qemu:,qmp=/run/g.qmp", "no RAM file");
        assertMessage("qemu:/dev/shm/g.ram,qmp=", "'qmp=' needs a value");
        assertMessage("qemu:/dev/shm/g.ram,qmp=/a,monitor=/b", "unknown key 'monitor'");
        assertMessage("file:/dev/shm/g.ram", "expected qemu:RAMFILE,qmp=SOCKET");
    }

    private static void assertMessage(String spec, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QemuSourceSpec.parse(spec));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("--source"), e.getMessage());
    }
}
