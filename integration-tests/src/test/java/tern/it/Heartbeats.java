package tern.it;

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
}
