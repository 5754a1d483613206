package tern.it.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import tern.common.digest.DigestKind;
import tern.common.digest.DigestTable;
import tern.lab.bench.ProcSampler;
import tern.lab.bench.SourceFiles;
import tern.lab.process.ChildProcess;
import tern.lab.process.FileTree;
import tern.lab.process.ProcessGroup;
import tern.lab.process.TernHome;

/**
 * Memory overhead of each side per GiB of image: the anonymous memory (RssAnon) a sender and a
 * receiver process need beyond the JVM's baseline, not counting the source mapping (RssShmem of
 * the sender: the file lives in /dev/shm) or the image (the receiver writes it with positional
 * writes, so it is page cache outside its RSS; were it mapped, it would show as RssFile).
 *
 * <p>Method: for 64 MiB (baseline), 1 GiB and 4 GiB images, a source file of non-zero
 * pseudo-random pages is created in /dev/shm, a real {@code bin/tern-receiver} (image under
 * /tmp, on disk) and {@code bin/tern-sender --source file:... --mode digest} migrate it, and a
 * sampler thread keeps each process's peak RssAnon. Each size runs three times (interleaved) and
 * each side's peak is the median. Overhead per GiB = (peak at 4 GiB - peak at 1 GiB) / 3, which
 * cancels the JVM's fixed cost. The table goes to stdout and {@code target/memory-overhead.json}.
 *
 * <p>Heavy (a 4 GiB source in /dev/shm plus a 4 GiB image in the page cache at the peak, about
 * 4 minutes): it runs only in the {@code memory} profile, {@code ./mvnw -o -pl integration-tests verify -Pmemory}, which sets
 * {@code tern.memory=true}.
 */
@EnabledIfSystemProperty(named = "tern.memory", matches = "true")
class MemoryOverheadIT {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final int PAGE_SIZE = 4096;
    private static final DigestKind DIGEST = DigestKind.SHA256;
    private static final long SEED = 20240611L;
    private static final long SAMPLE_PERIOD_MS = 10;
    private static final long RUN_TIMEOUT_S = 900;

    /**
     * Sizes: the smallest is the baseline, the overhead is the slope between the two largest.
     * {@code -Dtern.memory.sizesMiB=...} changes them (e.g. for a quick check).
     */
    private static final long[] SIZES_MIB = Arrays.stream(
            System.getProperty("tern.memory.sizesMiB", "64,1024,4096").split(","))
            .mapToLong(s -> Long.parseLong(s.trim())).sorted().toArray();

    /**
     * Runs per size for the asserted configurations ({@code -Dtern.memory.repeat=N}); each side's
     * peak at a size is the median over them. One run's peak varies by up to ~15 MiB (when the
     * collector ran relative to the batches in flight, JIT arenas), which over a 3 GiB slope is
     * +-5 MiB/GiB; the median of three keeps one odd run out of the result.
     */
    private static final int REPEAT = Integer.getInteger("tern.memory.repeat", 3);

    /**
     * JVM flags for both processes in the asserted measurement: "launcher" means bin/tern-launch's
     * own flags (-XX:+UseSerialGC -Xmn16m, what users get), "jvm-defaults" no flags at all
     * (TERN_JAVA_OPTS set empty), anything else is passed as TERN_JAVA_OPTS, which replaces the
     * launcher's flags; {@code -Dtern.memory.jvm=...} changes them, several separated by ';'.
     *
     * <p>Why the launcher sets flags rather than leaving the JVM's defaults: with G1 and no flags (a 24 GiB machine: 384 MiB initial heap, 6 GiB
     * max) a process's RssAnon is mostly how much of the committed heap its eden happened to
     * touch before it exited, which depends on the run's length, G1's adaptive young sizing and
     * whether a humongous allocation (the 32 MiB table at 4 GiB) started a marking cycle that
     * shrank the heap. Measured over five series: receiver slopes from -20 to +29 MiB/GiB (e.g.
     * 408 MiB at 1 GiB, 348 MiB at 4 GiB), sender +30 to +59 MiB/GiB: the sender allocates ~190 B
     * of short-lived objects per page sent and G1 lets eden fill to 190 MiB before collecting
     * (jcmd GC.heap_info near the end at 4 GiB: 47 young regions, 244 MiB used; with SerialGC at
     * the same point the old generation holds 44 MiB). The
     * signal is 24-27 MiB between 1 and 4 GiB; the noise is +-60 MiB. With the
     * serial collector and a fixed 16 MiB young generation, eden is small and fully touched in
     * every run (it cancels in the slope), and the old generation grows by what survives: the
     * per-page arrays plus a little promoted garbage. Heap contents at the end of the runs
     * (jcmd GC.heap_info) confirm it: tenured used grows by 25 MiB (receiver) and 28 MiB
     * (sender) from 1 to 4 GiB, against 24 MiB and 27 MiB of per-page arrays.
     */
    private static final List<String> JVM_CONFIGS = List.of(
            System.getProperty("tern.memory.jvm", "launcher").split(";"));

    /**
     * Whether to run the JVM's own defaults too ({@code -Dtern.memory.alsoDefault=false} skips them):
     * reported, not asserted, for the reason above.
     */
    private static final boolean ALSO_DEFAULT = Boolean.parseBoolean(System.getProperty("tern.memory.alsoDefault", "true"));

    /**
     * Allowed anonymous memory per GiB of image on each side: the 1 % target (10.24 MiB/GiB) plus
     * SLACK_PER_GIB for JVM heap noise. See {@link #SLACK_PER_GIB}.
     */
    private static final long TARGET_PER_GIB = GIB / 100;

    /**
     * Slack for JVM noise, per GiB of image. The per-page structures are 32 B of digest per
     * 4 KiB page on the receiver (8 MiB/GiB, 0.78 %) and 32 B + 4 B (batch id) + 1 bit on the
     * sender (9.03 MiB/GiB, 0.88 %): under the 1 % target. A slope between separate JVM runs
     * also carries each run's noise: garbage promoted to the old generation before a full GC
     * (it grows with the bytes moved), JIT compiler arenas kept by malloc, NIO buffer caches;
     * a few MiB per run, divided by 3 GiB. Measured with SerialGC and a 16-64 MiB young
     * generation, one run per size, over nine series: sender 7.0-14.2 MiB/GiB, receiver
     * 6.3-13.9 MiB/GiB; with the median of three runs per size (-Xmn16m, two series): sender
     * 9.3-10.0, receiver 9.3-10.7. 8 MiB of slack puts the bound at 18.2 MiB/GiB (1.78 %), 4 MiB
     * over the worst single-run slope seen, so even -Dtern.memory.repeat=1 holds. It fails what
     * costs 2 % per GiB or more (pages copied to the heap, a per-page object holding its own
     * digest array); a smaller regression (one more 4-8 B/page array) hides in the noise, so the
     * table printed carries the slope itself.
     */
    private static final long SLACK_PER_GIB = Long.getLong("tern.memory.slackKiB", 8 * 1024) * 1024;

    @TempDir
    Path tmp;

    record Side(long peakAnon, long peakFile, long peakShmem, long vmHwm, long samples) {
        static Side of(ProcSampler.Peaks p) {
            return new Side(p.rssAnon(), p.rssFile(), p.rssShmem(), p.vmHwm(), p.samples());
        }
    }

    record Run(String jvm, long imageBytes, Side sender, Side receiver, int senderExit, int receiverExit,
            double fillSeconds, double migrateSeconds) {
    }

    /** The repetitions at one image size; each side's peak is taken as the median over them. */
    record Size(long imageBytes, List<Run> runs) {
        long senderAnon() {
            return median(runs.stream().mapToLong(r -> r.sender().peakAnon()).toArray());
        }

        long receiverAnon() {
            return median(runs.stream().mapToLong(r -> r.receiver().peakAnon()).toArray());
        }

        double seconds() {
            return runs.stream().mapToDouble(Run::migrateSeconds).sorted().toArray()[runs.size() / 2];
        }
    }

    record Result(String jvm, boolean asserted, List<Size> sizes, long senderPerGib, long receiverPerGib,
            long digestTablePerGib) {
    }

    static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    @Test
    void overheadPerGibOfImageIsUnderOnePercentOnEachSide() throws Exception {
        assertTrue(SIZES_MIB.length >= 3, "three sizes at least: baseline and two for the slope");
        assertTrue(REPEAT >= 1, "tern.memory.repeat must be 1 or more");
        Path shm = Path.of("/dev/shm");
        assertTrue(Files.isDirectory(shm) && Files.isWritable(shm), "/dev/shm is needed for the source files");

        // The digest table alone, as the receiver allocates it: one digest per page.
        long tablePerGib = new DigestTable((int) (GIB / PAGE_SIZE), DIGEST.length()).bytes();

        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        List<String> configs = new ArrayList<>();
        JVM_CONFIGS.forEach(c -> configs.add(c.trim()));
        if (ALSO_DEFAULT && !configs.contains("jvm-defaults")) {
            configs.add("jvm-defaults");
        }
        for (String jvm : configs) {
            boolean asserted = JVM_CONFIGS.stream().anyMatch(c -> c.trim().equals(jvm));
            int repeat = asserted ? REPEAT : 1;
            List<List<Run>> bySize = new ArrayList<>();
            for (int i = 0; i < SIZES_MIB.length; i++) {
                bySize.add(new ArrayList<>());
            }
            // Sizes interleaved (64M, 1G, 4G, 64M, 1G, 4G, ...): drift over time spreads over all sizes.
            for (int rep = 0; rep < repeat; rep++) {
                for (int i = 0; i < SIZES_MIB.length; i++) {
                    Run run = migrate(jvm, SIZES_MIB[i] * MIB);
                    bySize.get(i).add(run);
                    System.out.println("memory: " + describe(run));
                }
            }
            List<Size> sizes = new ArrayList<>();
            for (int i = 0; i < SIZES_MIB.length; i++) {
                sizes.add(new Size(SIZES_MIB[i] * MIB, List.copyOf(bySize.get(i))));
            }
            Size small = sizes.get(sizes.size() - 2);
            Size large = sizes.get(sizes.size() - 1);
            double gibs = (double) (large.imageBytes() - small.imageBytes()) / GIB;
            long senderPerGib = Math.round((large.senderAnon() - small.senderAnon()) / gibs);
            long receiverPerGib = Math.round((large.receiverAnon() - small.receiverAnon()) / gibs);
            results.add(new Result(jvm, asserted, sizes, senderPerGib, receiverPerGib, tablePerGib));
        }
        double totalSeconds = (System.nanoTime() - t0) / 1e9;

        String table = table(results, totalSeconds);
        System.out.println(table);
        Path json = Path.of(System.getProperty("tern.memory.out", "target/memory-overhead.json"));
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, json(results, totalSeconds), StandardCharsets.UTF_8);
        System.out.println("memory: written " + json.toAbsolutePath());

        // The digest table alone fits 1 % of the image (32 B per 4 KiB page = 0.78 %).
        assertTrue(tablePerGib * 100 <= GIB, "digest table " + tablePerGib + " B per GiB exceeds 1 %");
        long bound = TARGET_PER_GIB + SLACK_PER_GIB;
        long span = (SIZES_MIB[SIZES_MIB.length - 1] - SIZES_MIB[SIZES_MIB.length - 2]) * MIB;
        if (span < 2 * GIB) {
            // A few MiB of per-run noise over less than 2 GiB is no slope (a quick -Dtern.memory.sizesMiB check).
            System.out.println("memory: slope over " + size(span) + " only: not asserted");
            return;
        }
        for (Result r : results) {
            if (!r.asserted()) {
                continue;
            }
            assertTrue(r.senderPerGib() <= bound, "[" + r.jvm() + "] sender anon overhead " + mib(r.senderPerGib())
                    + " MiB per GiB of image exceeds 1 % + slack (" + mib(bound) + " MiB)\n" + table);
            assertTrue(r.receiverPerGib() <= bound, "[" + r.jvm() + "] receiver anon overhead " + mib(r.receiverPerGib())
                    + " MiB per GiB of image exceeds 1 % + slack (" + mib(bound) + " MiB)\n" + table);
        }
    }

    /** One migration of an image of {@code bytes}: source in /dev/shm, image under the temp dir. */
    private Run migrate(String jvm, long bytes) throws Exception {
        Path shmDir = Files.createTempDirectory(Path.of("/dev/shm"), "tern-mem-");
        Path runDir = Files.createTempDirectory(tmp, "run-" + bytes / MIB + "m-");
        ProcessGroup started = new ProcessGroup(TernHome.find(), runDir);
        try {
            Path source = shmDir.resolve("source.ram");
            long f0 = System.nanoTime();
            SourceFiles.fillRandom(source, bytes, SEED ^ bytes);
            double fillSeconds = (System.nanoTime() - f0) / 1e9;
            Path image = runDir.resolve("img");
            Path stats = runDir.resolve("stats.jsonl");

            Map<String, String> env = environment(jvm);
            ProcessGroup.Receiver listening = started.startReceiver("receiver", env,
                    "--listen", "127.0.0.1:0", "--image", image.toString());
            ChildProcess receiver = listening.process();

            long m0 = System.nanoTime();
            ChildProcess sender = started.start("sender", runDir, started.tool("tern-sender",
                    "--to", listening.to(), "--source", "file:" + source, "--mode", "digest",
                    "--digest", DIGEST.cliName(), "--page-size", Integer.toString(PAGE_SIZE),
                    "--quiet", "--stats", stats.toString()), env, List.of());

            ProcSampler.Watch sw;
            ProcSampler.Watch rw;
            int senderExit;
            int receiverExit;
            try (ProcSampler sampler = new ProcSampler(SAMPLE_PERIOD_MS)) {
                sw = sampler.watch("sender", sender.pid());
                rw = sampler.watch("receiver", receiver.pid());
                senderExit = sender.awaitExit(Duration.ofSeconds(RUN_TIMEOUT_S));
                receiverExit = receiver.awaitExit(Duration.ofSeconds(RUN_TIMEOUT_S));
            }
            ProcSampler.Peaks sp = sw.peaks();
            ProcSampler.Peaks rp = rw.peaks();
            double migrateSeconds = (System.nanoTime() - m0) / 1e9;

            Run run = new Run(jvm, bytes, Side.of(sp), Side.of(rp), senderExit, receiverExit, fillSeconds, migrateSeconds);
            assertEquals(0, senderExit, "sender exit code, " + describe(run) + sender.outputs() + receiver.outputs());
            assertEquals(0, receiverExit, "receiver exit code, " + describe(run) + sender.outputs() + receiver.outputs());
            List<String> statLines = Files.readAllLines(stats);
            String summary = statLines.isEmpty() ? "" : statLines.get(statLines.size() - 1);
            assertTrue(summary.contains("\"type\":\"summary\"") && summary.contains("\"verified\":true"),
                    "stats summary: " + summary + sender.outputs() + receiver.outputs());
            assertTrue(sp.samples() > 10 && rp.samples() > 10,
                    "too few samples to speak of a peak: " + sp + "; " + rp);
            return run;
        } finally {
            started.close();
            FileTree.delete(shmDir);
            FileTree.delete(runDir); // the image (as large as the source) goes before the next size
        }
    }

    /** TERN_JAVA_OPTS for a configuration: "launcher" keeps the launcher's flags, "jvm-defaults" none. */
    private static Map<String, String> environment(String jvm) {
        Map<String, String> env = new HashMap<>();
        env.put("TERN_JAVA_OPTS", jvm.equals("launcher") ? null : jvm.equals("jvm-defaults") ? "" : jvm);
        return env;
    }

    // ---- reporting ----

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) MIB);
    }

    private static String size(long bytes) {
        return bytes >= GIB ? bytes / GIB + " GiB" : bytes / MIB + " MiB";
    }

    private static String describe(Run r) {
        return String.format(Locale.ROOT,
                "[%s] %s image: sender anon %s MiB (shmem %s MiB), receiver anon %s MiB (file %s MiB),"
                        + " exits %d/%d, fill %.1f s, migration %.1f s",
                r.jvm(), size(r.imageBytes()), mib(r.sender().peakAnon()), mib(r.sender().peakShmem()),
                mib(r.receiver().peakAnon()), mib(r.receiver().peakFile()), r.senderExit(), r.receiverExit(),
                r.fillSeconds(), r.migrateSeconds());
    }

    private static String table(List<Result> results, double totalSeconds) {
        StringBuilder b = new StringBuilder();
        b.append("\nMemory overhead: peak RssAnon in MiB, median [min-max] of the repetitions; the source mapping"
                + " (sender RssShmem) and the image (receiver page cache) are not in it\n");
        for (Result r : results) {
            b.append("JVM flags (TERN_JAVA_OPTS): ").append(r.jvm())
                    .append(r.asserted() ? "  [asserted]" : "  [reported only: heap noise exceeds the signal]")
                    .append(", ").append(r.sizes().get(0).runs().size()).append(" run(s) per size\n");
            b.append(String.format(Locale.ROOT, "  %-8s %-24s %-24s %12s %8s%n",
                    "image", "sender anon", "receiver anon", "sender shmem", "time s"));
            for (Size sz : r.sizes()) {
                b.append(String.format(Locale.ROOT, "  %-8s %-24s %-24s %12s %8.1f%n", size(sz.imageBytes()),
                        spread(sz.senderAnon(), sz.runs().stream().mapToLong(x -> x.sender().peakAnon()).toArray()),
                        spread(sz.receiverAnon(), sz.runs().stream().mapToLong(x -> x.receiver().peakAnon()).toArray()),
                        mib(sz.runs().get(0).sender().peakShmem()), sz.seconds()));
            }
            Size base = r.sizes().get(0);
            Size small = r.sizes().get(r.sizes().size() - 2);
            Size large = r.sizes().get(r.sizes().size() - 1);
            b.append(String.format(Locale.ROOT, "  baseline (%s): sender %s MiB, receiver %s MiB%n",
                    size(base.imageBytes()), mib(base.senderAnon()), mib(base.receiverAnon())));
            b.append(String.format(Locale.ROOT,
                    "  per GiB of image (%s -> %s): sender %s MiB (%.2f %%), receiver %s MiB (%.2f %%);"
                            + " digest table alone %s MiB (%.2f %%)%n",
                    size(small.imageBytes()), size(large.imageBytes()),
                    mib(r.senderPerGib()), 100.0 * r.senderPerGib() / GIB, mib(r.receiverPerGib()),
                    100.0 * r.receiverPerGib() / GIB, mib(r.digestTablePerGib()), 100.0 * r.digestTablePerGib() / GIB));
        }
        b.append(String.format(Locale.ROOT, "bound per GiB (asserted configurations): 1 %% (%s MiB) + slack %s MiB"
                + " = %s MiB; total %.0f s%n", mib(TARGET_PER_GIB), mib(SLACK_PER_GIB),
                mib(TARGET_PER_GIB + SLACK_PER_GIB), totalSeconds));
        return b.toString();
    }

    private static String spread(long median, long[] all) {
        if (all.length == 1) {
            return mib(median);
        }
        long min = Arrays.stream(all).min().orElse(0);
        long max = Arrays.stream(all).max().orElse(0);
        return mib(median) + " [" + mib(min) + "-" + mib(max) + "]";
    }

    private static String json(List<Result> results, double totalSeconds) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"page_size\": ").append(PAGE_SIZE).append(",\n");
        b.append("  \"digest\": \"").append(DIGEST.cliName()).append("\",\n");
        b.append("  \"java\": \"").append(System.getProperty("java.version")).append("\",\n");
        b.append("  \"overhead\": \"(median peak RssAnon at the largest size - at the second largest) / their"
                + " difference in GiB\",\n");
        b.append("  \"bound_per_gib_bytes\": ").append(TARGET_PER_GIB + SLACK_PER_GIB).append(",\n");
        b.append("  \"slack_per_gib_bytes\": ").append(SLACK_PER_GIB).append(",\n");
        b.append(String.format(Locale.ROOT, "  \"total_seconds\": %.1f,%n", totalSeconds));
        b.append("  \"configs\": [\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            Size base = r.sizes().get(0);
            b.append("    {\n");
            b.append("      \"tern_java_opts\": \"").append(r.jvm().replace("\\", "\\\\").replace("\"", "\\\""))
                    .append("\",\n");
            b.append("      \"asserted\": ").append(r.asserted()).append(",\n");
            b.append("      \"baseline_image_bytes\": ").append(base.imageBytes()).append(",\n");
            b.append("      \"baseline_sender_anon_bytes\": ").append(base.senderAnon()).append(",\n");
            b.append("      \"baseline_receiver_anon_bytes\": ").append(base.receiverAnon()).append(",\n");
            b.append("      \"sender_anon_per_gib_bytes\": ").append(r.senderPerGib()).append(",\n");
            b.append("      \"receiver_anon_per_gib_bytes\": ").append(r.receiverPerGib()).append(",\n");
            b.append("      \"digest_table_per_gib_bytes\": ").append(r.digestTablePerGib()).append(",\n");
            b.append(String.format(Locale.ROOT, "      \"sender_share\": %.5f,%n", (double) r.senderPerGib() / GIB));
            b.append(String.format(Locale.ROOT, "      \"receiver_share\": %.5f,%n", (double) r.receiverPerGib() / GIB));
            b.append(String.format(Locale.ROOT, "      \"digest_table_share\": %.5f,%n",
                    (double) r.digestTablePerGib() / GIB));
            b.append("      \"sizes\": [\n");
            for (int j = 0; j < r.sizes().size(); j++) {
                Size sz = r.sizes().get(j);
                b.append(String.format(Locale.ROOT,
                        "        {\"image_bytes\": %d, \"sender_anon_median\": %d, \"receiver_anon_median\": %d,"
                                + " \"runs\": [%n", sz.imageBytes(), sz.senderAnon(), sz.receiverAnon()));
                for (int k = 0; k < sz.runs().size(); k++) {
                    Run run = sz.runs().get(k);
                    b.append(String.format(Locale.ROOT,
                            "          {\"sender_peak_anon\": %d, \"sender_peak_file\": %d,"
                                    + " \"sender_peak_shmem\": %d, \"sender_vm_hwm\": %d, \"receiver_peak_anon\": %d,"
                                    + " \"receiver_peak_file\": %d, \"receiver_peak_shmem\": %d, \"receiver_vm_hwm\": %d,"
                                    + " \"sender_exit\": %d, \"receiver_exit\": %d, \"fill_seconds\": %.2f,"
                                    + " \"migration_seconds\": %.2f}%s%n",
                            run.sender().peakAnon(), run.sender().peakFile(), run.sender().peakShmem(),
                            run.sender().vmHwm(), run.receiver().peakAnon(), run.receiver().peakFile(),
                            run.receiver().peakShmem(), run.receiver().vmHwm(), run.senderExit(), run.receiverExit(),
                            run.fillSeconds(), run.migrateSeconds(), k + 1 < sz.runs().size() ? "," : ""));
                }
                b.append("        ]}").append(j + 1 < r.sizes().size() ? "," : "").append('\n');
            }
            b.append("      ]\n");
            b.append("    }").append(i + 1 < results.size() ? "," : "").append('\n');
        }
        b.append("  ]\n}\n");
        return b.toString();
    }
}
