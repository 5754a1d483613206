package tern.lab.bench;

import static tern.lab.bench.BenchConstants.SAMPLE_MS;
import static tern.lab.bench.BenchConstants.SEED;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import tern.common.units.ByteSize;
import tern.lab.process.ChildProcess;
import tern.lab.process.Listening;
import tern.lab.process.ProcessGroup;

/**
 * The ceiling Tern is measured against: the image side alone (positional writes into a new
 * sparse file, in this process), and raw TCP between two warmed-up JVMs ({@link TcpSource} and
 * tern.lab.bench.TcpSink) doing Tern's reads and writes with nothing else, the sink writing
 * the image or discarding what it reads.
 */
final class TcpCeiling {
    private final ProcessGroup processes;
    private final Scratch scratch;
    private final Progress progress;
    private final long buffer;
    private final int tcpRounds;
    private final double hz;

    /** {@code buffer}: bytes per socket and file write; {@code tcpRounds}: measured transfers after the warm-up. */
    TcpCeiling(ProcessGroup processes, Scratch scratch, Progress progress, long buffer, int tcpRounds, double hz) {
        this.processes = processes;
        this.scratch = scratch;
        this.progress = progress;
        this.buffer = buffer;
        this.tcpRounds = tcpRounds;
        this.hz = hz;
    }

    /** Plain positional writes of a 256 KiB buffer into a new sparse file: the image side alone, no network. */
    LocalWrite localWrite(long bytes, long warm, String tag) throws IOException {
        scratch.requireDisk(bytes);
        Path file = scratch.workDir().resolve("local-write.img");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ByteBuffer buf = ByteBuffer.allocateDirect((int) buffer).order(ByteOrder.LITTLE_ENDIAN);
        SourceFiles.putNonZeroWords(buf.asLongBuffer(), new SplittableRandom(SEED));
        LocalWrite last = null;
        try {
            for (long n : new long[] {warm, bytes}) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(0);
                    raf.setLength(n);
                }
                try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    ProcFs.MachineTicks m0 = ProcFs.machine();
                    long cpu0 = mx.getCurrentThreadCpuTime();
                    long user0 = mx.getCurrentThreadUserTime();
                    long s = System.nanoTime();
                    for (long pos = 0; pos < n; ) {
                        buf.clear().limit((int) Math.min(buffer, n - pos));
                        while (buf.hasRemaining()) {
                            pos += fc.write(buf, pos);
                        }
                    }
                    long nanos = System.nanoTime() - s;
                    long user = mx.getCurrentThreadUserTime() - user0;
                    long cpu = mx.getCurrentThreadCpuTime() - cpu0;
                    last = new LocalWrite(n, nanos, new Cpu(user / 1e9, (cpu - user) / 1e9),
                            MachineLoad.of(ProcFs.machine().minus(m0)));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        progress.line(String.format(Locale.ROOT, "local pwrite%s: %s into a new sparse file in %.1f s: %.3f GB/s, %s CPU s/GiB",
                tag, ByteSize.format(last.bytes()), last.nanos() / 1e9, last.bytesPerS() / 1e9,
                last.cpu().perGib(last.bytes()).show()));
        return last;
    }

    /**
     * A warm-up and {@code tcpRounds} transfers of {@code source} in one pair of processes. Each
     * side's CPU is read before the round's {@code go} and after its {@code done}; the image,
     * when the sink writes one, must match the source.
     */
    TcpResult tcp(Path source, long bytes, long warm, boolean discard, String tag) throws Exception {
        scratch.requireDisk(discard ? 0 : bytes);
        String what = discard ? "tcp (sink discards)" : "tcp";
        Path run = scratch.runDir(discard ? "tcp-discard-" : "tcp-");
        Path image = run.resolve("image.img");
        ProcFs.CpuTicks self0 = ProcFs.self();
        List<TcpRound> rounds = new ArrayList<>();
        Duration timeout = BenchConstants.timeoutFor(bytes);
        Boolean matches = null;
        ProcSampler.Watch srcW = null;
        ProcSampler.Watch sinkW = null;
        try (ProcSampler sampler = new ProcSampler(SAMPLE_MS)) {
            List<String> sinkCmd = processes.home().launch("lab", TcpSink.class.getName(),
                    "--listen", "127.0.0.1:0", "--image", image.toString(), "--buffer", Long.toString(buffer));
            if (discard) {
                sinkCmd.add("--discard");
            }
            ChildProcess sink = processes.start("tcp-sink", run, sinkCmd, Map.of(), List.of());
            try {
                int port = Listening.await(sink, ChildProcess.TIMEOUT).port();
                sinkW = sampler.watch("sink", sink.pid());
                ChildProcess src = processes.start("tcp-source", run, processes.home().launch("lab", TcpSource.class.getName(),
                        "--to", "127.0.0.1:" + port, "--source", "file:" + source, "--buffer", Long.toString(buffer),
                        "--warmup-rounds", "1", "--warmup-bytes", Long.toString(warm), "--rounds", Integer.toString(tcpRounds)),
                        Map.of(), List.of());
                try {
                    srcW = sampler.watch("source", src.pid());
                    for (int r = 1; r <= 1 + tcpRounds; r++) {
                        TcpRound tr = round(src, srcW, sinkW, r, timeout);
                        rounds.add(tr);
                        progress.line(String.format(Locale.ROOT, "%s%s: %s %s: %.3f GB/s; CPU s/GiB source %s, sink %s",
                                what, tag, tr.warmup() ? "warm-up" : "round " + (r - 1), ByteSize.format(tr.bytes()),
                                tr.bytesPerS() / 1e9, tr.source().perGib(tr.bytes()).show(), tr.sink().perGib(tr.bytes()).show()));
                    }
                    src.awaitSuccess(timeout);
                    sink.awaitSuccess(timeout);
                } finally {
                    processes.close(src);
                }
            } finally {
                processes.close(sink);
            }
            if (!discard) {
                long m = Files.mismatch(source, image);
                matches = m == -1;
                if (m != -1) {
                    throw new IllegalStateException("the TCP sink's image differs from the source at byte " + m);
                }
            }
        } finally {
            Files.deleteIfExists(image);
            scratch.doneWith(run);
        }
        Cpu rusage = Cpu.children(ProcFs.self().minus(self0), hz);
        TcpRound best = rounds.stream().filter(r -> !r.warmup()).max(Comparator.comparingDouble(TcpRound::bytesPerS)).orElseThrow();
        return new TcpResult(discard, rounds, best, matches, rusage, srcW.peaks(), sinkW.peaks());
    }

    /** Round {@code r} (1 is the warm-up): the source says {@code ready}, is told {@code go}, and says {@code done}. */
    private TcpRound round(ChildProcess src, ProcSampler.Watch srcW, ProcSampler.Watch sinkW, int r, Duration timeout)
            throws IOException, InterruptedException {
        String prefix = "ready " + r + " ";
        src.awaitStdoutLine(l -> l.startsWith(prefix), timeout);
        ProcFs.MachineTicks m0 = ProcFs.machine();
        ProcFs.CpuTicks s0 = srcW.cpuNow();
        ProcFs.CpuTicks k0 = sinkW.cpuNow();
        src.send("go");
        String donePrefix = "done " + r + " ";
        String done = src.awaitStdoutLine(l -> l.startsWith(donePrefix), timeout);
        ProcFs.CpuTicks s1 = srcW.cpuNow();
        ProcFs.CpuTicks k1 = sinkW.cpuNow();
        ProcFs.MachineTicks m1 = ProcFs.machine();
        String[] f = done.split(" ");
        return new TcpRound(r, r == 1, Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                Cpu.of(s1.minus(s0), hz), Cpu.of(k1.minus(k0), hz), MachineLoad.of(m1.minus(m0)));
    }
}
