package tern.sender.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import tern.common.cli.StartupChecks;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.sender.source.ProcessPauser;

/**
 * {@code tern-sender --resume-source pid:PID|qmp:SOCKET}: the one command that leaves a source
 * running after a sender was killed with SIGKILL (which no handler can catch) while the source was
 * paused: SIGCONT for a --pause-pid process; for a QEMU guest, the hand-off's rollback
 * ({@link QemuMigration#continueSource}: an unfinished hand-off cancelled, x-ignore-shared
 * cleared, the guest continued, unless its device state reached the destination).
 */
final class ResumeSource {
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);

    private ResumeSource() {
    }

    /** Exit code: 0 when the source runs, 1 when it is left paused on purpose (the destination has the guest). */
    static int run(String spec, PrintStream out) throws Exception {
        if (spec.startsWith("pid:")) {
            long pid;
            try {
                pid = Long.parseLong(spec.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--resume-source " + spec + ": not a process id after pid:");
            }
            ProcessPauser.continueProcess(pid);
            out.println("pid " + pid + " continued: " + ProcessPauser.describe(Path.of("/proc", Long.toString(pid), "stat")));
            return 0;
        }
        if (spec.startsWith("qmp:")) {
            Path socket = Path.of(spec.substring(4));
            StartupChecks.unixSocket("--resume-source qmp:", socket);
            try (QmpClient qmp = QmpClient.connect(socket, QMP_TIMEOUT)) {
                String outcome = QemuMigration.continueSource(qmp, QMP_TIMEOUT);
                out.println("guest at " + socket + " " + outcome);
                return outcome.startsWith("is left paused") ? 1 : 0;
            }
        }
        throw new IllegalArgumentException("--resume-source " + spec + ": expected pid:PID or qmp:SOCKET");
    }
}
