package tern.sender.stream;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tern.common.digest.RootDigest;
import tern.common.qmp.QmpClient;
import tern.common.qmp.StreamMigration;
import tern.common.qmp.StreamPreflight;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.proto.Verdict;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineListener;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.MigrationResult;
import tern.sender.engine.ResumingLink;
import tern.sender.engine.Stoppable;
import tern.sender.transport.MigrationChannel;

/**
 * {@code --source qemu-stream:}: Tern as the transport of a running QEMU's own migration stream
 * (docs/qemu.md). In order:
 * <ol>
 * <li>the QMP preflight, before anything moves ({@link StreamPreflight}): a refusal names QEMU's
 *     capability, parameter or device and leaves the guest as it was;
 * <li>the source's parameters: events on, max-bandwidth out of the way (it counts bytes before
 *     Tern drops any), downtime-limit held ({@link SwitchoverControl});
 * <li>the local socket and QEMU's {@code migrate} into it (or, with listen=, the {@code migrate}
 *     someone else issues, checked again once it came: libvirt sets capabilities as it starts one);
 * <li>the relay ({@link StreamRelay}) on this thread, the switchover control on its own;
 * <li>the end: the receiver's verdict comes only after the destination runs, so then the source
 *     is quit (--after-success kill) or left paused; any failure before that ends QEMU's migration
 *     and the guest runs on ({@link SourceGuest}), except when Complete went and no verdict came
 *     back: the destination may then be running, and the source is left paused, saying so.
 * </ol>
 * Whichever thread ends the run first settles the guest, once ({@link GuestSettlement}): this
 * one, or the sender's shutdown hook through {@link #abandon}, {@link #release} and {@link #cancel}.
 */
public final class QemuStreamSender implements Stoppable {
    /** How long QEMU has to connect after Tern's own {@code migrate}. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** How long QEMU has to report its migration completed once the relay carried the stream's end. */
    private static final Duration SOURCE_END = Duration.ofSeconds(30);

    /** A guest handed over: the figures, and what became of the source guest. */
    public record Outcome(MigrationResult result, StreamFigures figures, String sourceState) {
    }

    private final QemuStreamSpec spec;
    private final EngineConfig cfg;
    private final Duration resumeTimeout;
    private final EngineListener listener;
    private final MigrationChannel channel;
    private final GuestSettlement settlement = new GuestSettlement();
    /** The relay's link once it exists, for a cancel from another thread. */
    private volatile ResumingLink link;

    /**
     * The heap the relay allocates once (its read buffer and chunks) under {@code cfg}: for the
     * sender's start-up memory check.
     */
    public static long relayHeapBytes(EngineConfig cfg) {
        return RelayBudget.forBandwidth(cfg.bandwidthBytesPerSecond()).heapBytes(cfg.window(), cfg.digest().length());
    }

    /** @param resumeTimeout how long to keep reconnecting after the link is lost, or null to fail at once */
    public QemuStreamSender(QemuStreamSpec spec, EngineConfig cfg, Duration resumeTimeout, EngineListener listener,
                            MigrationChannel channel) {
        this.channel = channel;
        this.spec = spec;
        this.cfg = cfg;
        this.resumeTimeout = resumeTimeout;
        this.listener = listener;
    }

    /** Runs the migration on this thread; every way out of it has settled the source guest. */
    public Outcome run() throws MigrationFailure, InterruptedException {
        long start = System.nanoTime();
        QmpClient qmp;
        try {
            qmp = QmpClient.connect(spec.qmpSocket(), Duration.ofSeconds(10));
        } catch (IOException e) {
            throw new MigrationFailure("--source " + QemuStreamSpec.PREFIX + "qmp=" + spec.qmpSocket() + ": " + e.getMessage());
        }
        try (qmp) {
            try {
                StreamPreflight.Report report = preflight(qmp, "nothing was moved");
                SourceGuest guest = new SourceGuest(qmp, report.parameters());
                try (LocalStreamSocket local = spec.listen() == null ? LocalStreamSocket.privateUnix()
                        : LocalStreamSocket.listen(spec.listen())) {
                    SocketChannel socket = connect(qmp, local, guest);
                    try (QemuStreamChannel in = new QemuStreamChannel(socket)) {
                        return relay(qmp, report, local, in, start);
                    }
                } catch (IOException e) {
                    throw new MigrationFailure(e.getMessage() + "; " + settlement.release(), e);
                }
            } finally {
                // any other way out (an error no path above expected): the guest runs on, while QMP is open
                settlement.release();
            }
        } catch (IOException e) {
            throw new MigrationFailure("QMP socket " + spec.qmpSocket() + ": " + e.getMessage(), e);
        }
    }

    private static StreamPreflight.Report preflight(QmpClient qmp, String state) throws MigrationFailure, InterruptedException {
        return preflight(qmp, state, false);
    }

    private static StreamPreflight.Report preflight(QmpClient qmp, String state, boolean started)
            throws MigrationFailure, InterruptedException {
        try {
            return started ? StreamPreflight.checkStarted(qmp) : StreamPreflight.check(qmp);
        } catch (IOException e) {
            throw new MigrationFailure(e.getMessage() + "; " + state + ", the source guest runs on");
        }
    }

    /** The source's parameters, QEMU's {@code migrate} (or the one someone else issues), and its connection. */
    private SocketChannel connect(QmpClient qmp, LocalStreamSocket local, SourceGuest guest)
            throws IOException, MigrationFailure, InterruptedException {
        if (spec.listen() == null) {
            settlement.start(guest, () -> {
                StreamMigration.prepareSource(qmp, SwitchoverControl.HOLD_MS);
                StreamMigration.migrate(qmp, local.uri());
                return null;
            });
            try {
                return local.accept(CONNECT_TIMEOUT);
            } catch (IOException e) {
                Object err = tern.common.qmp.QemuMigration.queryMigrate(qmp).get("error-desc");
                throw new IOException(e.getMessage() + (err != null ? " (QEMU: " + err + ")" : ""), e);
            }
        }
        settlement.start(guest, () -> {
            StreamMigration.prepareSource(qmp, SwitchoverControl.HOLD_MS);
            return null;
        });
        listener.message("waiting for QEMU's migration at " + local.uri() + " (QMP migrate, or virsh migrate ... --migrateuri "
                + local.uri() + ")");
        SocketChannel c = local.accept(null);
        try {
            // whoever issued migrate may have set capabilities and its own max-bandwidth with it
            preflight(qmp, "the migration that came is refused", true);
            StreamMigration.takeSwitchover(qmp, SwitchoverControl.HOLD_MS);
        } catch (MigrationFailure f) {
            c.close();
            throw new MigrationFailure(f.getMessage().replace(", the source guest runs on", "") + "; " + settlement.release());
        }
        return c;
    }

    private Outcome relay(QmpClient qmp, StreamPreflight.Report report, LocalStreamSocket local, QemuStreamChannel in,
                          long start) throws IOException, MigrationFailure, InterruptedException {
        RelayBudget budget = RelayBudget.forBandwidth(cfg.bandwidthBytesPerSecond());
        StreamRelay relay = new StreamRelay(in, budget, cfg, report.version(), channel, resumeTimeout, listener);
        link = relay.link();
        settlement.relaying(relay::completeSent);
        SwitchoverControl control = new SwitchoverControl(qmp, SwitchoverRule.of(cfg), relay.passes(), relay.link().meter(),
                budget.unsentBytes() + local.kernelBufferBytes(), report.has("avail-switchover-bandwidth"), listener);
        Thread controlThread = new Thread(control, "tern-switchover");
        controlThread.setDaemon(true);
        controlThread.start();
        StreamRelay.Result r;
        try {
            r = relay.run();
        } catch (MigrationFailure | RuntimeException | InterruptedException e) {
            String why = control.abortReason() != null ? control.abortReason()
                    : e.getMessage() == null ? e.toString() : e.getMessage();
            relay.link().abort(why);
            in.close(); // QEMU's next write fails: its migration fails
            control.stop();
            controlThread.join();
            String state = settlement.release();
            MigrationFailure f = new MigrationFailure(why + "; " + state, e);
            relay.passes().publishRest(relay.passes().iterations());
            f.withPartial(result(relay.passes().iterations(), facts(start, relay).error(why)));
            throw f;
        }
        in.close();
        controlThread.join(SOURCE_END.toMillis());
        control.stop();
        controlThread.join();
        Verdict v = r.verdict();
        if (!v.getOk()) {
            String state = settlement.refused();
            MigrationFailure f = new MigrationFailure("receiver refused the migration: " + v.getReason() + "; " + state);
            relay.passes().publishRest(relay.passes().iterations());
            f.withPartial(result(relay.passes().iterations(), facts(start, relay).error(v.getReason())));
            throw f;
        }
        String state = settlement.succeeded(cfg.afterSuccess() == EngineConfig.AfterSuccess.KILL);
        SwitchoverControl.Switchover how = control.switchover();
        StreamRelay.Marks marks = r.marks();
        Long endMicros = nonZero(marks.endAcked());
        Long stopped = control.stoppedEpochMicros();
        MigrationSummary.Facts facts = facts(start, relay).verified(true)
                .converged(how == SwitchoverControl.Switchover.CONVERGED || how == SwitchoverControl.Switchover.QEMU)
                .downtimeMs(stopped == null || endMicros == null ? null : (endMicros - stopped) / 1000)
                .rootDigest(RootDigest.hex(r.root()));
        StreamTally t = r.tally();
        StreamFigures figures = new StreamFigures(report.version(), t.machineType(), t.pageRecords(), r.pagesHeld(),
                t.zeroRecords(), t.opaqueBytes(), t.tailBytes(), t.bytesRead(), dirtySyncCount(control.finalInfo()),
                how.name().toLowerCase(java.util.Locale.ROOT), stopped,
                nonZero(v.getResumedEpochMicros()), nonZero(marks.pausedParsed()), nonZero(marks.deviceStateParsed()),
                nonZero(marks.endParsed()), endMicros, nonZero(v.getDestinationPid()), budget.unsentBytes(), r.unsentPeak(),
                (long) cfg.window() * budget.chunkPayloadBytes(), r.replayPeak());
        List<IterationStats> passes = PassFigures.numbered(relay.passes().iterations(), figures.qemuDirtySyncCount());
        relay.passes().publishRest(passes);
        return new Outcome(result(passes, facts), figures, state);
    }

    @Override
    public void abandon(String reason) {
        channel.abandon(reason);
    }

    /** Settles the source guest from another thread (the shutdown hook): what became of it. */
    public String release() {
        return settlement.release();
    }

    @Override
    public boolean cancel(String reason, Duration confirm) throws InterruptedException {
        ResumingLink l = link;
        if (l != null) {
            return l.cancel(reason, confirm);
        }
        channel.abandon(reason); // no hello went: nothing to tell
        return false;
    }

    @Override
    public boolean accepted() {
        ResumingLink l = link;
        return l != null && l.accepted();
    }

    private MigrationSummary.Facts facts(long start, StreamRelay relay) {
        return MigrationSummary.facts().mode(cfg.mode().cliName()).digest(cfg.digest().cliName()).xbzrle(false)
                .source(QemuStreamSpec.PREFIX + "qmp=" + spec.qmpSocket() + (spec.listen() != null ? ",listen=" + spec.listen() : ""))
                .pageSize(tern.common.qemu.stream.QemuStreamFormat.PAGE_SIZE).pagesTotal(relay.pagesTotal()).pagesHashed(true)
                .totalMs((System.nanoTime() - start) / 1_000_000).bytesOnWire(relay.link().meter().outbound())
                .ackBytes(relay.link().meter().inbound()).reconnects(relay.link().reconnects());
    }

    private static MigrationResult result(List<IterationStats> iterations, MigrationSummary.Facts facts) {
        return new MigrationResult(iterations, MigrationSummary.of(iterations, facts));
    }

    private static Long nonZero(long v) {
        return v == 0 ? null : v;
    }

    private static Long dirtySyncCount(Map<String, Object> info) {
        return info != null && info.get("ram") instanceof Map<?, ?> ram && ram.get("dirty-sync-count") instanceof Number n
                ? n.longValue() : null;
    }
}
