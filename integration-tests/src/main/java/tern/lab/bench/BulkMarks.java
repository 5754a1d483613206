package tern.lab.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import tern.lab.process.ChildProcess;

/**
 * Both Tern processes' CPU time at the two marks that bound the bulk pass: {@link #START} at the
 * receiver's "iteration 1" line (the mark the sender sends as it starts timing the pass),
 * {@link #END} at the sender's "iteration 1 (bulk): ..." line (the pass is over). Readings are
 * taken on the processes' pump threads as the line is read ({@link ChildProcess.Hook}); they are read
 * back only after both processes' output has ended, which orders the two.
 */
final class BulkMarks {
    static final int START = 0;
    static final int END = 1;
    private static final int SENDER = 0;
    private static final int RECEIVER = 1;

    private final AtomicReference<ProcSampler.Watch> sender = new AtomicReference<>();
    private final AtomicReference<ProcSampler.Watch> receiver = new AtomicReference<>();
    private final ProcFs.CpuTicks[][] cpu = new ProcFs.CpuTicks[2][];
    private final ProcFs.MachineTicks[] machine = new ProcFs.MachineTicks[2];
    private final List<List<Map<Long, ProcFs.ThreadTicks>>> threads = new ArrayList<>(List.of(List.of(), List.of()));
    private final long[] nanos = new long[2];

    void watchSender(ProcSampler.Watch w) {
        sender.set(w);
    }

    void watchReceiver(ProcSampler.Watch w) {
        receiver.set(w);
    }

    /** A hook that takes mark {@code i} at the first line that {@code matches}. */
    ChildProcess.Hook hook(int i, Predicate<String> matches) {
        return new ChildProcess.Hook(matches, l -> take(i));
    }

    /** Reads both processes' CPU time: first the totals, then per thread (a few milliseconds more). */
    private void take(int i) {
        ProcSampler.Watch s = sender.get();
        ProcSampler.Watch r = receiver.get();
        nanos[i] = System.nanoTime();
        if (s != null && r != null) {
            cpu[i] = new ProcFs.CpuTicks[] {s.cpuNow(), r.cpuNow()};
            machine[i] = ProcFs.machine();
            threads.set(i, List.of(ProcFs.readThreads(s.pid), ProcFs.readThreads(r.pid)));
        }
    }

    /** Whether both marks were taken (with both processes watched). */
    boolean complete() {
        return cpu[START] != null && cpu[END] != null;
    }

    double seconds() {
        return (nanos[END] - nanos[START]) / 1e9;
    }

    Cpu senderCpu(double hz) {
        return Cpu.of(cpu[END][SENDER].minus(cpu[START][SENDER]), hz);
    }

    Cpu receiverCpu(double hz) {
        return Cpu.of(cpu[END][RECEIVER].minus(cpu[START][RECEIVER]), hz);
    }

    MachineLoad machine() {
        return MachineLoad.of(machine[END].minus(machine[START]));
    }

    Map<String, Cpu> senderThreads(double hz) {
        return threads(SENDER, hz);
    }

    Map<String, Cpu> receiverThreads(double hz) {
        return threads(RECEIVER, hz);
    }

    /** CPU seconds per kind of thread of one side over the bulk window, busiest first. */
    private Map<String, Cpu> threads(int side, double hz) {
        Map<String, Cpu> m = new LinkedHashMap<>();
        if (threads.get(START).isEmpty() || threads.get(END).isEmpty()) {
            return m;
        }
        ProcFs.threadDelta(threads.get(START).get(side), threads.get(END).get(side)).entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[0] + b.getValue()[1], a.getValue()[0] + a.getValue()[1]))
                .forEach(e -> m.put(e.getKey(), new Cpu(e.getValue()[0] / hz, e.getValue()[1] / hz)));
        return m;
    }
}
