package tern.receiver.cli;

import java.time.Duration;
import tern.common.units.Durations;
import tern.receiver.session.SessionListener;

/** The receiver's progress lines that every kind of migration prints: a lost stream held, a resume, a hand-over. */
class ResumeLines implements SessionListener {
    @Override
    public void suspended(String migrationId, String why, Duration timeout) {
        System.out.println("stream of migration " + migrationId + " lost (" + why + "); holding it for a resume for "
                + Durations.format(timeout));
        System.out.flush();
    }

    @Override
    public void resumed(String migrationId, int resumes) {
        System.out.println("migration " + migrationId + " resumed (resume " + resumes + ")");
        System.out.flush();
    }

    /** The line a guest's hand-over ends with; scripts and tests look for it. */
    static String handedOverLine(long pid, Long resumedEpochMicros) {
        return "guest handed over: destination QEMU pid " + pid + " running"
                + (resumedEpochMicros != null ? " (RESUME at " + resumedEpochMicros + " us since the epoch)" : "");
    }
}
