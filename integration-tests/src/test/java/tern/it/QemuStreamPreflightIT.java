package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.StreamMigration;
import tern.common.qmp.StreamPreflight;
import tern.common.stats.Json;
import tern.lab.qemu.GuestKit;

/**
 * The stream path's QMP checks and settings against a real QEMU 7.2 (no guest is booted: {@code -S}
 * keeps it paused before the BIOS runs): every capability the relay cannot carry, QEMU's own TLS
 * and a virtio-mem device are each refused under QEMU's name; the parameters Tern sets are QEMU's
 * afterwards.
 */
class QemuStreamPreflightIT {
    @TempDir
    Path dir;
    private Process qemu;
    private QmpClient qmp;

    @AfterEach
    void tearDown() throws IOException {
        if (qmp != null) {
            qmp.close();
        }
        if (qemu != null) {
            qemu.destroyForcibly();
        }
    }

    private void start(String... extra) throws Exception {
        assumeTrue(System.getenv("CI") != null || GuestKit.qemuInstalled(),
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        Path sock = dir.resolve("qmp.sock");
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-nodefaults",
                "-no-user-config", "-display", "none", "-S", "-machine", "pc", "-qmp", "unix:" + sock + ",server=on,wait=off"));
        cmd.addAll(List.of(extra));
        qemu = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("qemu.log").toFile())).start();
        qmp = QmpClient.connect(sock, Duration.ofSeconds(30));
    }

    private String refusal() {
        return assertThrows(IOException.class, () -> StreamPreflight.check(qmp)).getMessage();
    }

    @Test
    void everyCapabilityTheRelayCannotCarryIsRefusedByName() throws Exception {
        start("-m", "128M", "-object", "tls-creds-anon,id=tls0,endpoint=client");
        StreamPreflight.Report ok = StreamPreflight.check(qmp);
        assertEquals("7.2", ok.major() + "." + ok.minor(), ok.version());
        for (List<String> caps : List.of(List.of("xbzrle"), List.of("compress"), List.of("multifd"), List.of("return-path"),
                List.of("x-colo"), List.of("x-ignore-shared"), List.of("dirty-bitmaps"), List.of("block"),
                List.of("background-snapshot"), List.of("postcopy-ram", "postcopy-preempt"))) {
            QemuMigration.setCapabilities(qmp, true, caps.toArray(String[]::new));
            String m = refusal();
            for (String c : caps) {
                assertTrue(m.contains("capability " + c + " is on ("), m);
            }
            assertTrue(m.startsWith("QEMU at " + qmp.socket() + ": Tern's stream relay cannot carry this migration: "), m);
            // off in reverse: QEMU refuses postcopy-ram off while postcopy-preempt, which needs it, is on
            List<String> off = new java.util.ArrayList<>(caps);
            java.util.Collections.reverse(off);
            for (String c : off) {
                QemuMigration.setCapabilities(qmp, false, c);
            }
        }
        qmp.execute("migrate-set-parameters", Json.object().put("tls-creds", "tls0"));
        assertTrue(refusal().contains("parameter tls-creds is 'tls0'"));
        qmp.execute("migrate-set-parameters", Json.object().put("tls-creds", ""));
        StreamPreflight.check(qmp);
    }

    @Test
    void aVirtioMemDeviceIsRefused() throws Exception {
        start("-m", "128M,maxmem=256M,slots=2", "-object", "memory-backend-ram,id=vmem0,size=64M",
                "-device", "virtio-mem-pci,id=vm0,memdev=vmem0");
        assertTrue(refusal().contains("device vm0 (virtio-mem-pci) sends its state before RAM (early_setup)"));
    }

    @Test
    void theSourceIsSetSoOnlyTernLimitsTheLink() throws Exception {
        start("-m", "128M");
        StreamMigration.prepareSource(qmp, 50);
        Map<?, ?> p = (Map<?, ?>) qmp.execute("query-migrate-parameters");
        assertEquals(StreamMigration.UNLIMITED_BANDWIDTH, ((Number) p.get("max-bandwidth")).longValue());
        assertEquals(50, ((Number) p.get("downtime-limit")).longValue());
        StreamMigration.setDowntimeLimit(qmp, 2_000_000);
        p = (Map<?, ?>) qmp.execute("query-migrate-parameters");
        assertEquals(2_000_000, ((Number) p.get("downtime-limit")).longValue());
        assertThrows(IllegalArgumentException.class, () -> StreamMigration.setDowntimeLimit(qmp, 2_000_001));
    }
}
