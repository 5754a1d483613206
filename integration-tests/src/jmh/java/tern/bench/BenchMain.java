package tern.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the page benchmarks and prints ns/page and GB/s (= 4096 / ns).
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code bench.include} regex of benchmarks (default all in tern.bench)</li>
 *   <li>{@code bench.quick=true}: 1 warmup and 2 measurement iterations of 200 ms (default 3 x 1 s, 5 x 1 s)</li>
 *   <li>{@code bench.jvm}: JDK home or java binary for the forked JVM (default: this JVM)</li>
 *   <li>{@code bench.jvmArgs}: extra arguments for the forked JVM, space separated</li>
 *   <li>{@code bench.out}: directory for the JSON result and summary (default: none)</li>
 * </ul>
 */
public final class BenchMain {
    private static final int PAGE = 4096;

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Boolean.parseBoolean(prop("bench.quick"));
        String include = prop("bench.include").isEmpty() ? "tern\\.bench\\..*" : prop("bench.include");
        String java = javaBinary(prop("bench.jvm"));
        String extra = prop("bench.jvmArgs");
        String out = prop("bench.out");

        String version = run(java, "-version");
        int major = majorVersion(version);
        String flags = run(java, "-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintFlagsFinal", "-version");
        StringBuilder intrinsics = new StringBuilder();
        for (String line : flags.split("\n")) {
            if (line.matches(".*\\bUse(SHA|SHA1Intrinsics|SHA256Intrinsics|SHA512Intrinsics|SHA3Intrinsics|AVX|AESIntrinsics)\\b.*")) {
                intrinsics.append("  ").append(line.trim().replaceAll("\\s+", " ")).append('\n');
            }
        }

        List<String> jvmArgs = new ArrayList<>(List.of("-Xms2g", "-Xmx2g", "-XX:MaxDirectMemorySize=3g"));
        if (major >= 22) {
            jvmArgs.add("--enable-native-access=ALL-UNNAMED");
        }
        if (major >= 23) {
            jvmArgs.add("--sun-misc-unsafe-memory-access=allow"); // zero-allocation-hashing uses Unsafe
        }
        if (!extra.isEmpty()) {
            jvmArgs.addAll(List.of(extra.split("\\s+")));
        }

        ChainedOptionsBuilder ob = new OptionsBuilder()
                .include(include)
                .forks(1)
                .threads(1)
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(quick ? TimeValue.milliseconds(200) : TimeValue.seconds(1))
                .measurementIterations(quick ? 2 : 5)
                .measurementTime(quick ? TimeValue.milliseconds(200) : TimeValue.seconds(1))
                .jvm(java)
                .jvmArgs(jvmArgs.toArray(new String[0]));
        String tag = "jdk" + major;
        if (!out.isEmpty()) {
            Files.createDirectories(Path.of(out));
            ob.resultFormat(ResultFormatType.JSON).result(Path.of(out, "jmh-" + tag + ".json").toString());
        }
        Collection<RunResult> results = new Runner(ob.build()).run();

        StringBuilder sb = new StringBuilder();
        sb.append("\n== Tern per-page costs, 4 KiB page, ").append(firstLine(version))
                .append(quick ? " (QUICK run)" : "").append(" ==\n");
        sb.append("forked JVM: ").append(java).append(' ').append(String.join(" ", jvmArgs)).append('\n');
        sb.append("SHA intrinsics (").append(java).append(" -XX:+UnlockDiagnosticVMOptions -XX:+PrintFlagsFinal):\n").append(intrinsics);
        sb.append("cpu: ").append(cpuInfo()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-34s %-10s %10s %10s %10s %8s %8s%n",
                "benchmark", "param", "ns/page", "+-err", "best ns", "GB/s", "best"));
        for (RunResult r : results) {
            Result<?> p = r.getPrimaryResult();
            String name = r.getParams().getBenchmark().replaceFirst("^tern\\.bench\\.", "");
            StringBuilder ps = new StringBuilder();
            for (String k : r.getParams().getParamsKeys()) {
                if (ps.length() > 0) {
                    ps.append(',');
                }
                ps.append(r.getParams().getParam(k));
            }
            double ns = p.getScore();
            double err = p.getScoreError();
            double best = Double.MAX_VALUE; // fastest measurement iteration: least disturbed by other load
            for (BenchmarkResult br : r.getBenchmarkResults()) {
                for (IterationResult ir : br.getIterationResults()) {
                    best = Math.min(best, ir.getPrimaryResult().getScore());
                }
            }
            sb.append(String.format(Locale.ROOT, "%-34s %-10s %10.1f %10.1f %10.1f %8.2f %8.2f%n",
                    name, ps, ns, Double.isNaN(err) ? 0.0 : err, best, PAGE / ns, PAGE / best));
        }
        sb.append("GB/s = 4096 / ns (10^9 bytes/s); best = fastest 1-iteration mean. Rough: 2 shared cores,"
                + " other work running.\n");
        System.out.print(sb);
        if (!out.isEmpty()) {
            Path summary = Path.of(out, "summary-" + tag + ".txt");
            Files.writeString(summary, sb.toString(), StandardCharsets.UTF_8);
            System.out.println("written: " + summary + " and " + Path.of(out, "jmh-" + tag + ".json"));
        }
    }

    /** The property, trimmed; "" when unset or an uninterpolated Maven ${...}. */
    private static String prop(String name) {
        String v = System.getProperty(name, "").trim();
        return v.startsWith("${") ? "" : v;
    }

    private static String javaBinary(String jvm) {
        if (jvm.isBlank()) {
            return Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }
        Path p = Path.of(jvm);
        return Files.isDirectory(p) ? p.resolve("bin").resolve("java").toString() : p.toString();
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String s = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        pr.waitFor();
        return s;
    }

    private static int majorVersion(String versionOutput) {
        Matcher m = Pattern.compile("version \"(1\\.)?(\\d+)").matcher(versionOutput);
        return m.find() ? Integer.parseInt(m.group(2)) : 17;
    }

    private static String firstLine(String s) {
        for (String line : s.split("\n")) {
            if (line.contains("Runtime Environment")) {
                return line.trim();
            }
        }
        return s.split("\n")[0].trim();
    }

    private static String cpuInfo() {
        try {
            String model = "?";
            boolean shaNi = false;
            boolean avx2 = false;
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && model.equals("?")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                }
                if (line.startsWith("flags")) {
                    shaNi |= line.contains(" sha_ni");
                    avx2 |= line.contains(" avx2");
                }
            }
            return model + ", " + Runtime.getRuntime().availableProcessors() + " cpus, sha_ni=" + shaNi + ", avx2=" + avx2;
        } catch (IOException e) {
            return "?";
        }
    }
}
