package tern.sender.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import tern.common.page.PageGeometry;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.QmpEvent;
import tern.common.stats.Json;
import tern.common.units.ByteSize;

/**
 * A running QEMU guest: its RAM file is read like a {@link FileSource} (no dirty log reaches an
 * outside process, so dirty pages are found by digest scan), and the guest is paused and resumed
 * through QMP ({@code stop}, {@code cont}). After a verified migration {@link #handOff} moves the
 * device state with QEMU's own migration and x-ignore-shared, which leaves the shared RAM to Tern.
 */
public final class QemuSource implements MemorySource {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a cancelled hand-off may take to end before the guest is given up as paused. */
    private static final Duration ROLLBACK_TIMEOUT = Duration.ofSeconds(10);
    private final QemuSourceSpec spec;
    private final FileSource ram;
    private final QmpClient qmp;
    /** A guest found paused is left paused: continuing it after a failure would run what its owner had halted. */
    private final boolean runningAtOpen;

    /**
     * The device-state hand-off as QEMU reported it; {@code stoppedEpochMicros} is QEMU's own
     * timestamp of the guest's STOP (with the destination's RESUME: the guest's downtime).
     */
    public record HandOff(String uri, long millis, Long ramBytes, Long stoppedEpochMicros) {
    }

    private QemuSource(QemuSourceSpec spec, FileSource ram, QmpClient qmp, boolean runningAtOpen) {
        this.spec = spec;
        this.ram = ram;
        this.qmp = qmp;
        this.runningAtOpen = runningAtOpen;
    }

    /** Connects to the guest's QMP socket and checks that RAMFILE is its shared RAM. */
    public static QemuSource open(QemuSourceSpec spec, int pageSize) throws IOException, InterruptedException {
        QmpClient qmp = QmpClient.connect(spec.qmpSocket(), CONNECT_TIMEOUT);
        FileSource ram = null;
        try {
            QemuMigration.requireSharedRam(qmp, spec.ramFile());
            @SuppressWarnings("unchecked")
            String status = String.valueOf(((Map<String, Object>) qmp.execute("query-status")).get("status"));
            if (!status.equals("running") && !status.equals("paused")) {
                throw new IOException("QEMU at " + spec.qmpSocket() + " is " + status + "; a guest to migrate must be"
                        + " running or paused");
            }
            if (spec.handoffUri() != null) {
                // checked now, so a QEMU without it fails before any page is sent
                QemuMigration.requireCapability(qmp, "x-ignore-shared");
            }
            ram = new FileSource(spec.ramFile(), pageSize, null);
            return new QemuSource(spec, ram, qmp, status.equals("running"));
        } catch (IOException | RuntimeException e) {
            qmp.close();
            throw e;
        }
    }

    public QemuSourceSpec spec() {
        return spec;
    }

    @Override
    public PageGeometry geometry() {
        return ram.geometry();
    }

    @Override
    public String describe() {
        return "qemu guest RAM " + spec.ramFile() + " (" + ByteSize.format(geometry().bytes()) + ", QMP "
                + spec.qmpSocket() + ")";
    }

    @Override
    public ByteBuffer page(int index) {
        return ram.page(index);
    }

    @Override
    public DirtyLog dirtyLog() {
        return null;
    }

    /** QMP stop returns once every vCPU has stopped, so no guest store lands after it. */
    @Override
    public void pause() throws IOException, InterruptedException {
        qmp.execute("stop");
    }

    @Override
    public void resume() throws IOException, InterruptedException {
        if (runningAtOpen) {
            qmp.execute("cont");
        }
    }

    /** "guest running", "guest paused", from QMP query-status. */
    @Override
    public String runState() {
        try {
            @SuppressWarnings("unchecked")
            Object status = ((Map<String, Object>) qmp.execute("query-status")).get("status");
            return "guest " + status;
        } catch (IOException | RuntimeException e) {
            return "guest state unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "guest state unknown (interrupted)";
        }
    }

    /**
     * Undoes a hand-off that did not complete, from any thread (the hand-off's own failure, or
     * the sender stopping meanwhile): {@link QemuMigration#continueSource}.
     *
     * @return what became of the guest ("was continued", "is left paused: ...")
     */
    public String rollBack() throws IOException, InterruptedException {
        return QemuMigration.continueSource(qmp, ROLLBACK_TIMEOUT);
    }

    @Override
    public void terminate() throws IOException, InterruptedException {
        qmp.execute("quit");
    }

    /**
     * Sends the device state (and the small non-shared RAM blocks: BIOS, option ROMs) to the
     * destination QEMU at the spec's URI, which must be listening with x-ignore-shared on. The
     * guest is paused. On a failure the error is thrown and the caller {@link #rollBack}s (through
     * its SourceControl, so that a rollback is made once whichever thread asks): a guest must keep
     * running somewhere.
     */
    public HandOff handOff(Duration timeout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        // QEMU sent STOP before its reply to our stop: it is among the events kept meanwhile
        QmpEvent stop = qmp.awaitEvent(e -> e.name().equals("STOP"), Duration.ZERO);
        // Ordering rule (docs/design.md): set only for the hand-off, and cleared by the rollback:
        // left on, it would make a later plain QEMU migration of this guest skip its RAM. "events"
        // reports the end as an event.
        QemuMigration.setCapabilities(qmp, true, "x-ignore-shared", "events");
        qmp.execute("migrate", Json.object().put("uri", spec.handoffUri()));
        QemuMigration.Outcome o = QemuMigration.awaitEnd(qmp, timeout);
        if (!o.completed()) {
            throw new IOException("device-state hand-off to " + spec.handoffUri() + " "
                    + (o.status() == null ? "did not end within " + timeout.toSeconds() + " s" : o.status())
                    + (o.error() != null ? ": " + o.error() : ""));
        }
        Long bytes = o.info().get("ram") instanceof Map<?, ?> r && r.get("transferred") instanceof Long t ? t : null;
        return new HandOff(spec.handoffUri(), (System.nanoTime() - start) / 1_000_000, bytes,
                stop == null ? null : stop.epochMicros());
    }

    @Override
    public void close() throws IOException {
        try {
            ram.close();
        } finally {
            qmp.close();
        }
    }
}
