package tern.lab.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A Tern sender configuration: its flags, whether it reads the file source (or needs a workload),
 * and whether its processes are warm (they migrated the same image once before the measured run,
 * as the TCP ceiling's processes are warmed up; otherwise a fresh pair, as a migration is).
 */
record TernConfig(String name, String label, boolean fileSource, boolean warm, List<String> flags) {
    static final List<TernConfig> ALL = List.of(
            new TernConfig("digest-sha256", "tern digest sha256 (default)", true, false,
                    List.of("--mode", "digest", "--digest", "sha256")),
            new TernConfig("digest-xxh3-128", "tern digest xxh3-128", true, false,
                    List.of("--mode", "digest", "--digest", "xxh3-128")),
            new TernConfig("sync-clear-audit-off", "tern sync-clear audit off (*)", false, false,
                    List.of("--mode", "sync-clear", "--audit", "off", "--digest", "sha256")),
            new TernConfig("sync-clear-audit-off-xxh3-128", "tern sync-clear audit off xxh3 (*)", false, false,
                    List.of("--mode", "sync-clear", "--audit", "off", "--digest", "xxh3-128")),
            new TernConfig("digest-sha256-warm", "tern warm digest sha256 (**)", true, true,
                    List.of("--mode", "digest", "--digest", "sha256")),
            new TernConfig("digest-xxh3-128-warm", "tern warm digest xxh3-128 (**)", true, true,
                    List.of("--mode", "digest", "--digest", "xxh3-128")));

    /** The configuration of the memory runs: Tern's default, digest sha256. */
    static TernConfig defaultConfig() {
        return ALL.get(0);
    }

    /** The configurations named by --tern-configs, in its order; all of them when it is absent. */
    static List<TernConfig> select(List<String> names) {
        if (names == null || names.isEmpty()) {
            return ALL;
        }
        List<TernConfig> l = new ArrayList<>();
        for (String n : names) {
            l.add(ALL.stream().filter(c -> c.name().equals(n.trim())).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("--tern-configs: unknown '" + n + "' (known: "
                            + String.join(", ", ALL.stream().map(TernConfig::name).toList()) + ")")));
        }
        return l;
    }
}
