package tern.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tern.lab.qemu.SerialConsole;

/** The guest writer's heartbeats on its console: {@code tern-hb seq=N stores=M silent=K}. */
final class Heartbeats {
    static final Pattern HB = Pattern.compile("tern-hb seq=(\\d+) stores=(\\d+) .*");

    private Heartbeats() {
    }

    /** seq and stores of the last heartbeat on {@code c}; zeros when none came. */
    static int[] last(SerialConsole c) {
        int[] r = {0, 0};
        for (SerialConsole.Line l : c.lines()) {
            Matcher m = HB.matcher(l.text());
            if (m.matches()) {
                r[0] = Integer.parseInt(m.group(1));
                r[1] = Integer.parseInt(m.group(2));
            }
        }
        return r;
    }

    /**
     * The destination guest runs on: its first heartbeat continues the source's count and stores,
     * and its first check of its whole working set ({@code pages}) after the switchover passes.
     */
    static void assertRunsOnAfter(SerialConsole destination, SerialConsole source, int pages, Duration timeout)
            throws InterruptedException {
        int[] last = last(source);
        SerialConsole.Line beat = destination.await(0, l -> l.startsWith("tern-hb"), timeout);
        assertNotNull(beat, "a heartbeat from the destination guest; console: " + destination.log());
        Matcher m = HB.matcher(beat.text());
        assertTrue(m.matches(), beat.text());
        assertTrue(Integer.parseInt(m.group(1)) > last[0] && last[0] > 0,
                "destination heartbeat " + beat.text() + " continues the source's last (seq " + last[0] + ")");
        assertTrue(Long.parseLong(m.group(2)) >= last[1], "stores continue from the source's " + last[1]);
        SerialConsole.Line check = destination.await(0, l -> l.startsWith("tern-check"), timeout);
        assertNotNull(check, "a memory check on the destination; console: " + destination.log());
        assertTrue(check.text().contains(" ok pages=" + pages), check.text());
        assertNull(destination.await(0, l -> l.contains("BAD") || l.contains("tern-error"), Duration.ZERO),
                "no failed check on the destination");
    }
}
