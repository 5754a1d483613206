package tern.sender.cli;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import sun.misc.Signal;
import tern.sender.engine.EngineListener;
import tern.sender.engine.ForwardingListener;
import tern.sender.engine.SourceControl;
import tern.sender.engine.Stoppable;
import tern.sender.report.RunReports;
import tern.sender.source.MemorySource;

/**
 * What the sender does when it is stopped from outside: SIGINT (Ctrl-C), SIGTERM or SIGHUP, or any
 * other shutdown of the JVM before the sender finished. A shutdown hook stops the engine (its
 * channel fails every later step), settles the source through the migration's
 * {@link SourceControl} (a paused source is resumed and a hand-off rolled back, unless the
 * migration verified and --after-success decided; a relayed QEMU stream's guest runs on, its QEMU
 * migration cancelled, unless Complete went: QemuStreamSender#release), tells the receiver with a
 * Cancel (its confirmation awaited for at most {@link #CONFIRM}), ends the reports (--stats closes with a
 * summary saying the migration was interrupted) and prints one line saying what happened and the
 * state of the source, after ending a progress line. Then the JVM exits 128 + the signal's
 * number: 130, 143, 129.
 *
 * <p>Why sun.misc.Signal as well as the hook: the line names the signal, and a shutdown hook
 * cannot tell which signal (or which exit) started the shutdown. Each handler records the name
 * and exits with the code the JVM's own handler would give, which runs the hook. A signal this
 * process ignores (nohup) stays ignored. SIGKILL cannot be caught: docs/recovery.md says what it
 * leaves and how to recover.
 *
 * <p>Also the engine's listener (a decorator of the run's {@link RunReports}): it keeps the phase
 * the line names.
 */
final class Interruption extends ForwardingListener {
    /** How long the hook waits for the receiver to confirm the cancel before the sender exits anyway. */
    static final Duration CONFIRM = Duration.ofSeconds(2);

    private volatile EngineListener next = EngineListener.NONE;
    private volatile RunReports reports;
    private volatile String signal;
    private volatile String phase = "before the migration started";
    private volatile boolean completing;
    /** Settles the source and says how, for the line: "source resumed (running)". */
    private volatile Supplier<String> release;
    private volatile Stoppable loop;
    private volatile boolean finished;
    private volatile boolean interrupted;

    /** The run's reports: the engine's events go on to them, and the hook ends them. */
    void reports(RunReports r) {
        reports = r;
        next = r;
    }

    /** Catches the three signals and registers the hook; before anything can be paused. */
    void install() {
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                Signal.handle(new Signal(name), s -> {
                    signal = "SIG" + s.getName();
                    System.exit(128 + s.getNumber());
                });
            } catch (IllegalArgumentException e) {
                // the JVM keeps this signal (-Xrs): its own handler starts the shutdown, and the hook runs unnamed
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::onShutdown, "tern-sender-shutdown"));
    }

    /** The source is open, and {@code control} settles it. */
    void migrating(MemorySource source, SourceControl control) {
        migrating(() -> "source " + control.release() + " (" + source.runState() + ")");
    }

    /** The source is open, and {@code release} settles it (once, from any thread), saying how. */
    void migrating(Supplier<String> release) {
        this.release = release;
    }

    /** The migration about to run (the engine, a QEMU stream's relay): the hook stops it and has it cancel. */
    void engine(Stoppable loop) {
        this.loop = loop;
    }

    /** What the sender does now, as the line names it ("while connecting to 10.0.0.2:7070"). */
    void phase(String what) {
        phase = what;
    }

    /** The sender finished on its own (verified or failed): a shutdown from here changes nothing. */
    void finished() {
        finished = true;
    }

    /** Whether the hook has begun: the main thread then leaves the last word to it ({@link #awaitExit}). */
    boolean interrupted() {
        return interrupted;
    }

    /** Never returns: the hook ends the JVM once it is done. */
    void awaitExit() {
        while (true) {
            LockSupport.park(this);
        }
    }

    private void onShutdown() {
        if (finished) {
            return;
        }
        interrupted = true;
        String what = "interrupted by " + (signal != null ? signal : "a shutdown of the JVM") + " " + phase;
        RunReports r = reports;
        if (r != null) {
            r.endLine();
        }
        Stoppable l = loop;
        if (l != null) {
            l.abandon(what); // first: the engine takes no further step, so it cannot pause the source again
        }
        StringBuilder line = new StringBuilder("tern-sender: ").append(what);
        Supplier<String> settle = release;
        if (settle != null) {
            line.append(": ").append(settle.get());
        }
        if (l != null) {
            try {
                boolean confirmed = l.cancel(what, CONFIRM);
                if (confirmed) {
                    line.append("; the receiver ended the migration");
                } else if (l.accepted()) {
                    line.append("; the receiver did not confirm the cancel within ").append(CONFIRM.toSeconds())
                            .append(" s: it may hold the migration for its --resume-timeout (tern-receiver"
                                    + " --discard-resume drops it)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (r != null) {
            r.interrupted(what);
        }
        System.out.flush();
        System.err.println(line);
        System.err.flush();
        // The sender's last word: the engine thread runs on until the JVM halts, and must not add to it.
        System.out.close();
        System.err.close();
    }

    // ---------------------------------------------------------------- the engine's events

    @Override
    protected EngineListener next() {
        return next;
    }

    @Override
    public void beforePass(int iteration, String passPhase) {
        phase = completing ? "during completion (a " + passPhase + " pass, iteration " + iteration + ")"
                : "during " + passPhase + " (iteration " + iteration + ")";
        super.beforePass(iteration, passPhase);
    }

    @Override
    public void completing() {
        completing = true;
        phase = "during completion (awaiting the receiver's verdict)";
        super.completing();
    }
}
