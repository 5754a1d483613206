package tern.sender.engine;

import java.util.Arrays;
import java.util.Locale;

/** When a page's dirty-log bit is cleared, and what is skipped (docs/design.md, "the three modes"). */
public enum Mode {
    /** The whole log at each iteration's sync, as QEMU up to 3.x; nothing skipped. */
    SYNC_CLEAR,
    /** Each page's log bit right before its bytes are captured; nothing skipped. */
    RECONCILE,
    /** As reconcile, and a page whose digest equals the latest version sent is skipped. */
    DIGEST;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Mode parse(String s) {
        for (Mode m : values()) {
            if (m.cliName().equalsIgnoreCase(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("--mode: unknown mode '" + s + "'; known: "
                + Arrays.stream(values()).map(Mode::cliName).toList());
    }

    boolean clearsPerPage() {
        return this != SYNC_CLEAR;
    }
}
