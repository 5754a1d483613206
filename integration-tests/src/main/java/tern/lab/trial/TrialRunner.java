package tern.lab.trial;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tern.common.embed.EmbeddedReceiver;
import tern.common.wire.Protocol;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineListener;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.MigrationResult;
import tern.sender.engine.Mode;
import tern.sender.engine.PrecopyLoop;
import tern.sender.workload.Pacing;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.trace.TraceRecorder;
import tern.sender.transport.MigrationChannel;
import tern.sender.workload.Workloads;

/**
 * Runs a trial: for each variant, a fresh copy of the workload (same seed, so the same content
 * and the same stores for the same captures) migrated to a new receiver image. A failed run is
 * kept with its partial figures and the trial goes on with the next.
 */
public final class TrialRunner {
    private final TrialSettings settings;
    private final PrintStream out;

    /** @param out per-run progress and tables; null for none */
    public TrialRunner(TrialSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /**
     * One short migration before the trial, unmeasured, on loopback: the first run would otherwise
     * pay the JIT's warm-up (its bulk pass measured twice as long here), which lengthens its
     * iterations and so changes how many stores land between captures.
     */
    public void warmUp() throws Exception {
        Path dir = Files.createDirectories(settings.out());
        EngineConfig cfg = settings.engine().toBuilder().mode(Mode.DIGEST).xbzrle(true).bandwidthBytesPerSecond(0)
                .maxIterations(3).downtimeLimit(Duration.ZERO).build();
        try (SyntheticWorkload w = new Workloads("mixed", 16L << 20, 4096, new Pacing(false, 0.5), null, 0.5, null, 1, 1)
                .open().start();
             EmbeddedReceiver rx = EmbeddedReceiver.provider().start(dir.resolve("warm-up.img"));
             MigrationChannel ch = MigrationChannel.connect(InetSocketAddress.createUnresolved("127.0.0.1", rx.port()),
                     Protocol.DEFAULT_MAX_MESSAGE_BYTES)) {
            new PrecopyLoop(w, cfg, ch, EngineListener.NONE).run();
            rx.awaitFailure();
        } finally {
            Files.deleteIfExists(dir.resolve("warm-up.img"));
        }
    }

    public List<TrialRun> run() throws Exception {
        Files.createDirectories(settings.out());
        List<TrialRun> runs = new ArrayList<>();
        for (int i = 0; i < settings.variants().size(); i++) {
            TrialVariant v = settings.variants().get(i);
            TrialRun r = runOne(v, i == 0 ? settings.recordTrace() : null, i);
            runs.add(r);
            if (out != null) {
                out.println();
                TrialTables.iterations(out, r);
            }
        }
        return runs;
    }

    private TrialRun runOne(TrialVariant v, Path recordTrace, int index) throws Exception {
        EngineConfig cfg = settings.engine().toBuilder().migrationId(settings.engine().migrationId() + "-" + v.label())
                .mode(v.mode()).xbzrle(v.xbzrle()).afterSuccess(EngineConfig.AfterSuccess.STAY_PAUSED).build();
        Path image = settings.out().resolve("receiver.img");
        TraceRecorder recorder = null;
        EmbeddedReceiver embedded = null;
        try (SyntheticWorkload w = settings.workload().open()) {
            if (recordTrace != null) {
                recorder = new TraceRecorder(recordTrace, w.geometry(), "recorded by tern-trial: "
                        + settings.workload().name() + ", seed " + settings.workload().seed() + ", run " + v.label());
                w.record(recorder);
            }
            InetSocketAddress to = settings.to();
            if (to == null) {
                embedded = EmbeddedReceiver.provider().start(image);
                to = InetSocketAddress.createUnresolved("127.0.0.1", embedded.port());
            }
            if (out != null) {
                out.printf("run %d/%d: %s, %s%n", index + 1, settings.variants().size(), v.label(), w.describe());
                out.flush();
            }
            w.start();
            MigrationResult result;
            String error = null;
            try (MigrationChannel ch = MigrationChannel.connect(to, Protocol.DEFAULT_MAX_MESSAGE_BYTES)) {
                result = new PrecopyLoop(w, cfg, ch, EngineListener.NONE).run();
            } catch (MigrationFailure f) {
                if (f.partial() == null) {
                    throw f;
                }
                result = f.partial();
                error = f.getMessage();
            }
            if (embedded != null) {
                String failure = embedded.awaitFailure();
                if (error == null && failure != null) {
                    error = "embedded receiver: " + failure;
                }
            }
            return new TrialRun(v, result, error);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
            if (recorder != null) {
                recorder.close(); // after the workload's close: its writer thread has ended
            }
            Files.deleteIfExists(image);
        }
    }
}
