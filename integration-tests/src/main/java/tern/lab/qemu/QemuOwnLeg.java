package tern.lab.qemu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.QmpEvent;
import tern.common.stats.Json;

/**
 * QEMU's own migration between two QEMUs under the same events as a Tern migration, for the
 * two-namespace harness's side by side (integration-tests/netns/tern-netns-trial --qemu-stream):
 * the destination listens at {@code --uri}, the source migrates there, and at the start of each
 * pass named with {@code --at-pass N=COMMAND} the command runs (bash -c: a reset with ss -K, an
 * outage). Prints one JSON line: QEMU's final status and error, the events that ran, and the
 * source guest's state afterwards.
 */
@Command(name = "qemu-own-leg", mixinStandardHelpOptions = true,
        description = "QEMU's own migration under scripted events; one JSON line.")
public final class QemuOwnLeg implements Callable<Integer> {
    @Option(names = "--source-qmp", required = true)
    Path sourceQmp;

    @Option(names = "--destination-qmp", required = true)
    Path destinationQmp;

    @Option(names = "--uri", required = true, description = "The destination's listening URI, e.g. tcp:10.77.0.1:4444.")
    String uri;

    @Option(names = "--at-pass", paramLabel = "N=COMMAND", description = "Run COMMAND when QEMU's pass N begins.")
    List<String> atPass = new ArrayList<>();

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds for the migration to end (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    public static void main(String[] args) {
        System.exit(Cli.run(new QemuOwnLeg(), args));
    }

    @Override
    public Integer call() throws Exception {
        try (QmpClient src = QmpClient.connect(sourceQmp, Duration.ofSeconds(60));
             QmpClient dst = QmpClient.connect(destinationQmp, Duration.ofSeconds(60))) {
            for (QmpClient q : List.of(src, dst)) {
                QemuMigration.setCapabilities(q, true, "events");
            }
            // a low limit keeps QEMU iterating while the events happen, as the Tern leg is kept
            src.execute("migrate-set-parameters", Json.object().put("downtime-limit", 1L));
            dst.execute("migrate-incoming", Json.object().put("uri", uri));
            src.execute("migrate", Json.object().put("uri", uri));
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            List<String> done = new ArrayList<>();
            String status = null;
            while (status == null && System.nanoTime() < deadline) {
                QmpEvent e = src.awaitEvent(ev -> ev.name().equals("MIGRATION_PASS") || ev.name().equals("MIGRATION"),
                        Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                if (e == null) {
                    break;
                }
                if (e.name().equals("MIGRATION")) {
                    String s = e.dataString("status");
                    if ("completed".equals(s) || "failed".equals(s) || "cancelled".equals(s)) {
                        status = s;
                    }
                    continue;
                }
                String pass = e.dataString("pass");
                for (String a : atPass) {
                    int eq = a.indexOf('=');
                    if (a.substring(0, eq).equals(pass)) {
                        int rc = new ProcessBuilder("bash", "-c", a.substring(eq + 1)).inheritIO().start().waitFor();
                        done.add("pass " + pass + ": " + a.substring(eq + 1) + " (exit " + rc + ")");
                    }
                }
            }
            Map<String, Object> info = QemuMigration.queryMigrate(src);
            Object run = ((Map<?, ?>) src.execute("query-status")).get("status");
            System.out.println(Json.object().put("type", "qemu-own").put("status", status == null ? "no end" : status)
                    .put("error", info.get("error-desc")).put("events", done).put("source_status", run));
            return 0;
        }
    }
}
